"""Slack as leadmover writes to it: the outbox writer, the reporter (the only code that posts), look-back after a
crash, pacing within Slack's limits, installations; and under blocks/ every message leadmover posts."""

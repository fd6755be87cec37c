"""Persistence of jobs: the only code that knows tables. Nothing here knows Slack or Instantly."""

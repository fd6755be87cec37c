"""Block Kit of every message leadmover posts in a channel, a thread or a DM: pure builders, no I/O."""

"""Instantly's API v2 as leadmover uses it: the client, its errors, the wire format, the shared request budget,
and the one translation of a move order into Instantly's body. It knows nothing of Slack or the database."""

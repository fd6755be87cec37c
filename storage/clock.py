"""Time as the database stores it."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC, the form both SQLite and PostgreSQL `timestamp` columns give back."""
    return datetime.now(UTC).replace(tzinfo=None)

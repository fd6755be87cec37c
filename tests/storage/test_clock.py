"""Time as the database stores it: naive UTC, so both backends give back what they were given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from storage.clock import utcnow
from storage.db import Database
from storage.models import WorkspaceRow


def test_now_is_naive_utc() -> None:
    now = utcnow()

    assert now.tzinfo is None
    assert abs(now - datetime.now(UTC).replace(tzinfo=None)) < timedelta(seconds=1)


def test_now_survives_a_round_trip_through_the_database(db: Database) -> None:
    stamped = utcnow()
    with db.session() as session:
        session.add(WorkspaceRow(team_id="T1", updated_at=stamped))
    with db.reading() as session:
        assert session.scalar(select(WorkspaceRow.updated_at)) == stamped

"""Which leadmover processes are alive: each beats here every second or so, and renews the leases it holds.

A lease is free once it runs out or once its owner has been silent for leases.SILENT_AFTER, so a process
killed with kill -9 hands its work on within seconds, whatever LEASE_SECONDS says, while a live one never loses it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from storage.clock import utcnow
from storage.db import Database, upsert_into
from storage.models import JobRow, NotificationRow, Phase, ProcessRow


def beat(db: Database, *, owner: str, lease_seconds: float) -> None:
    """Say `owner` is alive, and push its leases' expiry `lease_seconds` ahead.

    A move still being started keeps the expiry it was given: if its start never comes (its queue was full), the
    lease must run out so that a poller sends it.
    """
    now = utcnow()
    until = now + timedelta(seconds=lease_seconds)
    with db.session() as session:
        _upsert(session, owner=owner, now=now)
        session.execute(
            update(JobRow)
            .where(JobRow.lease_owner == owner, JobRow.phase != Phase.REQUESTED, JobRow.lease_expires_at < until)
            .values(lease_expires_at=until)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(NotificationRow)
            .where(NotificationRow.lease_owner == owner, NotificationRow.lease_expires_at < until)
            .values(lease_expires_at=until)
            .execution_options(synchronize_session=False)
        )


def _upsert(session: Session, *, owner: str, now: datetime) -> None:
    statement = upsert_into(session, ProcessRow).values(owner=owner, started_at=now, beat_at=now)
    session.execute(statement.on_conflict_do_update(index_elements=[ProcessRow.owner], set_={"beat_at": now}))


def stopped(db: Database, *, owner: str) -> None:
    """`owner` is shutting down: it no longer speaks for any lease."""
    with db.session() as session:
        session.execute(delete(ProcessRow).where(ProcessRow.owner == owner))


def forget_silent(db: Database, *, older_than: timedelta) -> int:
    """Drop processes silent for long (they were killed): their rows only ever free leases, and those are free."""
    with db.session() as session:
        result = session.execute(
            delete(ProcessRow)
            .where(ProcessRow.beat_at < utcnow() - older_than)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

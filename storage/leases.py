"""Leases: a row that one process works on is marked with its owner and an expiry, so that others leave it be
until the work ends, the lease runs out, or the owner stops beating (it died; see storage.processes). Jobs and
outbox rows share this one mechanism."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any, Final, TypeVarTuple

from sqlalchemy import ColumnElement, Row, Select, or_, select, update
from sqlalchemy.orm import Session

from storage.models import JobRow, Leased, NotificationRow, ProcessRow

_Columns = TypeVarTuple("_Columns")
# The tables whose rows are claimed in bulk.
Claimable = type[JobRow] | type[NotificationRow]

# Column values that end a lease; spread into an update of a leased row.
FREED: Final[dict[str, Any]] = {"lease_owner": None, "lease_expires_at": None}
# An owner silent this long is dead (storage.processes): several missed beats, more than a live process ever misses.
SILENT_AFTER: Final = timedelta(seconds=5)


def is_free(model: type[Leased], *, now: datetime) -> ColumnElement[bool]:
    """No live process holds the row: it was never leased, its lease ran out, or its owner stopped beating."""
    owner_silent = (
        select(ProcessRow.owner)
        .where(ProcessRow.owner == model.lease_owner, ProcessRow.beat_at < now - SILENT_AFTER)
        .exists()
    )
    return or_(model.lease_expires_at.is_(None), model.lease_expires_at < now, owner_silent)


def take(row: Leased, *, owner: str, lease_seconds: float, now: datetime) -> None:
    """Mark one row as `owner`'s until `lease_seconds` from `now`."""
    row.lease_owner = owner
    row.lease_expires_at = now + timedelta(seconds=lease_seconds)


def lease(
    session: Session, model: Claimable, ids: Collection[int], *, owner: str, lease_seconds: float, now: datetime
) -> None:
    """Mark the rows `ids` as `owner`'s until `lease_seconds` from `now`, in one statement."""
    if ids:
        session.execute(
            update(model)
            .where(model.id.in_(list(ids)))
            .values(lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False)
        )


def claim(
    session: Session, query: Select[*_Columns], *, model: Claimable, owner: str, lease_seconds: float, now: datetime
) -> Sequence[Row[*_Columns]]:
    """Take the rows the query selects (plain columns, with the id) for `owner`, in the caller's transaction.

    FOR UPDATE SKIP LOCKED lets several processes share one PostgreSQL database without taking the same row; on
    SQLite the transaction holds the write lock from its start instead (see storage.db).
    """
    rows = session.execute(query.with_for_update(skip_locked=True)).all()
    lease(session, model, [row.id for row in rows], owner=owner, lease_seconds=lease_seconds, now=now)
    return rows


def release(session: Session, model: type[Leased], *, owner: str, where: Sequence[ColumnElement[bool]] = ()) -> int:
    """Free every lease `owner` holds on `model` rows (narrowed by `where`); returns how many were freed."""
    query = update(model).where(model.lease_owner == owner, *where).values(**FREED)
    result = session.execute(query.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)

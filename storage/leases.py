"""Leases: a row that one process works on is marked with its owner and an expiry, so that others leave it be
until the work ends, the lease runs out, or the owner stops beating (it died; see storage.processes). Jobs and
outbox rows share this one mechanism."""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final, TypeVarTuple

from sqlalchemy import ColumnElement, Row, Select, Table, Update, bindparam, or_, select, update
from sqlalchemy.orm import Session

from storage.models import Leased, ProcessRow

_Columns = TypeVarTuple("_Columns")

# Column values that end a lease; spread into an update of a leased row.
FREED: Final[dict[str, Any]] = {"lease_owner": None, "lease_expires_at": None}
# An owner silent this long is dead (storage.processes): several missed beats, more than a live process ever misses.
SILENT_AFTER: Final = timedelta(seconds=5)


def is_free(table: Table) -> ColumnElement[bool]:
    """No live process holds the row: it was never leased, its lease ran out, or its owner stopped beating.

    Written with bind parameters, so that a claim's statement is built once and only executed after: pass
    `free_params(now)` with it."""
    processes = ProcessRow.__table__
    owner_silent = (
        select(processes.c.owner)
        .where(processes.c.owner == table.c.lease_owner, processes.c.beat_at < bindparam("lease_silent_before"))
        .exists()
    )
    return or_(table.c.lease_expires_at.is_(None), table.c.lease_expires_at < bindparam("lease_now"), owner_silent)


def free_params(now: datetime) -> dict[str, datetime]:
    """The values of `is_free`'s bind parameters at `now`."""
    return {"lease_now": now, "lease_silent_before": now - SILENT_AFTER}


def take(row: Leased, *, owner: str, lease_seconds: float, now: datetime) -> None:
    """Mark one row as `owner`'s until `lease_seconds` from `now`."""
    row.lease_owner = owner
    row.lease_expires_at = now + timedelta(seconds=lease_seconds)


@functools.cache
def _lease_statement(table: Table) -> Update:
    return (
        update(table)
        .where(table.c.id.in_(bindparam("lease_ids", expanding=True)))
        .values(lease_owner=bindparam("lease_to"), lease_expires_at=bindparam("lease_until"))
    )


def lease(
    session: Session, table: Table, ids: Collection[int], *, owner: str, lease_seconds: float, now: datetime
) -> None:
    """Mark the rows `ids` of `table` as `owner`'s until `lease_seconds` from `now`, in one statement."""
    if ids:
        until = now + timedelta(seconds=lease_seconds)
        session.execute(_lease_statement(table), {"lease_ids": list(ids), "lease_to": owner, "lease_until": until})


def claimable(query: Select[*_Columns]) -> Select[*_Columns]:
    """The query as a claim runs it: rows another transaction holds are skipped, the rest held to the end."""
    return query.with_for_update(skip_locked=True)


def claim(
    session: Session,
    query: Select[*_Columns],
    params: Mapping[str, Any],
    *,
    table: Table,
    owner: str,
    lease_seconds: float,
    now: datetime,
) -> Sequence[Row[*_Columns]]:
    """Take the rows `query` selects (plain columns, with the id) for `owner`, in the caller's transaction.

    The query is built once, made `claimable` and narrowed by `is_free(table)`; `params` are its other bind
    parameters. FOR UPDATE SKIP LOCKED lets several processes share one PostgreSQL database without taking the same
    row; on SQLite the transaction holds the write lock from its start instead (see storage.db).
    """
    rows = session.execute(query, {**params, **free_params(now)}).all()
    lease(session, table, [row.id for row in rows], owner=owner, lease_seconds=lease_seconds, now=now)
    return rows


def release(session: Session, model: type[Leased], *, owner: str, where: Sequence[ColumnElement[bool]] = ()) -> int:
    """Free every lease `owner` holds on `model` rows (narrowed by `where`); returns how many were freed."""
    query = update(model).where(model.lease_owner == owner, *where).values(**FREED)
    result = session.execute(query.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)

"""Jobs taken under a lease: the running ones due a poll (bot.poller), the requested ones whose process died before
Instantly answered (orphans), and the leases a process renews on its queued moves or frees when it stops."""

from __future__ import annotations

import functools
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, and_, bindparam, func, select, update

from storage import leases
from storage.clock import utcnow
from storage.db import Database
from storage.models import JobRow, Phase
from storage.records import JobRecord, job_record

_JOBS = cast(Table, JobRow.__table__)


@functools.cache
def _claim_statement(*, phase: Phase, skip_teams: bool, limit: int) -> Select[Any]:
    """A claim of jobs in `phase` (running ones only once due: bind parameter `due_by`), built once per shape.

    Plain columns, not ORM objects, and a statement made once: the poller claims every due job several times in its
    life."""
    where = _JOBS.c.phase == phase
    if phase == Phase.RUNNING:
        where = and_(where, _JOBS.c.next_poll_at <= bindparam("due_by"))
    if skip_teams:
        where = and_(where, _JOBS.c.team_id.not_in(bindparam("skip_teams", expanding=True)))
    query = select(*_JOBS.columns).where(where, leases.is_free(_JOBS)).order_by(_JOBS.c.next_poll_at, _JOBS.c.id)
    return leases.claimable(query.limit(limit))


def _claim(
    db: Database,
    *,
    phase: Phase,
    owner: str,
    lease_seconds: float,
    limit: int,
    due_by: datetime | None = None,
    skip_teams: Collection[str] = (),
) -> list[JobRecord]:
    now = utcnow()
    query = _claim_statement(phase=phase, skip_teams=bool(skip_teams), limit=limit)
    params: dict[str, object] = {"due_by": due_by or now}
    if skip_teams:
        params["skip_teams"] = list(skip_teams)
    with db.session() as session:
        rows = leases.claim(session, query, params, table=_JOBS, owner=owner, lease_seconds=lease_seconds, now=now)
        return [job_record(row) for row in rows]


def claim_due(
    db: Database,
    *,
    owner: str,
    lease_seconds: float,
    limit: int = 500,
    skip_teams: Collection[str] = (),
    due_by: datetime | None = None,
) -> list[JobRecord]:
    """Lease the running jobs whose next poll is due (by `due_by`, else now) and that no live lease holds."""
    return _claim(
        db,
        phase=Phase.RUNNING,
        owner=owner,
        lease_seconds=lease_seconds,
        limit=limit,
        due_by=due_by,
        skip_teams=skip_teams,
    )


def next_due_at(db: Database) -> datetime | None:
    """When the soonest running job is next due to be polled; None when none runs."""
    with db.reading() as session:
        return session.scalar(select(func.min(JobRow.next_poll_at)).where(JobRow.phase == Phase.RUNNING))


def claim_orphans(db: Database, *, owner: str, lease_seconds: float, limit: int = 50) -> list[JobRecord]:
    """Lease requested moves whose requester's lease ran out: its process died or Instantly never answered."""
    return _claim(db, phase=Phase.REQUESTED, owner=owner, lease_seconds=lease_seconds, limit=limit)


def renew_leases(db: Database, *, owner: str, job_ids: Collection[int], lease_seconds: float) -> int:
    """Extend `owner`'s leases on moves it has queued but not yet sent (bot.starts); returns how many it still holds."""
    query = (
        update(JobRow)
        .where(
            JobRow.id.in_(list(job_ids)),
            JobRow.lease_owner == owner,
            JobRow.phase == Phase.REQUESTED,
            JobRow.start_attempted_at.is_(None),
        )
        .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))
    )
    with db.session() as session:
        result = session.execute(query.execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)


def release_leases(db: Database, *, owner: str, job_ids: Collection[int] | None = None) -> int:
    """Free `owner`'s leases (on the given jobs only, if given), except on moves still being started.

    A requested move keeps its lease until it is attached, given up, or the lease runs out: freeing it while its
    POST may be in flight would let a poller "recover" the move and send it a second time.
    """
    where = [JobRow.phase != Phase.REQUESTED]
    if job_ids is not None:
        where.append(JobRow.id.in_(list(job_ids)))
    with db.session() as session:
        return leases.release(session, JobRow, owner=owner, where=where)

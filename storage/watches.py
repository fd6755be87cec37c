"""Watched channels (/leads watch) and each workspace's discovery of its Instantly background jobs: which channels
hear of which job types, and the one lister per workspace (a lease) with its high-water mark."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from storage import leases
from storage.automation_models import WatchListerRow, WatchRow
from storage.clock import utcnow
from storage.db import Database
from storage.models import JobRow, Phase

WATCHES = cast(Table, WatchRow.__table__)
LISTERS = cast(Table, WatchListerRow.__table__)


@dataclass(frozen=True)
class Watch:
    team_id: str
    channel_id: str
    job_types: tuple[str, ...]  # empty: every type
    set_by: str
    set_at: datetime

    def hears_of(self, job_type: str) -> bool:
        return not self.job_types or job_type in self.job_types


@dataclass(frozen=True)
class Lister:
    """How far a workspace's discovery has read: the newest `updated_at` it saw, and the jobs seen at that instant."""

    team_id: str
    high_water: str | None
    seen_at_high_water: tuple[str, ...]


def _watch(row: Any) -> Watch:
    return Watch(row.team_id, row.channel_id, tuple(row.job_types or ()), row.set_by, row.set_at)


def watch(db: Database, *, team_id: str, channel_id: str, job_types: tuple[str, ...], by: str) -> Watch:
    """The channel hears of these job types from now (every type when empty), replacing what it heard of before."""
    now = utcnow()
    values = {"job_types": list(job_types), "set_by": by, "set_at": now}
    with db.session() as session:
        changed = session.execute(
            update(WATCHES).where(WATCHES.c.team_id == team_id, WATCHES.c.channel_id == channel_id).values(**values)
        )
        if not getattr(changed, "rowcount", 0):
            session.execute(insert(WATCHES).values(team_id=team_id, channel_id=channel_id, **values))
    return Watch(team_id, channel_id, job_types, by, now)


def unwatch(db: Database, *, team_id: str, channel_id: str) -> bool:
    """The channel hears of no more jobs; False if it heard of none."""
    with db.session() as session:
        result = session.execute(
            delete(WATCHES).where(WATCHES.c.team_id == team_id, WATCHES.c.channel_id == channel_id)
        )
        return bool(getattr(result, "rowcount", 0))


def of_team(db: Database, *, team_id: str) -> list[Watch]:
    with db.reading() as session:
        rows = session.execute(select(WATCHES).where(WATCHES.c.team_id == team_id).order_by(WATCHES.c.set_at))
        return [_watch(row) for row in rows]


def watched_teams(db: Database) -> list[str]:
    """The workspaces with at least one watched channel."""
    with db.reading() as session:
        return list(session.scalars(select(WATCHES.c.team_id).distinct()))


def followed_ids(db: Database, *, team_id: str, instantly_job_ids: list[str]) -> set[str]:
    """Which of these Instantly jobs the workspace already follows: its own moves, tracked and announced jobs."""
    if not instantly_job_ids:
        return set()
    with db.reading() as session:
        query = select(JobRow.instantly_job_id).where(
            JobRow.team_id == team_id, JobRow.instantly_job_id.in_(instantly_job_ids)
        )
        return {job_id for job_id in session.scalars(query) if job_id is not None}


def moves_starting(db: Database, *, team_id: str) -> bool:
    """Whether a move of the workspace was sent to Instantly and its job id is not written down yet."""
    with db.reading() as session:
        query = select(JobRow.id).where(
            JobRow.team_id == team_id, JobRow.phase == Phase.REQUESTED, JobRow.start_attempted_at.is_not(None)
        )
        return session.execute(query.limit(1)).first() is not None


def take_lister(db: Database, *, team_id: str, owner: str, lease_seconds: float, now: datetime) -> Lister | None:
    """The workspace's discovery for `owner`, if its next round is due and no live process holds it; else None."""
    try:
        with db.session() as session:
            session.execute(insert(LISTERS).values(team_id=team_id, next_round_at=now))
    except IntegrityError:
        pass  # it has had rounds before
    until = now + timedelta(seconds=lease_seconds)
    with db.session() as session:
        taken = session.execute(
            update(LISTERS)
            .where(LISTERS.c.team_id == team_id, LISTERS.c.next_round_at <= now, leases.is_free(LISTERS))
            .values(lease_owner=owner, lease_expires_at=until),
            leases.free_params(now),
        )
        if not getattr(taken, "rowcount", 0):
            return None
        row = session.execute(select(LISTERS).where(LISTERS.c.team_id == team_id)).one()
        return Lister(row.team_id, row.high_water, tuple(row.seen_at_high_water or ()))


def finish_round(
    db: Database,
    *,
    team_id: str,
    owner: str,
    high_water: str | None,
    seen_at_high_water: tuple[str, ...],
    next_round_at: datetime,
) -> bool:
    """A round read up to `high_water`: kept, the next round set, the lease freed. False if `owner` no longer held
    it (it was taken over after a long pause): then nothing is written, and the holder's round counts."""
    with db.session() as session:
        result = session.execute(
            update(LISTERS)
            .where(LISTERS.c.team_id == team_id, LISTERS.c.lease_owner == owner)
            .values(
                high_water=high_water,
                seen_at_high_water=list(seen_at_high_water),
                next_round_at=next_round_at,
                last_round_at=utcnow(),
                **leases.FREED,
            )
        )
        return bool(getattr(result, "rowcount", 0))


def release_leases(db: Database, *, owner: str) -> int:
    with db.session() as session:
        return leases.release(session, WatchListerRow, owner=owner)

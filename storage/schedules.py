"""Schedules: moves that run by themselves on a recurrence. Written and changed by their owners and admins, taken by
the scheduler under a lease when due, and moved on to their next occurrence once the due one is handled."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, delete, insert, select, update

from storage import leases
from storage.automation_models import ScheduleRow, ScheduleState
from storage.clock import utcnow
from storage.db import Database
from storage.orders import MoveOrder

TABLE = cast(Table, ScheduleRow.__table__)


@dataclass(frozen=True)
class When:
    """A recurrence as stored: bot.recurrence gives it meaning."""

    frequency: str
    at: str  # "HH:MM", local
    timezone: str
    weekday: int | None = None
    month_day: int | None = None


@dataclass(frozen=True)
class ScheduleRecord:
    id: int
    team_id: str
    channel_id: str
    owner_id: str
    order: MoveOrder
    when: When
    state: ScheduleState
    paused_reason: str | None
    next_run_at: datetime
    last_run_at: datetime | None
    last_job_id: int | None
    last_outcome: str | None
    put_off_reason: str | None
    overlap_told_job_id: int | None
    approved_by: str | None
    approval_channel: str | None
    approval_ts: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def active(self) -> bool:
        return self.state == ScheduleState.ACTIVE


def _record(row: Any) -> ScheduleRecord:
    return ScheduleRecord(
        id=row.id,
        team_id=row.team_id,
        channel_id=row.channel_id,
        owner_id=row.owner_id,
        order=MoveOrder.from_json(row.move_order),
        when=When(row.frequency, row.at, row.timezone, row.weekday, row.month_day),
        state=ScheduleState(row.state),
        paused_reason=row.paused_reason,
        next_run_at=row.next_run_at,
        last_run_at=row.last_run_at,
        last_job_id=row.last_job_id,
        last_outcome=row.last_outcome,
        put_off_reason=row.put_off_reason,
        overlap_told_job_id=row.overlap_told_job_id,
        approved_by=row.approved_by,
        approval_channel=row.approval_channel,
        approval_ts=row.approval_ts,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _when_values(when: When) -> dict[str, Any]:
    return {
        "frequency": when.frequency,
        "at": when.at,
        "timezone": when.timezone,
        "weekday": when.weekday,
        "month_day": when.month_day,
    }


def create(
    db: Database,
    *,
    team_id: str,
    channel_id: str,
    owner_id: str,
    order: MoveOrder,
    when: When,
    next_run_at: datetime,
    awaiting_approval: bool = False,
) -> ScheduleRecord:
    """A new schedule: active, or (`awaiting_approval`) waiting for an approver before its first run."""
    now = utcnow()
    with db.session() as session:
        created = session.execute(
            insert(TABLE)
            .values(
                team_id=team_id,
                channel_id=channel_id,
                owner_id=owner_id,
                move_order=order.to_json(),
                state=ScheduleState.AWAITING_APPROVAL if awaiting_approval else ScheduleState.ACTIVE,
                next_run_at=next_run_at,
                created_at=now,
                updated_at=now,
                **_when_values(when),
            )
            .returning(TABLE)
        ).one()
        return _record(created)


def get(db: Database, *, schedule_id: int) -> ScheduleRecord | None:
    with db.reading() as session:
        row = session.execute(select(TABLE).where(TABLE.c.id == schedule_id)).first()
        return _record(row) if row is not None else None


def of_team(db: Database, *, team_id: str, owner_id: str | None = None) -> list[ScheduleRecord]:
    """A workspace's schedules (one person's, with `owner_id`), the soonest first."""
    query = select(TABLE).where(TABLE.c.team_id == team_id)
    if owner_id is not None:
        query = query.where(TABLE.c.owner_id == owner_id)
    with db.reading() as session:
        return [_record(row) for row in session.execute(query.order_by(TABLE.c.next_run_at, TABLE.c.id))]


def _change(db: Database, schedule_id: int, **values: Any) -> ScheduleRecord | None:
    if "next_run_at" in values:  # the occurrence that was put off is behind it
        values.setdefault("put_off_reason", None)
    with db.session() as session:
        row = session.execute(
            update(TABLE).where(TABLE.c.id == schedule_id).values(updated_at=utcnow(), **values).returning(TABLE)
        ).first()
        return _record(row) if row is not None else None


def edit(
    db: Database,
    *,
    schedule_id: int,
    order: MoveOrder,
    when: When,
    next_run_at: datetime,
    state: ScheduleState | None = None,
) -> ScheduleRecord | None:
    """A changed schedule, in `state` when given: waiting for approval again, its earlier approval forgotten, when
    its new move needs one; active when it no longer does."""
    values: dict[str, Any] = {"move_order": order.to_json(), "next_run_at": next_run_at, **_when_values(when)}
    if state is not None:
        values |= {"state": state, "approved_by": None, "paused_reason": None}
    return _change(db, schedule_id, **values)


def requested(db: Database, *, schedule_id: int, channel_id: str, ts: str) -> ScheduleRecord | None:
    """Where the request for approval was posted."""
    return _change(db, schedule_id, approval_channel=channel_id, approval_ts=ts)


def decide(db: Database, *, schedule_id: int, approved_by: str | None, next_run_at: datetime) -> ScheduleRecord | None:
    """An approver's decision on a schedule waiting for one, taken once: approved (`approved_by`) it is active from
    `next_run_at`, else rejected. None when it was not waiting (decided already, changed or deleted)."""
    state = ScheduleState.ACTIVE if approved_by is not None else ScheduleState.REJECTED
    with db.session() as session:
        row = session.execute(
            update(TABLE)
            .where(TABLE.c.id == schedule_id, TABLE.c.state == ScheduleState.AWAITING_APPROVAL.value)
            .values(state=state, approved_by=approved_by, next_run_at=next_run_at, updated_at=utcnow())
            .returning(TABLE)
        ).first()
        return _record(row) if row is not None else None


def pause(db: Database, *, schedule_id: int, reason: str) -> ScheduleRecord | None:
    return _change(db, schedule_id, state=ScheduleState.PAUSED, paused_reason=reason[:500], **leases.FREED)


def resume(db: Database, *, schedule_id: int, next_run_at: datetime) -> ScheduleRecord | None:
    return _change(db, schedule_id, state=ScheduleState.ACTIVE, paused_reason=None, next_run_at=next_run_at)


def remove(db: Database, *, schedule_id: int) -> bool:
    with db.session() as session:
        result = session.execute(delete(TABLE).where(TABLE.c.id == schedule_id))
        return bool(getattr(result, "rowcount", 0))


@functools.cache
def _due_statement(limit: int) -> Select[Any]:
    query = (
        select(TABLE)
        .where(TABLE.c.state == ScheduleState.ACTIVE.value, TABLE.c.next_run_at <= bindparam("now"))
        .where(leases.is_free(TABLE))
        .order_by(TABLE.c.next_run_at)
        .limit(limit)
    )
    return leases.claimable(query)


def claim_due(
    db: Database, *, owner: str, lease_seconds: float, now: datetime, limit: int = 20
) -> list[ScheduleRecord]:
    """The active schedules whose next occurrence has come by `now`, taken for `owner` under a lease."""
    with db.session() as session:
        rows = leases.claim(
            session,
            _due_statement(limit),
            {"now": now},
            table=TABLE,
            owner=owner,
            lease_seconds=lease_seconds,
            now=now,
        )
        return [_record(row) for row in rows]


def handled(
    db: Database,
    *,
    schedule_id: int,
    occurrence: datetime,
    next_run_at: datetime,
    outcome: str,
    job_id: int | None = None,
    overlap_told_job_id: int | None = None,
) -> ScheduleRecord | None:
    """The due occurrence was run (its `job_id`) or skipped (`outcome` says why); the next one is written and the
    lease freed."""
    values: dict[str, Any] = {
        "last_run_at": occurrence,
        "next_run_at": next_run_at,
        "last_outcome": outcome[:500],
        **leases.FREED,
    }
    if job_id is not None:
        values["last_job_id"] = job_id
    if overlap_told_job_id is not None:
        values["overlap_told_job_id"] = overlap_told_job_id
    return _change(db, schedule_id, **values)


def put_off(db: Database, *, schedule_id: int, reason: str, retry_at: datetime) -> None:
    """The due occurrence could not start yet, for a reason that may pass (`reason`): it stays due, and is taken
    again from `retry_at` on."""
    _change(db, schedule_id, put_off_reason=reason[:500], lease_expires_at=retry_at)


def release_leases(db: Database, *, owner: str) -> int:
    with db.session() as session:
        return leases.release(session, ScheduleRow, owner=owner)

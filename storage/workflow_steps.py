"""Runs of the "Move Instantly leads" workflow step: opened when Slack delivers one, tied to the job its move made,
and claimed under a lease once Slack is due to hear how it ended; the table is the steps' own outbox."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import Select, Table, and_, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from storage import leases
from storage.automation_models import StepState, WorkflowStepRow
from storage.clock import utcnow
from storage.db import Database
from storage.models import JobRow, Phase

TABLE = cast(Table, WorkflowStepRow.__table__)
_JOBS = cast(Table, JobRow.__table__)
# A job in these phases has ended and said so in its thread (or never started): its run is due.
_ENDED: Final = (Phase.DONE, Phase.START_FAILED, Phase.NOT_APPROVED)


def step_key(execution_id: str) -> str:
    """The door's idempotency key of a run's move: one move per run, however often Slack delivers it."""
    return f"workflow:{execution_id}"


@dataclass(frozen=True)
class StepRun:
    """One run as storage hands it out; `sealed_token` is the run's Slack token, sealed (None once it ended)."""

    id: int
    team_id: str
    execution_id: str
    user_id: str
    job_id: int | None
    sealed_token: str | None
    state: StepState
    error: str | None
    attempts: int
    created_at: datetime
    inputs: dict[str, Any] | None = None
    waiting_reason: str | None = None


def _run(row: Any) -> StepRun:
    return StepRun(
        id=row.id,
        team_id=row.team_id,
        execution_id=row.execution_id,
        user_id=row.user_id,
        job_id=row.job_id,
        sealed_token=row.sealed_token,
        state=StepState(row.state),
        error=row.error,
        attempts=row.attempts,
        created_at=row.created_at,
        inputs=row.inputs,
        waiting_reason=row.waiting_reason,
    )


def _find(db: Database, *, team_id: str, execution_id: str) -> StepRun | None:
    with db.reading() as session:
        row = session.execute(
            select(TABLE).where(TABLE.c.team_id == team_id, TABLE.c.execution_id == execution_id)
        ).first()
        return _run(row) if row is not None else None


def open_run(
    db: Database,
    *,
    team_id: str,
    execution_id: str,
    workflow_execution_id: str | None,
    user_id: str,
    sealed_token: str,
    inputs: dict[str, Any] | None = None,
) -> tuple[StepRun, bool]:
    """The run Slack delivered, written down once: (the run, True) the first time, (the run as it stands, False)
    for a delivery of the same run again."""
    earlier = _find(db, team_id=team_id, execution_id=execution_id)
    if earlier is not None:
        return earlier, False
    now = utcnow()
    try:
        with db.session() as session:
            session.execute(
                insert(TABLE).values(
                    team_id=team_id,
                    execution_id=execution_id,
                    workflow_execution_id=workflow_execution_id,
                    user_id=user_id,
                    sealed_token=sealed_token,
                    inputs=inputs,
                    state=StepState.OPEN,
                    attempts=0,
                    not_before=now,
                    created_at=now,
                    updated_at=now,
                )
            )
    except IntegrityError:  # the same run delivered twice at once: the other delivery wrote it
        pass
    else:
        opened = _find(db, team_id=team_id, execution_id=execution_id)
        assert opened is not None
        return opened, True
    found = _find(db, team_id=team_id, execution_id=execution_id)
    assert found is not None
    return found, False


def _set(db: Database, run_id: int, **values: Any) -> None:
    with db.session() as session:
        session.execute(update(TABLE).where(TABLE.c.id == run_id).values(updated_at=utcnow(), **values))


def attach_job(db: Database, *, run_id: int, job_id: int) -> None:
    """The run's move was written down as this job: the run ends when it does."""
    _set(db, run_id, job_id=job_id, waiting_reason=None, **leases.FREED)


def put_off(db: Database, *, run_id: int, reason: str, retry_at: datetime) -> None:
    """The run's move could not be asked for yet, for a reason that may pass: it is asked again from `retry_at` on
    (claim_waiting)."""
    _set(db, run_id, waiting_reason=reason[:2000], not_before=retry_at, **leases.FREED)


def claim_waiting(db: Database, *, owner: str, lease_seconds: float, limit: int = 20) -> list[StepRun]:
    """Take the runs whose move waits to be asked for again and is due now, for `owner`, under a lease."""
    now = utcnow()
    with db.session() as session:
        rows = leases.claim(
            session,
            _waiting_statement(limit),
            {"now": now},
            table=TABLE,
            owner=owner,
            lease_seconds=lease_seconds,
            now=now,
        )
        return [_run(row) for row in rows]


@functools.cache
def _waiting_statement(limit: int) -> Select[Any]:
    query = (
        select(TABLE)
        .where(
            TABLE.c.state == StepState.OPEN.value,
            TABLE.c.waiting_reason.is_not(None),
            TABLE.c.job_id.is_(None),
            TABLE.c.error.is_(None),
            TABLE.c.not_before <= bindparam("now"),
            leases.is_free(TABLE),
        )
        .order_by(TABLE.c.not_before)
        .limit(limit)
    )
    return leases.claimable(query)


def refuse(db: Database, *, run_id: int, error: str) -> None:
    """Nothing was started, and `error` says why: Slack is due to hear it now."""
    _set(db, run_id, error=error[:2000], not_before=utcnow(), **leases.FREED)


def complete(db: Database, *, run_id: int, outcome: str) -> None:
    """Slack heard how the run ended; its token is forgotten."""
    now = utcnow()
    _set(
        db,
        run_id,
        state=StepState.COMPLETED,
        outcome=outcome[:2000],
        sealed_token=None,
        completed_at=now,
        **leases.FREED,
    )


def lose(db: Database, *, run_id: int, outcome: str) -> None:
    """Slack cannot be told (its token no longer works): recorded as such, never tried again."""
    now = utcnow()
    _set(db, run_id, state=StepState.LOST, outcome=outcome[:2000], sealed_token=None, completed_at=now, **leases.FREED)


def retry_later(db: Database, *, run_id: int, attempts: int, delay: float) -> None:
    _set(db, run_id, attempts=attempts, not_before=utcnow() + timedelta(seconds=delay), **leases.FREED)


@functools.cache
def _due_statement(limit: int) -> Select[Any]:
    """Open runs Slack is due to hear of: refused, or whose job ended and was told in its thread (a job ended but
    not yet told goes after `settle_before` anyway), or that no job came of after `orphaned_before`."""
    jobs = _JOBS
    due = or_(
        TABLE.c.error.is_not(None),
        jobs.c.phase.in_([phase.value for phase in _ENDED]),
        and_(jobs.c.phase == Phase.FINISHED.value, jobs.c.finished_at < bindparam("settle_before")),
        # A run waiting to ask again is not lost: it ends asked for or refused (bot.workflow_steps).
        and_(
            TABLE.c.job_id.is_(None),
            TABLE.c.waiting_reason.is_(None),
            TABLE.c.created_at < bindparam("orphaned_before"),
        ),
    )
    query = (
        select(TABLE)
        .select_from(TABLE.outerjoin(jobs, jobs.c.id == TABLE.c.job_id))
        .where(
            TABLE.c.state == StepState.OPEN.value, TABLE.c.not_before <= bindparam("now"), due, leases.is_free(TABLE)
        )
        .order_by(TABLE.c.not_before)
        .limit(limit)
    )
    # Only the run is held: its job is read, and PostgreSQL locks no row of an outer join's nullable side.
    return query.with_for_update(skip_locked=True, of=TABLE)


def claim_due(
    db: Database,
    *,
    owner: str,
    lease_seconds: float,
    settle_seconds: float,
    orphan_seconds: float,
    limit: int = 20,
) -> list[StepRun]:
    """Take the runs due to be told to Slack, for `owner`, under a lease."""
    now = utcnow()
    params = {
        "now": now,
        "settle_before": now - timedelta(seconds=settle_seconds),
        "orphaned_before": now - timedelta(seconds=orphan_seconds),
    }
    with db.session() as session:
        rows = leases.claim(
            session, _due_statement(limit), params, table=TABLE, owner=owner, lease_seconds=lease_seconds, now=now
        )
        return [_run(row) for row in rows]


def release_leases(db: Database, *, owner: str) -> int:
    with db.session() as session:
        return leases.release(session, WorkflowStepRow, owner=owner)

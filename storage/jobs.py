"""The jobs repository: every step of a move is written down before and after it talks to the outside."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update

from storage.db import Database
from storage.models import JobRow, Phase


def utcnow() -> datetime:
    """Naive UTC, the form both SQLite and PostgreSQL `timestamp` columns give back."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Endpoint:
    """A campaign or lead list, as a source or a destination."""

    kind: str  # "campaign" | "list"
    id: str
    name: str


@dataclass(frozen=True)
class JobRecord:
    id: int
    team_id: str
    channel_id: str
    user_id: str
    copy_leads: bool
    source: Endpoint
    destination: Endpoint
    request_body: dict[str, Any]
    phase: str
    instantly_job_id: str | None
    status: str | None
    progress: int
    moved_leads: int | None
    error: str | None
    announcement_channel: str | None
    announcement_ts: str | None
    final_reply_ts: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


def _record(row: JobRow) -> JobRecord:
    return JobRecord(
        id=row.id,
        team_id=row.team_id,
        channel_id=row.channel_id,
        user_id=row.user_id,
        copy_leads=row.copy_leads,
        source=Endpoint(row.source_kind, row.source_id, row.source_name),
        destination=Endpoint(row.destination_kind, row.destination_id, row.destination_name),
        request_body=dict(row.request_body),
        phase=row.phase,
        instantly_job_id=row.instantly_job_id,
        status=row.status,
        progress=row.progress,
        moved_leads=row.moved_leads,
        error=row.error,
        announcement_channel=row.announcement_channel,
        announcement_ts=row.announcement_ts,
        final_reply_ts=row.final_reply_ts,
        created_at=row.created_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
    )


def record_request(
    db: Database,
    *,
    team_id: str,
    channel_id: str,
    user_id: str,
    copy_leads: bool,
    source: Endpoint,
    destination: Endpoint,
    request_body: dict[str, Any],
) -> JobRecord:
    """Save a move before Instantly hears of it, so a crash in between leaves a trace."""
    now = utcnow()
    row = JobRow(
        team_id=team_id,
        channel_id=channel_id,
        user_id=user_id,
        copy_leads=copy_leads,
        source_kind=source.kind,
        source_id=source.id,
        source_name=source.name[:255],
        destination_kind=destination.kind,
        destination_id=destination.id,
        destination_name=destination.name[:255],
        request_body=request_body,
        phase=Phase.REQUESTED,
        progress=0,
        next_poll_at=now,
        created_at=now,
        updated_at=now,
    )
    with db.session() as session:
        session.add(row)
        session.flush()
        return _record(row)


def _update(db: Database, job_id: int, **values: Any) -> JobRecord:
    with db.session() as session:
        row = session.get(JobRow, job_id)
        if row is None:
            raise LookupError(f"no job {job_id}")
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = utcnow()
        session.flush()
        return _record(row)


def attach_job(
    db: Database, *, job_id: int, instantly_job_id: str, status: str, progress: int, next_poll_at: datetime
) -> JobRecord:
    return _update(
        db,
        job_id,
        phase=Phase.RUNNING,
        instantly_job_id=instantly_job_id,
        status=status,
        progress=progress,
        next_poll_at=next_poll_at,
    )


def mark_start_failed(db: Database, *, job_id: int, error: str) -> JobRecord:
    return _update(db, job_id, phase=Phase.START_FAILED, error=error)


def record_announcement(db: Database, *, job_id: int, channel_id: str, ts: str) -> JobRecord:
    return _update(db, job_id, announcement_channel=channel_id, announcement_ts=ts)


def record_progress(
    db: Database,
    *,
    job_id: int,
    status: str,
    progress: int,
    moved_leads: int | None,
    next_poll_at: datetime,
    finished: bool,
    error: str | None = None,
) -> JobRecord:
    values: dict[str, Any] = {
        "status": status,
        "progress": progress,
        "next_poll_at": next_poll_at,
    }
    if moved_leads is not None:
        values["moved_leads"] = moved_leads
    if error is not None:
        values["error"] = error
    if finished:
        values["finished_at"] = utcnow()
    return _update(db, job_id, **values)


def record_final_reply(db: Database, *, job_id: int, ts: str) -> JobRecord:
    return _update(db, job_id, final_reply_ts=ts, phase=Phase.DONE, lease_owner=None, lease_expires_at=None)


def claim_due(db: Database, *, owner: str, lease_seconds: float, limit: int = 500) -> list[JobRecord]:
    """Lease the running jobs whose next poll is due and that no live lease holds.

    `FOR UPDATE SKIP LOCKED` lets several pollers share one PostgreSQL database without taking the same job;
    SQLite ignores it and serialises writers instead.
    """
    now = utcnow()
    with db.session() as session:
        rows = session.scalars(
            select(JobRow)
            .where(
                JobRow.phase == Phase.RUNNING,
                JobRow.next_poll_at <= now,
                or_(
                    JobRow.lease_expires_at.is_(None),
                    JobRow.lease_expires_at < now,
                    JobRow.lease_owner == owner,
                ),
            )
            .order_by(JobRow.next_poll_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        expires = now + timedelta(seconds=lease_seconds)
        for row in rows:
            row.lease_owner = owner
            row.lease_expires_at = expires
        session.flush()
        return [_record(row) for row in rows]


def release_leases(db: Database, *, owner: str) -> int:
    with db.session() as session:
        result = session.execute(
            update(JobRow)
            .where(JobRow.lease_owner == owner)
            .values(lease_owner=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def get(db: Database, *, job_id: int) -> JobRecord | None:
    with db.session() as session:
        row = session.get(JobRow, job_id)
        return _record(row) if row is not None else None


def find(db: Database, *, team_id: str, reference: str) -> JobRecord | None:
    """A job of this workspace by Instantly's job id or by leadmover's own number."""
    condition = JobRow.instantly_job_id == reference
    if reference.isdigit() and len(reference) < 10:
        condition = or_(condition, JobRow.id == int(reference))
    with db.session() as session:
        row = session.scalars(
            select(JobRow).where(and_(JobRow.team_id == team_id, condition)).order_by(JobRow.id.desc()).limit(1)
        ).first()
        return _record(row) if row is not None else None


def recent_for_user(db: Database, *, team_id: str, user_id: str, limit: int = 10) -> list[JobRecord]:
    with db.session() as session:
        rows = session.scalars(
            select(JobRow)
            .where(JobRow.team_id == team_id, JobRow.user_id == user_id)
            .order_by(JobRow.created_at.desc(), JobRow.id.desc())
            .limit(limit)
        ).all()
        return [_record(row) for row in rows]


def unfinished_count(db: Database) -> int:
    with db.session() as session:
        return len(session.scalars(select(JobRow.id).where(JobRow.phase == Phase.RUNNING)).all())


def recent(db: Database, *, limit: int = 20) -> list[JobRecord]:
    with db.session() as session:
        rows = session.scalars(select(JobRow).order_by(JobRow.id.desc()).limit(limit)).all()
        return [_record(row) for row in rows]

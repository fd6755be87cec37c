"""Writing down a job started elsewhere that someone asked leadmover to follow (`/leads track`): once per workspace,
however many ask at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage import jobs
from storage.clock import utcnow
from storage.db import Database
from storage.models import JobRow, Phase
from storage.records import JobRecord, job_record


@dataclass(frozen=True)
class Tracked:
    """The job that follows an Instantly job; `already` when the workspace followed it before this request."""

    record: JobRecord
    already: bool


def record_tracked(
    db: Database,
    *,
    team_id: str,
    channel_id: str,
    user_id: str,
    instantly_job_id: str,
    job_type: str,
    status: str,
    progress: int,
    next_poll_at: datetime,
    started_at: datetime | None = None,
    via: str | None = None,
    via_name: str | None = None,
) -> Tracked:
    """Follow an Instantly job started elsewhere: running from the start, its announcement queued with it.

    A workspace follows an Instantly job once (uq_jobs_team_instantly_job): a second request, however concurrent,
    gets the job that already follows it, and queues nothing.
    """
    now = utcnow()
    row = JobRow(
        team_id=team_id,
        channel_id=channel_id,
        user_id=user_id,
        move_order=None,
        job_type=job_type[:32],
        phase=Phase.RUNNING,
        instantly_job_id=instantly_job_id,
        status=status,
        progress=progress,
        next_poll_at=next_poll_at,
        started_at=started_at,
        via=via,
        via_name=via_name[:200] if via_name else None,
        created_at=now,
        updated_at=now,
    )
    try:
        with db.session() as session:
            session.add(row)
            session.flush()
            jobs.queue_announcement(session, row)
            session.flush()
            return Tracked(job_record(row), already=False)
    except IntegrityError:
        pass  # followed already, perhaps a moment ago by a concurrent request
    with db.reading() as session:
        query = select(JobRow).where(JobRow.team_id == team_id, JobRow.instantly_job_id == instantly_job_id)
        first = session.scalars(query).first()
        assert first is not None, "the unique key that refused this one belongs to a stored job"
        return Tracked(job_record(first), already=True)

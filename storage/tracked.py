"""Writing down a job started elsewhere that someone asked leadmover to follow (`/leads track`): once per workspace,
however many ask at once."""

from __future__ import annotations

from collections.abc import Sequence
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


@dataclass(frozen=True)
class Sighting:
    """An Instantly job started elsewhere that a channel is to follow, as first seen."""

    channel_id: str
    user_id: str
    instantly_job_id: str
    job_type: str
    status: str
    progress: int
    next_poll_at: datetime
    started_at: datetime | None = None
    via: str | None = None
    via_name: str | None = None


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
    sighting = Sighting(
        channel_id, user_id, instantly_job_id, job_type, status, progress, next_poll_at, started_at, via, via_name
    )
    [followed] = record_all(db, team_id=team_id, sightings=[sighting])
    return followed


def record_all(db: Database, *, team_id: str, sightings: Sequence[Sighting]) -> list[Tracked]:
    """Follow these jobs in one transaction, so that their announcements are queued together (a flood found by a
    watch shares messages: storage.shared_messages); one by one when one of them is followed already."""
    now = utcnow()
    rows = [_row(team_id, sighting, now) for sighting in sightings]
    try:
        with db.session() as session:
            session.add_all(rows)
            session.flush()
            for row in rows:
                jobs.queue_announcement(session, row)
            session.flush()
            return [Tracked(job_record(row), already=False) for row in rows]
    except IntegrityError:
        pass  # followed already, perhaps a moment ago by a concurrent request
    if len(sightings) > 1:
        return [
            followed for sighting in sightings for followed in record_all(db, team_id=team_id, sightings=[sighting])
        ]
    with db.reading() as session:
        query = select(JobRow).where(
            JobRow.team_id == team_id, JobRow.instantly_job_id == sightings[0].instantly_job_id
        )
        first = session.scalars(query).first()
        assert first is not None, "the unique key that refused this one belongs to a stored job"
        return [Tracked(job_record(first), already=True)]


def _row(team_id: str, sighting: Sighting, now: datetime) -> JobRow:
    return JobRow(
        team_id=team_id,
        channel_id=sighting.channel_id,
        user_id=sighting.user_id,
        move_order=None,
        job_type=sighting.job_type[:32],
        phase=Phase.RUNNING,
        instantly_job_id=sighting.instantly_job_id,
        status=sighting.status,
        progress=sighting.progress,
        next_poll_at=sighting.next_poll_at,
        started_at=sighting.started_at,
        via=sighting.via,
        via_name=sighting.via_name[:200] if sighting.via_name else None,
        created_at=now,
        updated_at=now,
    )

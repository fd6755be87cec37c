"""What a poll of running jobs writes: each job's newest status and progress, when to poll it next and the end its
pace makes likely, and an edit of its announcement when what people see changed. One poll's answers go in one
transaction; the jobs whose state did not move, in one statement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from storage.clock import utcnow
from storage.db import Database
from storage.jobs import queue_write
from storage.models import JobRow, NotificationKind
from storage.records import JobRecord, job_record


@dataclass(frozen=True)
class Progress:
    """A running job as one poll saw it, and when to poll it next; `changed`: its status or progress moved."""

    job_id: int
    status: str
    progress: int
    moved_leads: int | None
    next_poll_at: datetime
    expected_end_at: datetime | None
    changed: bool


def record_progress_many(db: Database, *, seen: Sequence[Progress], known: Mapping[int, JobRecord]) -> None:
    """record_progress for many jobs in one transaction (one poll's answers). `known` is each job as the poll
    claimed it: a job whose status and progress did not move only gets its next poll, in one statement for all."""
    if not seen:
        return
    now = utcnow()
    quiet = [p for p in seen if _unmoved(p, known.get(p.job_id))]
    moved = [p for p in seen if not _unmoved(p, known.get(p.job_id))]
    with db.session() as session:
        if quiet:
            table = cast(Table, JobRow.__table__)
            session.connection().execute(
                update(table)
                .where(table.c.id == bindparam("job"))
                .values(next_poll_at=bindparam("due"), updated_at=now, lease_owner=None, lease_expires_at=None),
                [{"job": p.job_id, "due": p.next_poll_at} for p in quiet],
            )
        if moved:
            rows = session.scalars(select(JobRow).where(JobRow.id.in_([p.job_id for p in moved])))
            by_id = {row.id: row for row in rows}
            for progress in moved:
                row = by_id.get(progress.job_id)
                if row is not None:
                    _take_progress(session, row, progress, now=now)
        session.flush()


def _unmoved(seen: Progress, before: JobRecord | None) -> bool:
    """Nothing but the next poll to write: the same status, progress and count, and a stamp already there."""
    return (
        before is not None
        and (before.status, before.progress) == (seen.status, seen.progress)
        and before.progress_seen_at is not None
        and (seen.moved_leads is None or seen.moved_leads == before.moved_leads)
    )


def _take_progress(session: Session, row: JobRow, seen: Progress, *, now: datetime) -> None:
    row.next_poll_at, row.updated_at = seen.next_poll_at, now
    row.lease_owner, row.lease_expires_at = None, None
    if row.progress != seen.progress or row.progress_seen_at is None:
        row.progress_seen_at, row.expected_end_at = now, seen.expected_end_at
    if (row.status, row.progress) != (seen.status, seen.progress):
        row.status, row.progress = seen.status, seen.progress
        queue_write(session, row, NotificationKind.PROGRESS, None)
    if seen.moved_leads is not None:
        row.moved_leads = seen.moved_leads


def record_progress(
    db: Database,
    *,
    job_id: int,
    status: str,
    progress: int,
    moved_leads: int | None,
    next_poll_at: datetime,
    expected_end_at: datetime | None = None,
) -> JobRecord:
    """A running job's newest state; an edit of its announcement is queued when what people see changed. A change of
    progress is stamped (progress_seen_at) with the end it makes likely."""
    seen = Progress(job_id, status, progress, moved_leads, next_poll_at, expected_end_at, changed=False)
    with db.session() as session:
        row = session.get(JobRow, job_id)
        if row is None:
            raise LookupError(f"no job {job_id}")
        _take_progress(session, row, seen, now=utcnow())
        session.flush()
        return job_record(row)

"""Writing a move down before Instantly hears of it: one job per submission key, however often Slack (or anyone
replaying a signed request) delivers it, leased to the process that will send it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage import approvals, leases
from storage.clock import utcnow
from storage.db import Database
from storage.models import JobRow, Phase, SubmissionRow
from storage.orders import MoveOrder
from storage.records import JobRecord, job_record


def record_request(
    db: Database,
    *,
    team_id: str,
    channel_id: str,
    user_id: str,
    order: MoveOrder,
    owner: str,
    lease_seconds: float,
) -> JobRecord:
    """Save a move before Instantly hears of it, leased to the caller while it asks.

    If the caller dies, the lease runs out and a poller finds the job (see claim_orphans).
    """
    row = _requested_row(
        team_id=team_id, channel_id=channel_id, user_id=user_id, order=order, owner=owner, lease_seconds=lease_seconds
    )
    with db.session() as session:
        session.add(row)
        session.flush()
        return job_record(row)


@dataclass(frozen=True)
class Submitted:
    """The job a submission made; `repeat` when that submission had been delivered before."""

    record: JobRecord
    repeat: bool


def record_submitted(
    db: Database,
    *,
    submission_key: str,
    team_id: str,
    channel_id: str,
    user_id: str,
    order: MoveOrder,
    owner: str,
    lease_seconds: float,
    max_starting: int | None = None,
    approval: approvals.ApprovalRequest | None = None,
    thread_ts: str | None = None,
) -> Submitted | None:
    """Save a submitted move once per submission: a repeat delivery gets the job the first one made.

    The submission's key is unique per workspace, so however often and however concurrently Slack (or anyone
    replaying a signed request) delivers it, one job is made and so one move is sent. None, and nothing saved,
    when the person already has `max_starting` moves waiting for Instantly to start them. With `approval`, the move
    waits for an approver instead, and the request for approval is queued. With `thread_ts` it is told in that
    thread of its channel rather than in a thread of its own.
    """
    row = _requested_row(
        team_id=team_id, channel_id=channel_id, user_id=user_id, order=order, owner=owner, lease_seconds=lease_seconds
    )
    row.thread_ts = thread_ts
    try:
        with db.session() as session:
            earlier = _submitted_job(session, team_id=team_id, submission_key=submission_key)
            if earlier is not None:
                return Submitted(job_record(earlier), repeat=True)
            if max_starting is not None and _starting(session, team_id=team_id, user_id=user_id) >= max_starting:
                return None
            session.add(row)
            session.flush()
            if approval is not None:
                approvals.open_request(session, row, channel_id=approval.channel_id, expires_at=approval.expires_at)
            session.add(
                SubmissionRow(
                    team_id=team_id, key=submission_key, user_id=user_id, job_id=row.id, created_at=row.created_at
                )
            )
            session.flush()
            return Submitted(job_record(row), repeat=False)
    except IntegrityError:
        pass  # delivered twice at the same moment: the other delivery's job stands
    with db.reading() as session:
        first = _submitted_job(session, team_id=team_id, submission_key=submission_key)
        assert first is not None, "the unique key that refused this one belongs to a stored submission"
        return Submitted(job_record(first), repeat=True)


def _submitted_job(session: Session, *, team_id: str, submission_key: str) -> JobRow | None:
    query = select(JobRow).join(SubmissionRow, SubmissionRow.job_id == JobRow.id)
    return session.scalars(query.where(SubmissionRow.team_id == team_id, SubmissionRow.key == submission_key)).first()


def _starting(session: Session, *, team_id: str, user_id: str) -> int:
    query = select(func.count()).where(
        JobRow.team_id == team_id, JobRow.user_id == user_id, JobRow.phase == Phase.REQUESTED
    )
    return int(session.scalar(query) or 0)


def _requested_row(
    *, team_id: str, channel_id: str, user_id: str, order: MoveOrder, owner: str, lease_seconds: float
) -> JobRow:
    """A move not yet sent, leased to the process that will send it."""
    now = utcnow()
    row = JobRow(
        team_id=team_id,
        channel_id=channel_id,
        user_id=user_id,
        move_order=order.to_json(),
        phase=Phase.REQUESTED,
        progress=0,
        next_poll_at=now,
        created_at=now,
        updated_at=now,
    )
    leases.take(row, owner=owner, lease_seconds=lease_seconds, now=now)
    return row

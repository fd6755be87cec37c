"""Writing a move down before Instantly hears of it: one job per submission key, however often Slack (or anyone
replaying a signed request) delivers it, leased to the process that will send it."""

from __future__ import annotations

from collections.abc import Sequence
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
    """The job a submission made (and the other parts of a move sent in parts); `repeat` when that submission had
    been delivered before."""

    record: JobRecord
    repeat: bool
    parts: tuple[JobRecord, ...] = ()

    @property
    def records(self) -> tuple[JobRecord, ...]:
        return (self.record, *self.parts)


def part_key(submission_key: str, part: int) -> str:
    """The key of one part of a move sent in parts: the first is the submission's own."""
    return submission_key if part == 0 else f"{submission_key}:{part}"


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
    parts: Sequence[MoveOrder] = (),
    via: str | None = None,
    via_name: str | None = None,
    lead_count: int | None = None,
    matching: tuple[int, bool] | None = None,
) -> Submitted | None:
    """Save a submitted move once per submission: a repeat delivery gets the job the first one made.

    The submission's key is unique per workspace, so however often and however concurrently Slack (or anyone
    replaying a signed request) delivers it, one job is made and so one move is sent. None, and nothing saved,
    when the person already has `max_starting` moves waiting for Instantly to start them. With `approval`, the move
    waits for an approver instead, and the request for approval is queued. With `thread_ts` it is told in that
    thread of its channel rather than in a thread of its own. `parts` are further orders of the same move, saved in
    the same transaction under keys of their own (part_key) and approved or refused with the first.
    """
    try:
        with db.session() as session:
            earlier = _submitted_job(session, team_id=team_id, submission_key=submission_key)
            if earlier is not None:
                return Submitted(job_record(earlier), repeat=True, parts=_parts_of(session, earlier.id))
            if max_starting is not None and _starting(session, team_id=team_id, user_id=user_id) >= max_starting:
                return None
            rows: list[JobRow] = []
            for number, part in enumerate((order, *parts)):
                row = _requested_row(
                    team_id=team_id,
                    channel_id=channel_id,
                    user_id=user_id,
                    order=part,
                    owner=owner,
                    lease_seconds=lease_seconds,
                )
                row.thread_ts, row.via, row.via_name, row.lead_count = thread_ts, via, via_name, lead_count
                row.matching_count, row.matching_more = matching if matching is not None else (None, False)
                row.part_of = rows[0].id if rows else None
                session.add(row)
                session.flush()
                session.add(
                    SubmissionRow(
                        team_id=team_id,
                        key=part_key(submission_key, number),
                        user_id=user_id,
                        job_id=row.id,
                        created_at=row.created_at,
                    )
                )
                rows.append(row)
            if approval is not None:
                approvals.open_request(
                    session, rows[0], channel_id=approval.channel_id, expires_at=approval.expires_at, parts=rows[1:]
                )
            session.flush()
            return Submitted(job_record(rows[0]), repeat=False, parts=tuple(job_record(row) for row in rows[1:]))
    except IntegrityError:
        pass  # delivered twice at the same moment: the other delivery's job stands
    with db.reading() as session:
        first = _submitted_job(session, team_id=team_id, submission_key=submission_key)
        assert first is not None, "the unique key that refused this one belongs to a stored submission"
        return Submitted(job_record(first), repeat=True, parts=_parts_of(session, first.id))


def find_submitted(db: Database, *, team_id: str, submission_key: str) -> Submitted | None:
    """What a submission made, if its key was seen before (with the other parts of its move); None if it was not."""
    with db.reading() as session:
        earlier = _submitted_job(session, team_id=team_id, submission_key=submission_key)
        if earlier is None:
            return None
        return Submitted(job_record(earlier), repeat=True, parts=_parts_of(session, earlier.id))


def _parts_of(session: Session, job_id: int) -> tuple[JobRecord, ...]:
    query = select(JobRow).where(JobRow.part_of == job_id).order_by(JobRow.id)
    return tuple(job_record(row) for row in session.scalars(query))


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

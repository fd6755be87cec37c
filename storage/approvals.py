"""Big moves waiting for approval: one approver's decision moves the job on, exactly once, however many press."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage import leases, outbox
from storage.clock import utcnow
from storage.db import Database
from storage.models import ApprovalRow, ApprovalState, JobRow, NotificationKind, Phase
from storage.records import JobRecord, job_record


@dataclass(frozen=True)
class Approval:
    job_id: int
    team_id: str
    channel_id: str
    message_ts: str | None
    state: ApprovalState
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    expires_at: datetime


@dataclass(frozen=True)
class Decided:
    """A decision that took effect: the approval as it now stands, its job and the other parts of its move."""

    approval: Approval
    job: JobRecord
    parts: tuple[JobRecord, ...] = ()


@dataclass(frozen=True)
class ApprovalRequest:
    """Where a big move's request for approval is posted, and until when it may be decided."""

    channel_id: str
    expires_at: datetime


def _approval(row: ApprovalRow) -> Approval:
    return Approval(
        job_id=row.job_id,
        team_id=row.team_id,
        channel_id=row.channel_id,
        message_ts=row.message_ts,
        state=ApprovalState(row.state),
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        reason=row.reason,
        expires_at=row.expires_at,
    )


def open_request(
    session: Session, job: JobRow, *, channel_id: str, expires_at: datetime, parts: Sequence[JobRow] = ()
) -> None:
    """In the caller's transaction: the job (and the other parts of its move) waits for approval, and one request
    is queued for posting."""
    for waiting in (job, *parts):
        waiting.phase = Phase.AWAITING_APPROVAL
        waiting.lease_owner, waiting.lease_expires_at = None, None
    session.add(
        ApprovalRow(
            job_id=job.id,
            team_id=job.team_id,
            channel_id=channel_id,
            state=ApprovalState.PENDING,
            expires_at=expires_at,
            created_at=utcnow(),
        )
    )
    outbox.enqueue(session, team_id=job.team_id, job_id=job.id, channel_id=channel_id, kind=NotificationKind.APPROVAL)


def get(db: Database, *, job_id: int) -> Approval | None:
    with db.reading() as session:
        row = session.get(ApprovalRow, job_id)
        return _approval(row) if row is not None else None


def record_message(db: Database, *, job_id: int, ts: str) -> None:
    with db.session() as session:
        session.execute(update(ApprovalRow).where(ApprovalRow.job_id == job_id).values(message_ts=ts))


def decide(
    db: Database,
    *,
    job_id: int,
    state: ApprovalState,
    decided_by: str,
    reason: str | None = None,
    owner: str = "",
    lease_seconds: float = 30.0,
) -> Decided | None:
    """Settle a pending request; None if it was no longer pending (someone decided first, or it expired).

    Approved, the job becomes a requested move leased to `owner`, who sends it; otherwise it ends, with the reason
    recorded as its error, and the requester is told in the request's thread.
    """
    now = utcnow()
    conditions = [ApprovalRow.job_id == job_id, ApprovalRow.state == ApprovalState.PENDING]
    if state in (ApprovalState.APPROVED, ApprovalState.REJECTED):
        conditions.append(ApprovalRow.expires_at > now)  # past its deadline, a request can only expire
    with db.session() as session:
        won = session.execute(
            update(ApprovalRow)
            .where(*conditions)
            .values(state=state, decided_by=decided_by, decided_at=now, reason=reason)
            .execution_options(synchronize_session=False)
        )
        if not getattr(won, "rowcount", 0):
            return None
        row = session.get(ApprovalRow, job_id, populate_existing=True)
        job = session.get(JobRow, job_id, with_for_update=True)
        assert row is not None
        assert job is not None
        parts = list(
            session.scalars(
                select(JobRow)
                .where(JobRow.part_of == job_id, JobRow.phase == Phase.AWAITING_APPROVAL)
                .order_by(JobRow.id)
                .with_for_update()
            )
        )
        # The parts of a move sent in parts follow its first job quietly: one request, one reply.
        for settled in (job, *parts):
            settled.updated_at = now
            if state == ApprovalState.APPROVED:
                settled.phase = Phase.REQUESTED
                settled.next_poll_at = now
                leases.take(settled, owner=owner, lease_seconds=lease_seconds, now=now)
            else:
                settled.phase = Phase.NOT_APPROVED
                settled.finished_at = now
                settled.error = reason or f"not approved ({state})"
        if state != ApprovalState.APPROVED:
            outbox.enqueue(
                session,
                team_id=row.team_id,
                job_id=job_id,
                channel_id=row.channel_id,
                kind=NotificationKind.APPROVAL_REPLY,
            )
        outbox.enqueue(
            session, team_id=row.team_id, job_id=job_id, channel_id=row.channel_id, kind=NotificationKind.APPROVAL_EDIT
        )
        session.flush()
        return Decided(_approval(row), job_record(job), parts=tuple(job_record(part) for part in parts))


def expired(db: Database, *, limit: int = 100) -> list[int]:
    """Jobs whose request is still pending past its deadline."""
    with db.reading() as session:
        query = select(ApprovalRow.job_id).where(
            ApprovalRow.state == ApprovalState.PENDING, ApprovalRow.expires_at <= utcnow()
        )
        return list(session.scalars(query.order_by(ApprovalRow.expires_at).limit(limit)))


def pending_of(db: Database, *, team_id: str, user_id: str) -> list[int]:
    """The jobs of one person still waiting for approval."""
    with db.reading() as session:
        query = (
            select(ApprovalRow.job_id)
            .join(JobRow, JobRow.id == ApprovalRow.job_id)
            .where(
                ApprovalRow.team_id == team_id, JobRow.user_id == user_id, ApprovalRow.state == ApprovalState.PENDING
            )
        )
        return list(session.scalars(query))

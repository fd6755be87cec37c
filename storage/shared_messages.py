"""Jobs that share one Slack message: watched jobs found together are announced in one message and answered
together in its thread (bot.slack.shared_messages), recorded here for all of them in one transaction."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Final

from sqlalchemy import Row, func, select, update
from sqlalchemy.orm import Session

from storage import leases
from storage.clock import utcnow
from storage.db import Database
from storage.models import JobRow, NotificationKind, NotificationRow, NotificationState, Phase
from storage.outbox import WAITING
from storage.records import JobRecord, job_record

# A shared message names at most this many jobs: Slack takes 50 blocks a message, and a reader scrolls no further.
MAX_JOBS: Final = 50
# Fewer watched jobs than this waiting at once in a channel are announced one by one, each in a message of its own.
SHARED_FROM: Final = 4
# A reply in a shared message's thread waits this long for the jobs beside it that end soon after, so a flood of
# endings reads as a few replies, not one a second.
REPLY_GATHER_SECONDS: Final = 5.0


def records(db: Database, *, job_ids: Collection[int]) -> dict[int, JobRecord]:
    """The jobs of `job_ids` that exist, by id."""
    if not job_ids:
        return {}
    with db.reading() as session:
        rows = session.scalars(select(JobRow).where(JobRow.id.in_(list(job_ids)))).all()
        return {row.id: job_record(row) for row in rows}


def sharing(db: Database, *, record: JobRecord) -> list[JobRecord]:
    """The watched jobs announced in the same message as `record` (itself included), oldest first; [record] when it
    has a message of its own or none yet."""
    if record.via != "watch" or record.announcement_ts is None:
        return [record]
    with db.reading() as session:
        rows = session.scalars(
            select(JobRow)
            .where(
                JobRow.announcement_channel == record.announcement_channel,
                JobRow.announcement_ts == record.announcement_ts,
                JobRow.team_id == record.team_id,
            )
            .order_by(JobRow.id)
        ).all()
        return [job_record(row) for row in rows] or [record]


def shares_message(session: Session, row: JobRow | Row[*tuple[Any, ...]]) -> bool:
    """Whether a watched job's announcement is shared with other jobs (in the caller's transaction)."""
    if row.via != "watch" or row.announcement_ts is None:
        return False
    others = session.scalar(
        select(func.count())
        .select_from(JobRow)
        .where(
            JobRow.announcement_channel == row.announcement_channel,
            JobRow.announcement_ts == row.announcement_ts,
            JobRow.id != row.id,
        )
    )
    return bool(others)


def record_announcement(
    db: Database, *, team_id: str, job_ids: Collection[int], channel_id: str, ts: str, sent: Collection[int]
) -> None:
    """The message at `ts` announces these jobs: each not yet announced points at it, and their announcements waiting
    in the outbox, `sent` among them, are marked sent."""
    with db.session() as session:
        session.execute(
            update(JobRow)
            .where(JobRow.team_id == team_id, JobRow.id.in_(list(job_ids)), JobRow.announcement_ts.is_(None))
            .values(announcement_channel=channel_id, announcement_ts=ts, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        _mark_sent(session, job_ids=job_ids, kind=NotificationKind.ANNOUNCE, sent=sent)


def record_final_reply(db: Database, *, team_id: str, job_ids: Collection[int], ts: str, sent: Collection[int]) -> None:
    """The reply at `ts` tells how these jobs ended: each is done, and their replies waiting, `sent` among them, are
    marked sent."""
    with db.session() as session:
        session.execute(
            update(JobRow)
            .where(JobRow.team_id == team_id, JobRow.id.in_(list(job_ids)), JobRow.final_reply_ts.is_(None))
            .values(final_reply_ts=ts, phase=Phase.DONE, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        _mark_sent(session, job_ids=job_ids, kind=NotificationKind.FINAL, sent=sent)


def cover_edits(db: Database, *, job_ids: Collection[int]) -> list[int]:
    """The edits waiting for these jobs are covered by an edit of the message they share, about to render them all
    as they are from now: marked sent, their ids returned (a writer that holds one of them skips it; one in another
    process's hands at worst edits the message once more)."""
    if not job_ids:
        return []
    now = utcnow()
    with db.session() as session:
        covered = update(NotificationRow).where(
            NotificationRow.job_id.in_(list(job_ids)),
            NotificationRow.kind == NotificationKind.PROGRESS,
            NotificationRow.state == NotificationState.PENDING,
        )
        result = session.execute(
            covered.values(state=NotificationState.SENT, updated_at=now, **leases.FREED).returning(NotificationRow.id)
        )
        return [int(row_id) for row_id in result.scalars()]


def _mark_sent(session: Session, *, job_ids: Collection[int], kind: NotificationKind, sent: Collection[int]) -> None:
    waiting = NotificationRow.job_id.in_(list(job_ids)) & (NotificationRow.kind == kind)
    waiting &= NotificationRow.state.in_(WAITING)
    if sent:
        waiting |= NotificationRow.id.in_(list(sent))
    session.execute(
        update(NotificationRow)
        .where(waiting)
        .values(state=NotificationState.SENT, updated_at=utcnow(), **leases.FREED)
        .execution_options(synchronize_session=False)
    )


def move_announcement(db: Database, *, records: Collection[JobRecord], channel_id: str, ts: str) -> None:
    """The shared message is now at `ts` (the old one was gone): every job it names points at it."""
    with db.session() as session:
        session.execute(
            update(JobRow)
            .where(JobRow.id.in_([record.id for record in records]))
            .values(announcement_channel=channel_id, announcement_ts=ts, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )

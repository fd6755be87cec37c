"""The outbox of Slack writes: enqueued with the job change that causes them, claimed under a lease, never lost.

A row names what to send (kind) for which job; the text is rendered from the job when it is sent, so a pending
progress edit always shows the newest state and several changes coalesce into one write.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Row, Table, and_, delete, func, insert, select, update
from sqlalchemy.orm import Session

from storage import leases
from storage.clock import utcnow
from storage.db import Database
from storage.models import (
    NOTIFICATION_PRIORITY,
    NotificationKind,
    NotificationRow,
    NotificationState,
)

_ONCE_ONLY = frozenset(
    {
        NotificationKind.ANNOUNCE,
        NotificationKind.FINAL,
        NotificationKind.NOTE,
        NotificationKind.APPROVAL,
        NotificationKind.APPROVAL_EDIT,
        NotificationKind.APPROVAL_REPLY,
    }
)
# chat.update calls, paced per workspace; every other write is a post, paced per channel.
EDITS = (NotificationKind.PROGRESS, NotificationKind.APPROVAL_EDIT)
# Rows in these states still wait to be sent (a SENDING one may be in Slack already: see bot.slack.lookback).
WAITING = (NotificationState.PENDING, NotificationState.SENDING)
AnyRow = Row[*tuple[Any, ...]]


@dataclass(frozen=True)
class Notification:
    id: int
    team_id: str
    job_id: int
    kind: NotificationKind
    channel_id: str
    state: NotificationState  # SENDING here means an earlier attempt may have reached Slack
    attempts: int
    detail: str | None
    attempted_at: datetime | None
    sent_to: str | None  # where the last attempt went
    # May go in one message with others of its kind waiting in its channel (storage.shared_messages).
    groupable: bool = False


def as_notification(row: NotificationRow | AnyRow) -> Notification:
    """A row (or the same columns read without the ORM) as the plain value the writer and the reporter work with."""
    return Notification(
        id=row.id,
        team_id=row.team_id,
        job_id=row.job_id,
        kind=NotificationKind(row.kind),
        channel_id=row.channel_id,
        state=NotificationState(row.state),
        attempts=row.attempts,
        detail=row.detail,
        attempted_at=row.attempted_at,
        sent_to=row.sent_to,
        groupable=bool(row.groupable),
    )


TABLE = cast(Table, NotificationRow.__table__)


def enqueue(
    session: Session,
    *,
    team_id: str,
    job_id: int,
    channel_id: str,
    kind: NotificationKind,
    detail: str | None = None,
    priority: int | None = None,
    groupable: bool = False,
    delay: float = 0.0,
) -> bool:
    """Add a write in the caller's transaction; False when an equivalent one already waits (or was sent once).

    `priority` (default: the kind's) is raised on an equivalent write still waiting: e.g. an ended job's last edit
    goes before the progress edits of jobs still running. A `groupable` write may share its Slack message with
    others; `delay` holds it back that many seconds."""
    rank = NOTIFICATION_PRIORITY[kind] if priority is None else priority
    # An edit a writer has taken was drawn from the job as it was then: it cannot stand for this change.
    waiting = and_(NotificationRow.state == NotificationState.PENDING, NotificationRow.lease_owner.is_(None))
    if kind in _ONCE_ONLY:
        waiting = NotificationRow.state != NotificationState.FAILED
    found = session.execute(
        select(NotificationRow.id, NotificationRow.state, NotificationRow.priority)
        .where(NotificationRow.job_id == job_id, NotificationRow.kind == kind, waiting)
        .limit(1)
    ).first()
    if found is not None:
        if found.state == NotificationState.PENDING and rank < found.priority:
            session.execute(
                update(NotificationRow)
                .where(NotificationRow.id == found.id)
                .values(priority=rank)
                .execution_options(synchronize_session=False)
            )
        return False
    now = utcnow()
    session.execute(
        insert(NotificationRow).values(
            team_id=team_id,
            job_id=job_id,
            kind=kind,
            channel_id=channel_id,
            priority=rank,
            state=NotificationState.PENDING,
            detail=detail,
            attempts=0,
            groupable=groupable,
            not_before=now + timedelta(seconds=delay),
            created_at=now,
            updated_at=now,
        )
    )
    return True


def _set(db: Database, notification_id: int, **values: object) -> None:
    with db.session() as session:
        _set_in(session, notification_id, **values)


def _set_in(session: Session, notification_id: int, **values: object) -> None:
    session.execute(update(TABLE).where(TABLE.c.id == notification_id).values(updated_at=utcnow(), **values))


def mark_sending(db: Database, *, notification_id: int, sent_to: str, along: Collection[int] = ()) -> None:
    """Written just before the Slack call, so a crash during it is known to have maybe reached Slack, and where.
    `along`: the writes that go in the same message, marked as one attempt (the same `attempted_at`)."""
    with db.session() as session:
        session.execute(
            update(TABLE)
            .where(TABLE.c.id.in_([notification_id, *along]))
            .values(
                state=NotificationState.SENDING,
                attempted_at=utcnow(),
                attempts=TABLE.c.attempts + 1,
                sent_to=sent_to,
                updated_at=utcnow(),
            )
        )


def mark_sent_elsewhere(db: Database, *, notification_id: int, sent_to: str, along: Collection[int] = ()) -> None:
    """The same attempt goes on somewhere else (a DM instead of a channel that refused it)."""
    with db.session() as session:
        ids = [notification_id, *along]
        session.execute(update(TABLE).where(TABLE.c.id.in_(ids)).values(sent_to=sent_to, updated_at=utcnow()))


def mark_sent(db: Database, *, notification_id: int, ts: str | None) -> None:
    _set(db, notification_id, state=NotificationState.SENT, sent_ts=ts, **leases.FREED)


def mark_sent_in(session: Session, *, notification_id: int) -> None:
    """The write is out, said in the caller's transaction: the one that records where it went."""
    _set_in(session, notification_id, state=NotificationState.SENT, **leases.FREED)


def retry_later(
    db: Database, *, notification_id: int, attempts: int, delay: float, error: str, maybe_sent: bool = False
) -> None:
    """Try again after `delay` seconds; `attempts` counts the failed tries so far.

    `maybe_sent`: an earlier call may have reached Slack, so the next attempt looks before sending again.
    """
    _set(
        db,
        notification_id,
        attempts=attempts,
        state=NotificationState.SENDING if maybe_sent else NotificationState.PENDING,
        not_before=utcnow() + timedelta(seconds=delay),
        error=error[:500],
        **leases.FREED,
    )


def defer(db: Database, *, notification_id: int, delay: float) -> None:
    """Not an error: a rate limit says not yet."""
    _set(db, notification_id, not_before=utcnow() + timedelta(seconds=delay), **leases.FREED)


def keep_place(db: Database, *, notification_ids: Collection[int]) -> None:
    """Not sent now, for their channels are busy: the leases are given up and the writes keep their places in the
    queue (the claim leaves busy channels out until they are free)."""
    with db.session() as session:
        session.execute(update(TABLE).where(TABLE.c.id.in_(list(notification_ids))).values(**leases.FREED))


def mark_failed(db: Database, *, notification_id: int, error: str) -> None:
    _set(db, notification_id, state=NotificationState.FAILED, error=error[:500], **leases.FREED)


def resume_team(db: Database, *, team_id: str) -> None:
    """A workspace's token works again: its held-back writes are due now."""
    with db.session() as session:
        session.execute(
            update(NotificationRow)
            .where(NotificationRow.team_id == team_id, NotificationRow.state.in_(WAITING))
            .values(not_before=utcnow())
            .execution_options(synchronize_session=False)
        )


def prune(db: Database, *, older_than: timedelta) -> int:
    """Forget progress edits sent long ago; the once-only rows stay as the record that they were sent."""
    with db.session() as session:
        result = session.execute(
            delete(NotificationRow)
            .where(
                NotificationRow.kind == NotificationKind.PROGRESS,
                NotificationRow.state == NotificationState.SENT,
                NotificationRow.updated_at < utcnow() - older_than,
            )
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def release_leases(db: Database, *, owner: str) -> int:
    with db.session() as session:
        return leases.release(session, NotificationRow, owner=owner)


def waiting(db: Database) -> int:
    """How many writes are not yet sent or given up."""
    with db.reading() as session:
        states = (NotificationState.PENDING, NotificationState.SENDING)
        count = session.scalar(
            select(func.count()).select_from(NotificationRow).where(NotificationRow.state.in_(states))
        )
        return int(count or 0)

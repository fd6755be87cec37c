"""The outbox of Slack writes: enqueued with the job change that causes them, claimed under a lease, never lost.

A row names what to send (kind) for which job; the text is rendered from the job when it is sent, so a pending
progress edit always shows the newest state and several changes coalesce into one write.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, Row, case, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from storage import leases
from storage.clock import utcnow
from storage.db import Database
from storage.models import (
    FINAL_EDIT_PRIORITY,
    NOTIFICATION_PRIORITY,
    NotificationKind,
    NotificationRow,
    NotificationState,
    WorkspaceRow,
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
# Writes that stand alone; the others edit or reply to an anchor and wait until it is out.
_ANCHORS = (NotificationKind.ANNOUNCE, NotificationKind.NOTE, NotificationKind.APPROVAL)
_WAITING = (NotificationState.PENDING, NotificationState.SENDING)
_AnyRow = Row[*tuple[Any, ...]]
# A final reply waits at most this long for its announcement's last edit, so the message above it shows the end
# first. It never waits while its workspace has no edit to spare: Slack allows far fewer edits than posts.
REPLY_WAITS_FOR_EDIT_SECONDS: Final = 5.0
# Routine progress edits leave this many of a workspace's edits for the last edit of a job that ended.
EDITS_KEPT_FOR_ENDS: Final = 1


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


def as_notification(row: NotificationRow | _AnyRow) -> Notification:
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
    )


# What a claim reads of each candidate: plain columns, since the writer claims several times a second and most
# candidates are left where they are.
_CLAIMED_COLUMNS = (
    NotificationRow.id,
    NotificationRow.team_id,
    NotificationRow.job_id,
    NotificationRow.kind,
    NotificationRow.channel_id,
    NotificationRow.state,
    NotificationRow.attempts,
    NotificationRow.detail,
    NotificationRow.attempted_at,
    NotificationRow.sent_to,
    NotificationRow.priority,
)


def enqueue(
    session: Session,
    *,
    team_id: str,
    job_id: int,
    channel_id: str,
    kind: NotificationKind,
    detail: str | None = None,
    priority: int | None = None,
) -> bool:
    """Add a write in the caller's transaction; False when an equivalent one already waits (or was sent once).

    `priority` (default: the kind's) is raised on an equivalent write still waiting: e.g. an ended job's last edit
    goes before the progress edits of jobs still running."""
    rank = NOTIFICATION_PRIORITY[kind] if priority is None else priority
    waiting = NotificationRow.state == NotificationState.PENDING
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
            not_before=now,
            created_at=now,
            updated_at=now,
        )
    )
    return True


def claim_due(
    db: Database,
    *,
    owner: str,
    lease_seconds: float,
    limit: int = 100,
    skip_teams: Collection[str] = (),
    skip_channels: Collection[str] = (),
    skip_edits_of: Collection[str] = (),
    edits_allowed: Callable[[str], int] | None = None,
) -> list[Notification]:
    """Lease the writes that are due, most urgent first; an expired lease on a write in flight is taken over.

    A workspace whose token Slack refused is left out until it has a working one. The skip_* filters leave out what
    the caller's rate limits would not let it send now. With `edits_allowed` (how many edits a workspace may make
    now) only what can go at once is leased: that many edits per workspace and one post per channel. The rest is
    left as it is, unleased, for a later round: leasing it only to put it back would cost a write each.
    """
    now = utcnow()
    anchor = aliased(NotificationRow)
    # An edit or a thread reply needs its anchor: it waits while the job's announcement (or, for a decision, its
    # request for approval) is still on its way.
    anchor_kind = case(
        (
            NotificationRow.kind.in_((NotificationKind.APPROVAL_EDIT, NotificationKind.APPROVAL_REPLY)),
            NotificationKind.APPROVAL.value,
        ),
        else_=NotificationKind.ANNOUNCE.value,
    )
    anchor_pending = (
        select(anchor.id)
        .where(anchor.job_id == NotificationRow.job_id, anchor.kind == anchor_kind, anchor.state.in_(_WAITING))
        .exists()
    )
    query = (
        select(NotificationRow)
        .where(
            NotificationRow.state.in_(_WAITING),
            NotificationRow.not_before <= now,
            leases.is_free(NotificationRow, now=now),
            or_(NotificationRow.kind.in_(_ANCHORS), ~anchor_pending),
            _reply_after_last_edit(now=now, edits_held_in=skip_edits_of),
            ~_token_revoked(),
        )
        .order_by(NotificationRow.priority, NotificationRow.not_before, NotificationRow.id)
        .limit(limit)
    )
    if skip_teams:
        query = query.where(NotificationRow.team_id.not_in(list(skip_teams)))
    if skip_channels:  # post spacing: edits are paced per workspace, not per channel
        query = query.where(
            or_(NotificationRow.kind.in_(EDITS), NotificationRow.channel_id.not_in(list(skip_channels)))
        )
    if skip_edits_of:  # edits are paced per workspace
        query = query.where(
            or_(NotificationRow.kind.not_in(EDITS), NotificationRow.team_id.not_in(list(skip_edits_of)))
        )
    columns = query.with_only_columns(*_CLAIMED_COLUMNS)
    with db.session() as session:
        if edits_allowed is None:
            rows = leases.claim(
                session, columns, model=NotificationRow, owner=owner, lease_seconds=lease_seconds, now=now
            )
            return [as_notification(row) for row in rows]
        candidates = session.execute(columns.limit(limit * 4).with_for_update(skip_locked=True)).all()
        chosen = _sendable_now(candidates, edits_allowed=edits_allowed)[:limit]
        ids = [row.id for row in chosen]
        leases.lease(session, NotificationRow, ids, owner=owner, lease_seconds=lease_seconds, now=now)
        return [as_notification(row) for row in chosen]


def _token_revoked() -> ColumnElement[bool]:
    """The row's workspace has no working token: its writes wait until it has one (storage.workspaces)."""
    return (
        select(WorkspaceRow.team_id)
        .where(WorkspaceRow.team_id == NotificationRow.team_id, WorkspaceRow.slack_revoked_at.is_not(None))
        .exists()
    )


def _reply_after_last_edit(*, now: datetime, edits_held_in: Collection[str]) -> ColumnElement[bool]:
    """A final reply is due once its job's last edit is out (or not due, or held, or waited for long enough)."""
    edit = aliased(NotificationRow)
    last_edit_on_its_way = (
        select(edit.id)
        .where(
            edit.job_id == NotificationRow.job_id,
            edit.kind == NotificationKind.PROGRESS,
            edit.state.in_(_WAITING),
            edit.not_before <= now,
        )
        .exists()
    )
    ready = or_(
        NotificationRow.kind != NotificationKind.FINAL,
        NotificationRow.created_at <= now - timedelta(seconds=REPLY_WAITS_FOR_EDIT_SECONDS),
        ~last_edit_on_its_way,
    )
    if edits_held_in:
        ready = or_(ready, NotificationRow.team_id.in_(list(edits_held_in)))
    return ready


def _sendable_now(rows: Sequence[_AnyRow], *, edits_allowed: Callable[[str], int]) -> list[_AnyRow]:
    """The rows, in order, that fit one round: each workspace's allowed edits (routine ones leaving a few for ended
    jobs), one post per channel."""
    edits_left: dict[str, int] = {}
    posted: set[str] = set()
    chosen = []
    for row in rows:
        if row.kind in EDITS:
            left = edits_left.setdefault(row.team_id, edits_allowed(row.team_id))
            kept = 0 if row.priority <= FINAL_EDIT_PRIORITY else EDITS_KEPT_FOR_ENDS
            if left <= kept:
                continue
            edits_left[row.team_id] = left - 1
        elif row.channel_id in posted:
            continue
        else:
            posted.add(row.channel_id)
        chosen.append(row)
    return chosen


def _set(db: Database, notification_id: int, **values: object) -> None:
    with db.session() as session:
        session.execute(
            update(NotificationRow)
            .where(NotificationRow.id == notification_id)
            .values(updated_at=utcnow(), **values)
            .execution_options(synchronize_session=False)
        )


def mark_sending(db: Database, *, notification_id: int, sent_to: str) -> None:
    """Written just before the Slack call, so a crash during it is known to have maybe reached Slack, and where."""
    with db.session() as session:
        row = session.get(NotificationRow, notification_id)
        if row is not None:
            row.state = NotificationState.SENDING
            row.attempted_at = row.updated_at = utcnow()
            row.attempts += 1
            row.sent_to = sent_to


def mark_sent_elsewhere(db: Database, *, notification_id: int, sent_to: str) -> None:
    """The same attempt goes on somewhere else (a DM instead of a channel that refused it)."""
    _set(db, notification_id, sent_to=sent_to)


def mark_sent(db: Database, *, notification_id: int, ts: str | None) -> None:
    _set(db, notification_id, state=NotificationState.SENT, sent_ts=ts, **leases.FREED)


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


def mark_failed(db: Database, *, notification_id: int, error: str) -> None:
    _set(db, notification_id, state=NotificationState.FAILED, error=error[:500], **leases.FREED)


def resume_team(db: Database, *, team_id: str) -> None:
    """A workspace's token works again: its held-back writes are due now."""
    with db.session() as session:
        session.execute(
            update(NotificationRow)
            .where(NotificationRow.team_id == team_id, NotificationRow.state.in_(_WAITING))
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

"""The outbox of Slack writes: enqueued with the job change that causes them, claimed under a lease, never lost.

A row names what to send (kind) for which job; the text is rendered from the job when it is sent, so a pending
progress edit always shows the newest state and several changes coalesce into one write.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import ColumnElement, Row, Select, Table, bindparam, case, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

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
    "id",
    "team_id",
    "job_id",
    "kind",
    "channel_id",
    "state",
    "attempts",
    "detail",
    "attempted_at",
    "sent_to",
    "priority",
)
_OUTBOX = cast(Table, NotificationRow.__table__)
# How many ended jobs' last edits wait in each workspace (an ended job's edit is raised to FINAL_EDIT_PRIORITY).
_LAST_EDITS_WAITING = (
    select(_OUTBOX.c.team_id, func.count())
    .where(
        _OUTBOX.c.state == NotificationState.PENDING,
        _OUTBOX.c.kind == NotificationKind.PROGRESS,
        _OUTBOX.c.priority <= FINAL_EDIT_PRIORITY,
    )
    .group_by(_OUTBOX.c.team_id)
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
    edits_within_wait: Callable[[str], float] | None = None,
) -> list[Notification]:
    """Lease the writes that are due, most urgent first; an expired lease on a write in flight is taken over.

    A workspace whose token Slack refused is left out until it has a working one. The skip_* filters leave out what
    the caller's rate limits would not let it send now. With `edits_allowed` (how many edits a workspace may make
    now) only what can go at once is leased: that many edits per workspace and one post per channel. The rest is
    left as it is, unleased, for a later round: leasing it only to put it back would cost a write each.

    A final reply waits for its job's last edit (see _reply_after_last_edit) only where that edit can go within the
    wait: not in a workspace in `skip_edits_of`, nor in one where more ended jobs' last edits wait than
    `edits_within_wait` says it may make within REPLY_WAITS_FOR_EDIT_SECONDS.
    """
    now = utcnow()
    rows = limit if edits_allowed is None else limit * 4
    with db.session() as session:
        replies_first = set(skip_edits_of)
        if edits_within_wait is not None:
            backlog = session.execute(_LAST_EDITS_WAITING).all()
            replies_first |= {team for team, waiting in backlog if waiting > edits_within_wait(team)}
        query = _claim_statement(
            skip_teams=bool(skip_teams),
            skip_channels=bool(skip_channels),
            skip_edits=bool(skip_edits_of),
            replies_first=bool(replies_first),
            rows=rows,
        )
        params: dict[str, object] = {"now": now, "waited_since": now - timedelta(seconds=REPLY_WAITS_FOR_EDIT_SECONDS)}
        lists = {
            "skip_teams": skip_teams,
            "skip_channels": skip_channels,
            "edits_held": skip_edits_of,
            "replies_first": replies_first,
        }
        params.update({name: list(values) for name, values in lists.items() if values})
        if edits_allowed is None:
            claimed = leases.claim(
                session, query, params, table=_OUTBOX, owner=owner, lease_seconds=lease_seconds, now=now
            )
            return [as_notification(row) for row in claimed]
        candidates = session.execute(query, {**params, **leases.free_params(now)}).all()
        chosen = _sendable_now(candidates, edits_allowed=edits_allowed)[:limit]
        ids = [row.id for row in chosen]
        leases.lease(session, _OUTBOX, ids, owner=owner, lease_seconds=lease_seconds, now=now)
        return [as_notification(row) for row in chosen]


@functools.cache
def _claim_statement(
    *, skip_teams: bool, skip_channels: bool, skip_edits: bool, replies_first: bool, rows: int
) -> Select[Any]:
    """The writer's claim, built once per shape and executed several times a second with bind parameters: `now`,
    `waited_since` (see _reply_after_last_edit), and the lists `skip_teams`, `skip_channels`, `edits_held` and
    `replies_first` when the shape has them."""
    outbox = _OUTBOX.c
    anchor = _OUTBOX.alias("anchor")
    # An edit or a thread reply needs its anchor: it waits while the job's announcement (or, for a decision, its
    # request for approval) is still on its way.
    anchor_kind = case(
        (
            outbox.kind.in_((NotificationKind.APPROVAL_EDIT, NotificationKind.APPROVAL_REPLY)),
            NotificationKind.APPROVAL.value,
        ),
        else_=NotificationKind.ANNOUNCE.value,
    )
    anchor_pending = (
        select(anchor.c.id)
        .where(anchor.c.job_id == outbox.job_id, anchor.c.kind == anchor_kind, anchor.c.state.in_(_WAITING))
        .exists()
    )
    query = (
        select(*(getattr(outbox, name) for name in _CLAIMED_COLUMNS))
        .where(
            outbox.state.in_(_WAITING),
            outbox.not_before <= bindparam("now"),
            leases.is_free(_OUTBOX),
            or_(outbox.kind.in_(_ANCHORS), ~anchor_pending),
            _reply_after_last_edit(replies_first=replies_first),
            ~_token_revoked(),
        )
        .order_by(outbox.priority, outbox.not_before, outbox.id)
        .limit(rows)
    )
    if skip_teams:
        query = query.where(outbox.team_id.not_in(bindparam("skip_teams", expanding=True)))
    if skip_channels:  # post spacing: edits are paced per workspace, not per channel
        query = query.where(
            or_(outbox.kind.in_(EDITS), outbox.channel_id.not_in(bindparam("skip_channels", expanding=True)))
        )
    if skip_edits:  # edits are paced per workspace
        query = query.where(
            or_(outbox.kind.not_in(EDITS), outbox.team_id.not_in(bindparam("edits_held", expanding=True)))
        )
    return leases.claimable(query)


def _token_revoked() -> ColumnElement[bool]:
    """The row's workspace has no working token: its writes wait until it has one (storage.workspaces)."""
    workspaces = WorkspaceRow.__table__.c
    return (
        select(workspaces.team_id)
        .where(workspaces.team_id == _OUTBOX.c.team_id, workspaces.slack_revoked_at.is_not(None))
        .exists()
    )


def _reply_after_last_edit(*, replies_first: bool) -> ColumnElement[bool]:
    """A final reply is due once its job's last edit is out (or not due, or waited for long enough: created before
    `waited_since`, or in a workspace of `replies_first`, whose edits cannot go soon)."""
    outbox = _OUTBOX.c
    edit = _OUTBOX.alias("edit")
    last_edit_on_its_way = (
        select(edit.c.id)
        .where(
            edit.c.job_id == outbox.job_id,
            edit.c.kind == NotificationKind.PROGRESS,
            edit.c.state.in_(_WAITING),
            edit.c.not_before <= bindparam("now"),
        )
        .exists()
    )
    ready = or_(
        outbox.kind != NotificationKind.FINAL,
        outbox.created_at <= bindparam("waited_since"),
        ~last_edit_on_its_way,
    )
    if replies_first:
        ready = or_(ready, outbox.team_id.in_(bindparam("replies_first", expanding=True)))
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
        _set_in(session, notification_id, **values)


def _set_in(session: Session, notification_id: int, **values: object) -> None:
    session.execute(update(_OUTBOX).where(_OUTBOX.c.id == notification_id).values(updated_at=utcnow(), **values))


def mark_sending(db: Database, *, notification_id: int, sent_to: str) -> None:
    """Written just before the Slack call, so a crash during it is known to have maybe reached Slack, and where."""
    _set(
        db,
        notification_id,
        state=NotificationState.SENDING,
        attempted_at=utcnow(),
        attempts=_OUTBOX.c.attempts + 1,
        sent_to=sent_to,
    )


def mark_sent_elsewhere(db: Database, *, notification_id: int, sent_to: str) -> None:
    """The same attempt goes on somewhere else (a DM instead of a channel that refused it)."""
    _set(db, notification_id, sent_to=sent_to)


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

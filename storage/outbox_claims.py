"""Which of the outbox's writes may go to Slack now: the writer's claim, most urgent first, within what Slack's
limits let it send, each edit or reply after its anchor, and a final reply after its announcement's last edit."""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Sequence
from datetime import timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, bindparam, case, func, or_, select

from storage import leases
from storage.clock import utcnow
from storage.db import Database
from storage.models import FINAL_EDIT_PRIORITY, NotificationKind, NotificationState, WorkspaceRow
from storage.outbox import EDITS, TABLE, WAITING, AnyRow, Notification, as_notification
from storage.shared_messages import MAX_JOBS as MAX_SHARED

# A final reply waits at most this long for its announcement's last edit, so the message above it shows the end
# first. It never waits while its workspace has no edit to spare: Slack allows far fewer edits than posts.
REPLY_WAITS_FOR_EDIT_SECONDS: Final = 5.0
# Routine progress edits leave this many of a workspace's edits for the last edit of a job that ended.
EDITS_KEPT_FOR_ENDS: Final = 1
# Writes that stand alone; the others edit or reply to an anchor and wait until it is out.
_ANCHORS = (NotificationKind.ANNOUNCE, NotificationKind.NOTE, NotificationKind.APPROVAL)

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
    "groupable",
)
# How many ended jobs' last edits wait in each workspace (an ended job's edit is raised to FINAL_EDIT_PRIORITY).
_LAST_EDITSWAITING = (
    select(TABLE.c.team_id, func.count())
    .where(
        TABLE.c.state == NotificationState.PENDING,
        TABLE.c.kind == NotificationKind.PROGRESS,
        TABLE.c.priority <= FINAL_EDIT_PRIORITY,
    )
    .group_by(TABLE.c.team_id)
)


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
            backlog = session.execute(_LAST_EDITSWAITING).all()
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
                session, query, params, table=TABLE, owner=owner, lease_seconds=lease_seconds, now=now
            )
            return [as_notification(row) for row in claimed]
        candidates = session.execute(query, {**params, **leases.free_params(now)}).all()
        chosen = _sendable_now(candidates, edits_allowed=edits_allowed)[:limit]
        ids = [row.id for row in chosen]
        leases.lease(session, TABLE, ids, owner=owner, lease_seconds=lease_seconds, now=now)
        return [as_notification(row) for row in chosen]


@functools.cache
def _claim_statement(
    *, skip_teams: bool, skip_channels: bool, skip_edits: bool, replies_first: bool, rows: int
) -> Select[Any]:
    """The writer's claim, built once per shape and executed several times a second with bind parameters: `now`,
    `waited_since` (see _reply_after_last_edit), and the lists `skip_teams`, `skip_channels`, `edits_held` and
    `replies_first` when the shape has them."""
    outbox = TABLE.c
    anchor = TABLE.alias("anchor")
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
        .where(anchor.c.job_id == outbox.job_id, anchor.c.kind == anchor_kind, anchor.c.state.in_(WAITING))
        .exists()
    )
    query = (
        select(*(getattr(outbox, name) for name in _CLAIMED_COLUMNS))
        .where(
            outbox.state.in_(WAITING),
            outbox.not_before <= bindparam("now"),
            leases.is_free(TABLE),
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
        .where(workspaces.team_id == TABLE.c.team_id, workspaces.slack_revoked_at.is_not(None))
        .exists()
    )


def _reply_after_last_edit(*, replies_first: bool) -> ColumnElement[bool]:
    """A final reply is due once its job's last edit is out (or not due, or waited for long enough: created before
    `waited_since`, or in a workspace of `replies_first`, whose edits cannot go soon)."""
    outbox = TABLE.c
    edit = TABLE.alias("edit")
    last_edit_on_its_way = (
        select(edit.c.id)
        .where(
            edit.c.job_id == outbox.job_id,
            edit.c.kind == NotificationKind.PROGRESS,
            edit.c.state.in_(WAITING),
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


def _sendable_now(rows: Sequence[AnyRow], *, edits_allowed: Callable[[str], int]) -> list[AnyRow]:
    """The rows, in order, that fit one round: each workspace's allowed edits (routine ones leaving a few for ended
    jobs), one post per channel, and with a groupable post the others of its kind that may share its message."""
    edits_left: dict[str, int] = {}
    posted: dict[str, tuple[str | None, int]] = {}  # channel: the kind of its groupable post (else None), and rows
    chosen = []
    for row in rows:
        if row.kind in EDITS:
            left = edits_left.setdefault(row.team_id, edits_allowed(row.team_id))
            kept = 0 if row.priority <= FINAL_EDIT_PRIORITY else EDITS_KEPT_FOR_ENDS
            if left <= kept:
                continue
            edits_left[row.team_id] = left - 1
        elif row.channel_id in posted:
            kind, taken = posted[row.channel_id]
            if not row.groupable or row.kind != kind or taken >= MAX_SHARED:
                continue
            posted[row.channel_id] = (kind, taken + 1)
        else:
            posted[row.channel_id] = (row.kind if row.groupable else None, 1)
        chosen.append(row)
    return chosen

"""The move modal's view_submission: field errors inline, or the move written down, "starting" acked, then sent.

A move with no limit and no filter takes every lead of the source: it is not sent but answered with a pushed
confirmation that states the count, and the confirmation's own submission starts it, down the same path.

Slack may deliver one submission more than once (a retry after a slow ack), and a captured signed request can be
replayed: each is keyed by its view id and hash and recorded before the ack, so a repeat sends and posts nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Final

from slack_bolt import Ack, App, BoltContext

from bot.moves import Requester
from bot.services import Services
from handlers import ids, move_form, move_notices_view, preview_view
from handlers.context import services_of, team_and_user
from storage.orders import MoveOrder
from storage.records import JobRecord

log = logging.getLogger(__name__)

VIEW_SETTLE_SECONDS: Final = 1.0
# How long the submission may ask Instantly for the count it confirms, when no recent preview left it: Slack
# wants the push within 3 s.
CONFIRM_COUNT_SECONDS: Final = 1.5
UNREADABLE: Final = "leadmover could not read this confirmation, so nothing was started. Go back and press Start again."
NOT_CONNECTED: Final = (
    "This workspace's Instantly connection was removed, so nothing can be moved. An admin can run /leads connect."
)


def register(app: App) -> None:
    app.view(ids.MOVE_MODAL)(handle_move_submission)
    app.view(ids.CONFIRM_MODAL)(handle_confirmation)


def submission_key(view: dict[str, Any]) -> str:
    """What identifies one submission of one view: Slack gives each rendering of a view a new hash."""
    return f"view:{view.get('id', '')}:{view.get('hash', '')}"


def handle_move_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    order = move_form.parse(view)
    if isinstance(order, dict):
        ack(response_action="errors", errors=order)
        return
    services = services_of(context)
    team_id, user_id = team_and_user(body, context)
    channel_id = move_form.channel_of(view) or user_id

    def refuse(text: str) -> None:
        ack(response_action="errors", errors={ids.SOURCE: text})

    if move_form.takes_everything(order):
        _confirm(ack, services=services, order=order, team_id=team_id, user_id=user_id, channel_id=channel_id)
        return
    requester = Requester(team_id=team_id, user_id=user_id, channel_id=channel_id)
    _start(ack, refuse, services=services, order=order, view=view, requester=requester)


def handle_confirmation(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    """The confirmation's submit: the order it carries starts as any submission does, keyed by this view."""
    services = services_of(context)
    team_id, user_id = team_and_user(body, context)
    carried = preview_view.confirmed(view)

    def refuse(text: str) -> None:
        # The confirmation has no input to put an error beside: a notice says it, and Back returns to the form.
        ack(response_action="update", view=move_notices_view.refused_view(text))

    if carried is None:
        refuse(UNREADABLE)
        return
    channel_id, order = carried
    requester = Requester(team_id=team_id, user_id=user_id, channel_id=channel_id)
    _start(ack, refuse, services=services, order=order, view=view, requester=requester)


def _confirm(ack: Ack, *, services: Services, order: MoveOrder, team_id: str, user_id: str, channel_id: str) -> None:
    """Push the confirmation of a move of every lead, once it could start at all; nothing is recorded yet."""
    try:
        refused = services.access.refusal_to_move(team_id=team_id, user_id=user_id)
        if refused is None and not services.workspaces.is_connected(team_id):
            refused = NOT_CONNECTED
    except Exception:
        log.exception("could not check a move of every lead before confirming it; nothing was sent")
        ack(response_action="update", view=move_notices_view.not_saved_view())
        return
    if refused is not None:
        ack(response_action="errors", errors={ids.SOURCE: refused})
        return
    count = services.preview.count(team_id=team_id, source=order.source, timeout=CONFIRM_COUNT_SECONDS)
    ack(response_action="push", view=preview_view.confirm_view(order=order, count=count, channel_id=channel_id))


def _start(
    ack: Ack,
    refuse: Callable[[str], None],
    *,
    services: Services,
    order: MoveOrder,
    view: dict[str, Any],
    requester: Requester,
) -> None:
    """Check, record under this view's id and hash, then ask for approval or start: one path for every submission."""
    team_id, user_id = requester.team_id, requester.user_id
    approval = services.approvals.request_for(order, origin_channel=requester.channel_id)
    # Written down before the ack: once the person is told it is starting, the move cannot be forgotten.
    try:
        refused = services.access.refusal_to_move(team_id=team_id, user_id=user_id)
        connected = refused is None and services.workspaces.is_connected(team_id)
        submitted = (
            services.moves.accept(
                order=order, requester=requester, submission_key=submission_key(view), approval=approval
            )
            if connected
            else None
        )
    except Exception:
        log.exception("could not write a submitted move down; nothing was sent")
        ack(response_action="update", view=move_notices_view.not_saved_view())
        return
    if refused is not None:
        refuse(refused)
        return
    if not connected:
        refuse(NOT_CONNECTED)
        return
    if submitted is None:
        # The form stays open with everything filled in, so pressing Start again later is all it takes.
        refuse(_too_many(services.moves.max_starting_per_user))
        return
    if approval is not None:
        ack(
            response_action="update",
            view=move_notices_view.awaiting_approval_view(submitted.record.move, approval.channel_id),
        )
        return
    # Instantly may take longer than Slack's 3 s: the person sees "starting" now, the outcome when it comes.
    ack(response_action="update", view=move_notices_view.starting_view(submitted.record.move))
    if submitted.repeat:
        log.info("job %s: submission delivered again; nothing more to do", submitted.record.id)
        return
    view_id, acked_at = str(view.get("id", "")), time.monotonic()

    def show_outcome(record: JobRecord) -> None:
        # Slack applies the ack's view a moment after it gets the answer; an update that overtook it would be lost.
        services.reporter.update_view(
            team_id=team_id,
            view_id=view_id,
            view=move_notices_view.result_view(record),
            not_before=acked_at + VIEW_SETTLE_SECONDS,
        )

    services.starts.submit(submitted.record, then=show_outcome)


def _too_many(limit: int | None) -> str:
    return (
        f"You have {limit} moves waiting for Instantly to start them. Press Start again once one of them has "
        "started; the announcements in the channel show when."
    )

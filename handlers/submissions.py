"""The move modal's view_submission: field errors inline, or the move written down, "starting" acked, then sent.

Slack may deliver one submission more than once (a retry after a slow ack), and a captured signed request can be
replayed: each is keyed by its view id and hash and recorded before the ack, so a repeat sends and posts nothing.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Final

from slack_bolt import Ack, App, BoltContext

from bot.moves import Requester
from handlers import ids, move_form, move_modal
from handlers.context import services_of
from storage.records import JobRecord

log = logging.getLogger(__name__)

VIEW_SETTLE_SECONDS: Final = 1.0
NOT_CONNECTED: Final = (
    "This workspace's Instantly connection was removed, so nothing can be moved. An admin can run /leads connect."
)


def register(app: App) -> None:
    app.view(ids.MOVE_MODAL)(handle_move_submission)


def submission_key(view: dict[str, Any]) -> str:
    """What identifies one submission of one view: Slack gives each rendering of a view a new hash."""
    return f"view:{view.get('id', '')}:{view.get('hash', '')}"


def handle_move_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    order = move_form.parse(view)
    if isinstance(order, dict):
        ack(response_action="errors", errors=order)
        return
    services = services_of(context)
    user_id = str((body.get("user") or {}).get("id", ""))
    team_id = str((body.get("team") or {}).get("id") or view.get("team_id") or context.team_id or "")
    requester = Requester(team_id=team_id, user_id=user_id, channel_id=move_form.channel_of(view) or user_id)
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
        ack(response_action="update", view=move_modal.not_saved_view())
        return
    if refused is not None:
        ack(response_action="errors", errors={ids.SOURCE: refused})
        return
    if not connected:
        ack(response_action="errors", errors={ids.SOURCE: NOT_CONNECTED})
        return
    if submitted is None:
        # The form stays open with everything filled in, so pressing Start again later is all it takes.
        ack(response_action="errors", errors={ids.SOURCE: _too_many(services.moves.max_starting_per_user)})
        return
    if approval is not None:
        ack(
            response_action="update",
            view=move_modal.awaiting_approval_view(submitted.record.order, approval.channel_id),
        )
        return
    # Instantly may take longer than Slack's 3 s: the person sees "starting" now, the outcome when it comes.
    ack(response_action="update", view=move_modal.starting_view(submitted.record.order))
    if submitted.repeat:
        log.info("job %s: submission delivered again; nothing more to do", submitted.record.id)
        return
    view_id, acked_at = str(view.get("id", "")), time.monotonic()

    def show_outcome(record: JobRecord) -> None:
        # Slack applies the ack's view a moment after it gets the answer; an update that overtook it would be lost.
        services.reporter.update_view(
            team_id=team_id,
            view_id=view_id,
            view=move_modal.result_view(record),
            not_before=acked_at + VIEW_SETTLE_SECONDS,
        )

    services.starts.submit(submitted.record, then=show_outcome)


def _too_many(limit: int | None) -> str:
    return (
        f"You have {limit} moves waiting for Instantly to start them. Press Start again once one of them has "
        "started; the announcements in the channel show when."
    )

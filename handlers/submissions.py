"""The move modal's view_submission: field errors inline, or an instant ack and then the move itself."""

from __future__ import annotations

import time
from typing import Any, Final

from slack_bolt import Ack, App, BoltContext

from bot.moves import Requester
from handlers import ids, move_form, move_modal
from handlers.context import services_of

VIEW_SETTLE_SECONDS: Final = 1.0


def register(app: App) -> None:
    app.view(ids.MOVE_MODAL)(handle_move_submission)


def handle_move_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    order = move_form.parse(view)
    if isinstance(order, dict):
        ack(response_action="errors", errors=order)
        return
    # Instantly may take longer than Slack's 3 s: the person sees "starting" now, the outcome when it comes.
    ack(response_action="update", view=move_modal.starting_view(order))
    acked_at = time.monotonic()
    services = services_of(context)
    user_id = str((body.get("user") or {}).get("id", ""))
    team_id = str((body.get("team") or {}).get("id") or view.get("team_id") or context.team_id or "")
    requester = Requester(team_id=team_id, user_id=user_id, channel_id=move_form.channel_of(view) or user_id)
    record = services.moves.start(order=order, requester=requester)
    # Slack applies the ack's view a moment after it gets the answer; an update that overtook it would be lost.
    services.reporter.update_view(
        view_id=str(view.get("id", "")),
        view=move_modal.result_view(record),
        not_before=acked_at + VIEW_SETTLE_SECONDS,
    )

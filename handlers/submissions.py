"""The move modal's view_submission: field errors inline, or an instant ack and then the move itself."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.moves import Requester
from handlers import ids, move_form, move_modal
from handlers.context import services_of


def register(app: App) -> None:
    app.view(ids.MOVE_MODAL)(handle_move_submission)


def handle_move_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    order = move_form.parse(view)
    if isinstance(order, dict):
        ack(response_action="errors", errors=order)
        return
    # Instantly may take longer than Slack's 3 s: the person sees "starting" now, the outcome when it comes.
    ack(response_action="update", view=move_modal.starting_view(order))
    services = services_of(context)
    user_id = str((body.get("user") or {}).get("id", ""))
    team_id = str((body.get("team") or {}).get("id") or view.get("team_id") or context.team_id or "")
    requester = Requester(team_id=team_id, user_id=user_id, channel_id=move_form.channel_of(view) or user_id)
    record = services.moves.start(order=order, requester=requester)
    services.reporter.update_view(view_id=str(view.get("id", "")), view=move_modal.result_view(record))

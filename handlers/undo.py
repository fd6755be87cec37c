"""The Move back button under a move's final reply, and the modal that confirms it.

Anyone may press; only the requester and admins get the modal, everyone else is told why in a message only they see.
Confirming is acked at once (Instantly is asked for the moved e-mails afterwards, which may take longer than Slack's
3 s) and the modal then shows what came of it.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Final

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.slack.blocks import undo_messages
from bot.undo import Undone
from handlers.context import services_of, team_and_user
from handlers.modals import open_modal

log = logging.getLogger(__name__)

# Slack applies the ack's view a moment after it gets the answer; an update that overtook it would be lost.
VIEW_SETTLE_SECONDS: Final = 1.0


def register(app: App) -> None:
    app.action(undo_messages.MOVE_BACK)(handle_move_back)
    app.view(undo_messages.CONFIRM_MODAL)(handle_confirm)


def handle_move_back(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext) -> None:
    ack()
    team_id, user_id = team_and_user(body, context)
    value = str(((body.get("actions") or [{}])[0]).get("value") or "")
    if not (value.isdigit() and len(value) < 12):
        return
    checked = services_of(context).undo.check(team_id=team_id, job_id=int(value), user_id=user_id)
    if isinstance(checked, str):
        respond(response_type="ephemeral", replace_original=False, text=checked)
        return
    view = undo_messages.confirm_view(checked)
    open_modal(client=client, respond=respond, trigger_id=body["trigger_id"], view=view, again="Press Move back again.")


def _said(undone: Undone) -> str:
    """What confirming came to, in the modal (a refusal's words from Instantly are escaped where they are made)."""
    if undone.refusal is not None:
        return undone.refusal
    first = undone.jobs[0]
    if undone.waiting:
        where = f"<#{undone.approval_channel}>" if undone.approval_channel else "its channel"
        already = "already " if undone.repeat else ""
        return (
            f"Moving {undone.leads:,} leads back needs an approver other than you: the request is {already}waiting in "
            f"{where}. Nothing has moved yet."
        )
    if undone.repeat:
        return f"These leads were already moved back (job #{first.id}), so nothing more was moved."
    jobs = f"{len(undone.jobs)} jobs" if len(undone.jobs) > 1 else "one job"
    where = "the thread of the move it takes back" if first.thread_ts else f"<#{first.channel_id}>"
    return (
        f"Moving {undone.leads:,} leads back to {undo_messages.place(first.move.destination)} in {jobs}; "
        f"followed in {where} like any move."
    )


def handle_confirm(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services = services_of(context)
    team_id, user_id = team_and_user(body, context)
    try:
        job_id = int(json.loads(view.get("private_metadata") or "{}")["job_id"])
    except (ValueError, KeyError, TypeError):
        ack(
            response_action="update",
            view=undo_messages.outcome_view("This form lost track of its move. Press Move back again."),
        )
        return
    ack(response_action="update", view=undo_messages.outcome_view("Asking Instantly which leads moved…"))
    acked_at = time.monotonic()
    undone = services.undo.confirm(team_id=team_id, job_id=job_id, user_id=user_id)
    services.reporter.update_view(
        team_id=team_id,
        view_id=str(view.get("id", "")),
        view=undo_messages.outcome_view(_said(undone)),
        not_before=acked_at + VIEW_SETTLE_SECONDS,
    )

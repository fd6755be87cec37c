"""The Approve and Reject buttons of a schedule's request for approval (bot.slack.blocks.schedule_messages).

Anyone may press; the schedule service decides who may decide (admins and approvers, never its owner), once. A
decision that took effect shows in the request itself; anyone else is told why in a message only they see.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.schedules import Denied
from bot.slack.blocks import schedule_messages
from handlers.context import services_of, team_and_user


def register(app: App) -> None:
    app.action(schedule_messages.APPROVE)(handle_approve)
    app.action(schedule_messages.REJECT)(handle_reject)


def _pressed(body: dict[str, Any], context: BoltContext) -> tuple[str, str, int | None]:
    """(team id, who pressed, the schedule the button is for)."""
    team_id, user_id = team_and_user(body, context)
    value = str(((body.get("actions") or [{}])[0]).get("value") or "")
    return team_id, user_id, int(value) if value.isdigit() and len(value) < 12 else None


def handle_approve(ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    _decide(ack, body, respond, context, approved=True)


def handle_reject(ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    _decide(ack, body, respond, context, approved=False)


def _decide(ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext, *, approved: bool) -> None:
    ack()
    team_id, user_id, schedule_id = _pressed(body, context)
    if schedule_id is None:
        return
    service = services_of(context).schedules
    decide = service.approve if approved else service.reject
    decided = decide(team_id=team_id, user_id=user_id, schedule_id=schedule_id)
    if isinstance(decided, Denied):
        respond(response_type="ephemeral", replace_original=False, text=decided.words)

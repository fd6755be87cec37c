"""The Show moved leads button under a move's final reply: the e-mails Instantly moved, in a message only the person
who pressed it sees. Acked at once; Instantly is asked afterwards, which may take longer than Slack's 3 s."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.moved_leads import MovedLeads
from bot.slack.blocks import moved_leads_messages
from handlers.context import services_of, team_and_user


def register(app: App) -> None:
    app.action(moved_leads_messages.SHOW_MOVED_LEADS)(handle_show_moved_leads)


def handle_show_moved_leads(ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    ack()
    team_id, user_id = team_and_user(body, context)
    value = str(((body.get("actions") or [{}])[0]).get("value") or "")
    if not (value.isdigit() and len(value) < 12):
        respond(response_type="ephemeral", replace_original=False, text="I could not tell which move this was.")
        return
    read = services_of(context).moved_leads.read(team_id=team_id, job_id=int(value), user_id=user_id)
    if not isinstance(read, MovedLeads):
        respond(response_type="ephemeral", replace_original=False, text=read)
        return
    text, blocks = moved_leads_messages.moved_list(read.record, read.emails)
    respond(response_type="ephemeral", replace_original=False, text=text, blocks=blocks)

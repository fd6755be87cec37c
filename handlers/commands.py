"""The /leads slash command: move | copy open the modal, jobs | status report, anything else gets usage."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import messages
from handlers import connect, ids, move_modal
from handlers.context import services_of
from storage.records import JobRecord

log = logging.getLogger(__name__)

MAX_JOBS_LISTED = 10


def register(app: App) -> None:
    app.command(ids.COMMAND)(handle_leads_command)


def _ephemeral(ack: Ack, content: tuple[str, list[dict[str, Any]]]) -> None:
    text, blocks = content
    ack(response_type="ephemeral", text=text, blocks=blocks)


def handle_leads_command(
    ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext
) -> None:
    words = str(command.get("text") or "").split()
    verb = words[0].lower() if words else ""
    name = str(command.get("command") or ids.COMMAND)
    services = services_of(context)
    team_id = str(command.get("team_id") or context.team_id or "")
    user_id = str(command.get("user_id") or "")
    if verb in (ids.MODE_MOVE, ids.MODE_COPY) and not services.workspaces.is_connected(team_id):
        ack(response_type="ephemeral", text=connect.not_connected_line(name))
        return
    if verb in (ids.MODE_MOVE, ids.MODE_COPY):
        ack()
        # The trigger_id lives 3 s: views.open comes straight after the ack, before anything slow.
        view = move_modal.build(channel_id=str(command.get("channel_id", "")), copy_leads=verb == ids.MODE_COPY)
        try:
            client.views_open(trigger_id=command["trigger_id"], view=view)
        except SlackApiError as exc:
            log.warning("views.open failed: %s", exc.response.get("error") if exc.response else exc)
            respond(
                response_type="ephemeral",
                text=f"Slack did not let me open the form in time. Please run `{name} {verb}` again.",
            )
        return
    if verb == "connect":
        ack()
        connect.open_connect(services=services, client=client, command=command, respond=respond, name=name)
        return
    if verb == "disconnect":
        ack()
        connect.disconnect(services=services, command=command, respond=respond, name=name)
        return
    if verb == "jobs":
        records = services.moves.recent_jobs(team_id=team_id, user_id=user_id, limit=MAX_JOBS_LISTED)
        _ephemeral(ack, messages.job_list(records))
    elif verb == "status":
        _ephemeral(ack, _status(services.moves.find_job(team_id=team_id, reference=_arg(words)), words, name))
    elif verb in ("", "help"):
        _ephemeral(ack, messages.usage(name))
    else:
        problem = f"I don't know `{messages.escape(verb[:40])}`."
        _ephemeral(ack, messages.usage(name, problem=problem))


def _arg(words: list[str]) -> str:
    return words[1].strip("`<>") if len(words) > 1 else ""


def _status(record: JobRecord | None, words: list[str], name: str) -> tuple[str, list[dict[str, Any]]]:
    if record is not None:
        return messages.job_detail(record)
    if len(words) < 2:
        return messages.usage(
            name, problem=f"Say which job: `{name} status &lt;job-id&gt;`. `{name} jobs` lists yours."
        )
    shown = messages.escape(_arg(words)[:64])
    return messages.usage(name, problem=f"I found no job `{shown}` in this workspace. `{name} jobs` lists yours.")

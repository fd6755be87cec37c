"""The /leads slash command: one table of verbs, each declared by its own module with its help lines, who it is for
and its handler, dispatched from here. move | copy open the modal, and schedule opens it to make a schedule; jobs |
status report, help says what the table holds (plain `/leads` too), and anything else gets the help after "I don't
know".

`/leads move` always opens a move and `/leads copy` a copy: what is typed is what is meant. A channel's default mode
(`/leads settings`) is for App Home's New move and Run again only."""

from __future__ import annotations

import logging
from typing import Any, Final

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.slack.blocks import job_lists, messages
from handlers import (
    access_commands,
    channel_settings,
    connect,
    ids,
    move_command,
    schedules,
    track,
    watch,
)
from handlers.context import services_of
from handlers.verbs import Audience, Help, Invocation, Verb, help_lines, index
from storage.records import JobRecord

log = logging.getLogger(__name__)

MAX_JOBS_LISTED = 10
HELP: Final = "help"


def register(app: App) -> None:
    app.command(ids.COMMAND)(handle_leads_command)


def handle_leads_command(
    ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext
) -> None:
    words = tuple(str(command.get("text") or "").split())
    verb = words[0].lower() if words else ""
    call = Invocation(
        ack=ack,
        respond=respond,
        client=client,
        services=services_of(context),
        command=command,
        name=str(command.get("command") or ids.COMMAND),
        verb=verb,
        words=words,
        team_id=str(context.team_id or ""),  # the authorized workspace (handlers.context), never the payload's
        user_id=str(command.get("user_id") or ""),
    )
    found = _BY_NAME.get(verb or HELP)
    if found is None:
        problem = f"I don't know `{messages.escape(verb[:40])}`."
        _ephemeral(ack, usage(call.name, admin=True, problem=problem))
        return
    if found.acked_first:
        ack()
    found.handle(call)


def usage(
    name: str, *, admin: bool, problem: str | None = None, note: str | None = None
) -> tuple[str, messages.Blocks]:
    """The help the verb table makes, for an admin or not. After a problem (an unknown verb, a job not found) it
    lists every verb, admins' too, as it always has: an unknown verb is answered without asking Slack who is an
    admin."""
    return messages.usage(lines=help_lines(VERBS, command=name, admin=admin), problem=problem, note=note)


def _ephemeral(ack: Ack, content: tuple[str, messages.Blocks]) -> None:
    text, blocks = content
    ack(response_type="ephemeral", text=text, blocks=blocks)


# --- jobs | status -----------------------------------------------------------------------------------------------


def _scope(call: Invocation) -> str | None:
    """Whose jobs the person sees: their own, or everyone's in the workspace for an admin. (Slack's answer on who
    is an admin is remembered, so this rarely asks Slack before the ack.)"""
    everyone = call.services.access.is_admin(team_id=call.team_id, user_id=call.user_id)
    return None if everyone else call.user_id


def _jobs(call: Invocation) -> None:
    whose = _scope(call)
    records = call.services.moves.recent_jobs(team_id=call.team_id, user_id=whose, limit=MAX_JOBS_LISTED)
    _ephemeral(call.ack, job_lists.job_list(records, everyone=whose is None))


def _job_status(call: Invocation) -> None:
    found = call.services.moves.find_job(team_id=call.team_id, reference=_arg(call.words), user_id=_scope(call))
    _ephemeral(call.ack, _status(found, call.words, call.name))


def _arg(words: tuple[str, ...]) -> str:
    return words[1].strip("`<>") if len(words) > 1 else ""


def _status(record: JobRecord | None, words: tuple[str, ...], name: str) -> tuple[str, messages.Blocks]:
    if record is not None:
        return job_lists.job_detail(record)
    if len(words) < 2:
        problem = f"Say which job: `{name} status #12`, with its number. `{name} jobs` lists yours."
        return usage(name, admin=True, problem=problem)
    shown = messages.escape(_arg(words)[:64])
    return usage(name, admin=True, problem=f"I found no job `{shown}` in this workspace. `{name} jobs` lists yours.")


# --- help --------------------------------------------------------------------------------------------------------


def _help(call: Invocation) -> None:
    services, team_id, user_id = call.services, call.team_id, call.user_id
    admin = services.access.is_admin(team_id=team_id, user_id=user_id)
    note = _your_standing(services, team_id=team_id, user_id=user_id, admin=admin)
    _ephemeral(call.ack, usage(call.name, admin=admin, note=note))


def _your_standing(services: Services, *, team_id: str, user_id: str, admin: bool) -> str:
    """What this person may do in this workspace, in a few lines."""
    refused = None if admin else services.access.refusal_to_move(team_id=team_id, user_id=user_id)
    if admin:
        lines = [
            "*You are a leadmover admin here:* you may move and copy, approve other people's big moves, connect "
            "Instantly, and decide who may move."
        ]
    elif refused is not None:
        lines = [f"*You may not move leads here.* {refused}"]
    else:
        lines = ["*You may move and copy leads here.*"]
    approvals = services.approvals
    if refused is None and approvals.enabled:
        lines.append(
            f"A move or copy of more than {approvals.threshold:,} leads, or with no limit, waits for an approver "
            "other than you."
        )
    if services.access.access_list(team_id=team_id).restricted:
        lines.append("Only admins and the people on this workspace's list may move (`/leads access`).")
    else:
        lines.append(
            "Every full member of this workspace may move and copy leads. An admin can allow only some people "
            "with `/leads allow @person @group`, and remove someone with `/leads deny @person`."
        )
    return "\n".join(lines)


# --- the table ---------------------------------------------------------------------------------------------------

_JOBS: Final = (
    Verb(
        name="jobs",
        audience=Audience.EVERYONE,
        help=(Help(says="your recent jobs", to_admins="your recent jobs (everyone's, for an admin)"),),
        handle=_jobs,
    ),
    Verb(
        name="status",
        audience=Audience.EVERYONE,
        help=(Help(says="one job in detail, by its number or Instantly's id", args="#12"),),
        handle=_job_status,
    ),
)
_HELP: Final = Verb(name=HELP, audience=Audience.EVERYONE, help=(Help(says="this help"),), handle=_help)

# Every verb, in the order `/leads help` lists them.
VERBS: Final[tuple[Verb, ...]] = (
    *move_command.VERBS,
    *schedules.VERBS,
    *_JOBS,
    *track.VERBS,
    *channel_settings.VERBS,
    *connect.VERBS,
    *access_commands.VERBS,
    *watch.VERBS,
    _HELP,
)
_BY_NAME: Final = index(VERBS)

"""The /leads slash command: move | copy open the modal, jobs | status report, track follows a job started elsewhere,
settings sets how leadmover speaks in the channel, connect and the admins' verbs manage the workspace, anything else
gets usage.

`/leads move` opens the modal in the channel's default mode (`/leads settings`), so a channel that copies by habit
starts with Copy; `/leads copy` always means copy. Plain `/leads` stays the help."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Final

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.instantly.errors import InstantlyNotConnected
from bot.pickers import Resolution
from bot.services import Services
from bot.slack.blocks import messages
from handlers import access_commands, channel_settings, connect, ids, move_view, prefill, preview, track
from handlers.context import services_of
from storage.access_rules import Effect
from storage.orders import MoveMode
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
        _open_move_modal(services=services, client=client, command=command, respond=respond, name=name, verb=verb)
        return
    if verb in _ADMIN_VERBS:
        ack()  # who is an admin may take Slack a moment to say: the answer follows by response_url
        _ADMIN_VERBS[verb](services=services, command=command, words=words, respond=respond, name=name)
        return
    if verb == track.VERB:
        track.handle_track(ack=ack, respond=respond, services=services, command=command, name=name)
        return
    if verb == "settings":
        ack()
        channel_settings.open_settings(services=services, client=client, command=command, respond=respond)
        return
    if verb == "connect":
        ack()
        connect.open_connect(services=services, client=client, command=command, respond=respond, name=name)
    elif verb in ("jobs", "status"):
        # Each person sees their own jobs; admins see everyone's in the workspace. (Slack's answer on who is an
        # admin is remembered, so this rarely asks Slack before the ack.)
        everyone = services.access.is_admin(team_id=team_id, user_id=user_id)
        scope = None if everyone else user_id
        if verb == "jobs":
            records = services.moves.recent_jobs(team_id=team_id, user_id=scope, limit=MAX_JOBS_LISTED)
            _ephemeral(ack, messages.job_list(records))
        else:
            found = services.moves.find_job(team_id=team_id, reference=_arg(words), user_id=scope)
            _ephemeral(ack, _status(found, words, name))
    elif verb in ("", "help"):
        admin = services.access.is_admin(team_id=team_id, user_id=user_id)
        note = _your_standing(services, team_id=team_id, user_id=user_id, admin=admin)
        _ephemeral(ack, messages.usage(name, note=note, admin=admin))
    else:
        problem = f"I don't know `{messages.escape(verb[:40])}`."
        _ephemeral(ack, messages.usage(name, problem=problem))


def _open_move_modal(
    *, services: Services, client: WebClient, command: dict[str, Any], respond: Respond, name: str, verb: str
) -> None:
    team_id = str(command.get("team_id", ""))
    refused = services.access.refusal_to_move(team_id=team_id, user_id=str(command.get("user_id", "")))
    if refused is not None:
        respond(response_type="ephemeral", text=refused)
        return
    try:
        wanted = prefill.parse(_after_verb(command))
    except prefill.PrefillError as exc:
        respond(response_type="ephemeral", text=exc.message)
        return
    channel_id = str(command.get("channel_id", ""))
    default_mode = services.channel_settings.of(team_id=team_id, channel_id=channel_id).default_mode
    copy_leads = verb == ids.MODE_COPY or default_mode == MoveMode.COPY
    # The trigger_id lives 3 s: views.open comes straight after the checks, with what needs no Instantly call;
    # names are looked up after it and filled in with views.update.
    view = move_view.build(channel_id=channel_id, copy_leads=copy_leads, fill=prefill.looking_up(wanted))
    try:
        opened = client.views_open(trigger_id=command["trigger_id"], view=view)
    except SlackApiError as exc:
        log.warning("views.open failed: %s", exc.response.get("error") if exc.response else exc)
        respond(
            response_type="ephemeral",
            text=f"Slack did not let me open the form in time. Please run `{name} {verb}` again.",
        )
        return
    if wanted.named:
        fill = prefill.resolved(wanted, _resolve(services, team_id=team_id, wanted=wanted))
        shown = preview.filled_preview(services=services, fill=fill, team_id=team_id, user_id=str(command["user_id"]))
        filled = move_view.build(channel_id=channel_id, copy_leads=copy_leads, fill=fill, preview=shown)
        try:
            # The hash makes Slack refuse the update if the modal changed meanwhile (the person moved on).
            client.views_update(view_id=opened["view"]["id"], hash=opened["view"]["hash"], view=filled)
        except SlackApiError as exc:
            log.info("views.update of a prefilled modal failed: %s", exc.response.get("error") if exc.response else exc)


def _after_verb(command: dict[str, Any]) -> str:
    parts = str(command.get("text") or "").strip().split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


def _resolve(services: Services, *, team_id: str, wanted: prefill.Prefill) -> dict[str, Resolution]:
    names = {block: (w.name, w.kind.value if w.kind else None) for block, w in wanted.named.items()}
    try:
        return services.workspaces.pickers(team_id).resolve(names)
    except InstantlyNotConnected:  # disconnected since the check a moment ago
        return dict.fromkeys(names, Resolution(problem="This workspace is not connected to Instantly."))


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


def _allow(*, services: Services, command: dict[str, Any], words: list[str], respond: Respond, name: str) -> None:
    access_commands.allow_or_deny(
        services=services, command=command, words=words, respond=respond, name=name, effect=Effect.ALLOW
    )


def _deny(*, services: Services, command: dict[str, Any], words: list[str], respond: Respond, name: str) -> None:
    access_commands.allow_or_deny(
        services=services, command=command, words=words, respond=respond, name=name, effect=Effect.DENY
    )


def _access(*, services: Services, command: dict[str, Any], words: list[str], respond: Respond, name: str) -> None:
    access_commands.access_list(services=services, command=command, respond=respond, name=name)


def _audit(*, services: Services, command: dict[str, Any], words: list[str], respond: Respond, name: str) -> None:
    access_commands.audit_log(services=services, command=command, respond=respond)


def _disconnect(*, services: Services, command: dict[str, Any], words: list[str], respond: Respond, name: str) -> None:
    connect.disconnect(services=services, command=command, respond=respond, name=name)


_ADMIN_VERBS: Final[dict[str, Callable[..., None]]] = {
    "allow": _allow,
    "deny": _deny,
    "access": _access,
    "audit": _audit,
    "disconnect": _disconnect,
}


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

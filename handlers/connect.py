"""Connecting a workspace to Instantly: `/leads connect` opens a modal for an API key, which is checked before it
is kept; `/leads disconnect` removes it. Admins only. Its blocks are connect_view.py's."""

from __future__ import annotations

import logging
from typing import Any, Final

from slack_bolt import Ack, App, BoltContext

from bot.secrets import SecretsUnavailable
from bot.slack.blocks import messages
from handlers import ids
from handlers.connect_view import connect_view, connected_view
from handlers.context import services_of, team_and_user
from handlers.modals import open_modal
from handlers.verbs import Invocation, admins_verb

log = logging.getLogger(__name__)

ADMINS_ONLY: Final = "Only Slack workspace admins and owners can {what}. Ask one of them to run `{command} {verb}`."
NO_ENCRYPTION_KEY: Final = (
    "leadmover cannot keep an Instantly key yet: whoever runs leadmover must set LEADMOVER_ENCRYPTION_KEY first."
)


def register(app: App) -> None:
    app.view(ids.CONNECT_MODAL)(handle_connect_submission)


# --- the command's verbs -----------------------------------------------------------------------------------------


def open_connect(call: Invocation) -> None:
    """After the ack: admins get the modal, everyone else is told who can connect."""
    services, respond, name = call.services, call.respond, call.name
    team_id, user_id = call.team_id, call.user_id
    if services.workspaces.sealer is None:
        respond(response_type="ephemeral", text=NO_ENCRYPTION_KEY)
        return
    if not services.access.is_admin(team_id=team_id, user_id=user_id):
        respond(
            response_type="ephemeral",
            text=ADMINS_ONLY.format(what="connect Instantly", command=name, verb="connect"),
        )
        return
    current = services.connections.current(team_id)
    view = connect_view(connected_to=current.instantly_workspace_name if current else None)
    open_modal(
        client=call.client,
        respond=respond,
        trigger_id=call.command["trigger_id"],
        view=view,
        again=f"Run `{name} connect` again.",
    )


def disconnect(call: Invocation) -> None:
    services, respond, name = call.services, call.respond, call.name
    team_id, user_id = call.team_id, call.user_id
    if not services.access.is_admin(team_id=team_id, user_id=user_id):
        text = ADMINS_ONLY.format(what="disconnect Instantly", command=name, verb="disconnect")
        respond(response_type="ephemeral", text=text)
        return
    current = services.connections.current(team_id)
    if current is None or not services.connections.disconnect(team_id=team_id, user_id=user_id):
        respond(response_type="ephemeral", text="This workspace has no Instantly connection to remove.")
        return
    text = (
        f"Disconnected from the Instantly workspace *{messages.escape(current.instantly_workspace_name)}*; its key "
        f"is deleted. Jobs still running in Instantly go on there, but I no longer follow them here. "
        f"`{name} connect` connects a key again."
    )
    respond(response_type="ephemeral", text=text)


def not_connected_line(name: str) -> str:
    """The one line a workspace without a key gets instead of the move modal."""
    return (
        "This workspace is not connected to Instantly yet, so there is nothing to move. "
        f"A Slack workspace admin or owner can connect it with `{name} connect`."
    )


VERBS: Final = (
    admins_verb("connect", says="connect this workspace to Instantly", handle=open_connect),
    admins_verb("disconnect", says="remove this workspace's Instantly key", handle=disconnect),
)


# --- the modal's submission --------------------------------------------------------------------------------------


def handle_connect_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services = services_of(context)
    team_id, user_id = team_and_user(body, context)
    values = (view.get("state") or {}).get("values") or {}
    api_key = str(((values.get(ids.API_KEY) or {}).get(ids.API_KEY) or {}).get("value") or "").strip()
    if not api_key or any(c.isspace() for c in api_key):
        ack(response_action="errors", errors={ids.API_KEY: "Paste the whole key, with no spaces in it."})
        return
    if not services.access.is_admin(team_id=team_id, user_id=user_id):
        error = "Only Slack workspace admins and owners can connect Instantly."
        ack(response_action="errors", errors={ids.API_KEY: error})
        return
    try:
        checked = services.connections.connect(team_id=team_id, user_id=user_id, api_key=api_key)
    except SecretsUnavailable:
        ack(response_action="errors", errors={ids.API_KEY: NO_ENCRYPTION_KEY})
        return
    if checked.problem is not None:
        ack(response_action="errors", errors={ids.API_KEY: checked.problem})
        return
    ack(response_action="update", view=connected_view(checked))

"""Connecting a workspace to Instantly: `/leads connect` opens a modal for an API key, which is checked before it
is kept; `/leads disconnect` removes it. Admins only. The ids, the blocks and the listeners of the feature live here.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.connections import KeyCheck
from bot.secrets import SecretsUnavailable
from bot.services import Services
from bot.slack.blocks import messages
from handlers import ids
from handlers.context import services_of, team_and_user

log = logging.getLogger(__name__)

View = dict[str, Any]

SCOPES_NEEDED: Final = (
    "`workspaces:read`, `campaigns:read`, `lead_lists:read`, `background-jobs:read`, `leads:read`, "
    "`leads:update` and `workspace_members:read`"
)
LEADS_UPDATE_UNCHECKED: Final = (
    "`leads:update` cannot be checked without moving a lead, so I did not check it: "
    "if the key lacks it, the first move will say so and change nothing."
)
ADMINS_ONLY: Final = "Only Slack workspace admins and owners can {what}. Ask one of them to run `{command} {verb}`."
NO_ENCRYPTION_KEY: Final = (
    "leadmover cannot keep an Instantly key yet: whoever runs leadmover must set LEADMOVER_ENCRYPTION_KEY first."
)


def register(app: App) -> None:
    app.view(ids.CONNECT_MODAL)(handle_connect_submission)


# --- blocks ------------------------------------------------------------------------------------------------------


def _text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def connect_view(*, connected_to: str | None = None) -> View:
    """The modal asking for a key; `connected_to` names the Instantly workspace a new key would replace."""
    notes = [
        f"Paste an Instantly API v2 key (Instantly → Settings → Integrations → API keys) with {SCOPES_NEEDED}.",
        "leadmover keeps it encrypted and never shows it again. " + LEADS_UPDATE_UNCHECKED,
    ]
    if connected_to:
        notes.insert(0, f"This workspace is connected to *{messages.escape(connected_to)}*; a new key replaces it.")
    return {
        "type": "modal",
        "callback_id": ids.CONNECT_MODAL,
        "title": _text("Connect Instantly"),
        "submit": _text("Connect"),
        "close": _text("Cancel"),
        "blocks": [
            *(messages.section(note) for note in notes),
            {
                "type": "input",
                "block_id": ids.API_KEY,
                "label": _text("Instantly API key"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.API_KEY,
                    "placeholder": _text("Paste the key here"),
                    "max_length": 200,
                },
            },
        ],
    }


def connected_view(check: KeyCheck) -> View:
    text = (
        f":white_check_mark: Connected to the Instantly workspace *{messages.escape(check.workspace_name)}*. "
        f"Everyone here can now use `{ids.COMMAND} move`.\n\n{LEADS_UPDATE_UNCHECKED}"
    )
    return {
        "type": "modal",
        "callback_id": f"{ids.CONNECT_MODAL}_result",
        "title": _text("Instantly connected"),
        "close": _text("Done"),
        "blocks": [messages.section(text)],
    }


# --- the command's verbs -----------------------------------------------------------------------------------------


def open_connect(
    *, services: Services, client: WebClient, command: dict[str, Any], respond: Respond, name: str
) -> None:
    """After the ack: admins get the modal, everyone else is told who can connect."""
    team_id, user_id = str(command.get("team_id", "")), str(command.get("user_id", ""))
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
    try:
        client.views_open(trigger_id=command["trigger_id"], view=view)
    except SlackApiError as exc:
        log.warning("views.open failed: %s", exc.response.get("error") if exc.response else exc)
        respond(
            response_type="ephemeral", text=f"Slack did not let me open the form in time. Run `{name} connect` again."
        )


def disconnect(*, services: Services, command: dict[str, Any], respond: Respond, name: str) -> None:
    team_id, user_id = str(command.get("team_id", "")), str(command.get("user_id", ""))
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

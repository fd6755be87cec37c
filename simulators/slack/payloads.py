"""The payloads Slack sends the app when a person acts: slash commands, view submissions, options loads, clicks."""

from __future__ import annotations

import copy
import json
import time
from urllib.parse import urlencode

from simulators.slack.protocol import JSON, Workspace
from simulators.slack.view_state import find_action


def form_body(payload: JSON) -> str:
    """Interactive payloads travel as a single form field ``payload`` holding JSON."""
    return urlencode({"payload": json.dumps(payload)})


def username_for(user_id: str) -> str:
    """A plausible Slack handle for a user id (``U0ALICE`` -> ``alice``)."""
    core = user_id[2:] if user_id[:2] in {"U0", "W0"} else user_id[1:]
    return (core or user_id).lower()


def user_object(ws: Workspace, user_id: str, *, home_team_id: str | None = None, name: str | None = None) -> JSON:
    """The ``user`` object of interactive payloads; `home_team_id` for a person from another workspace, `name` for
    one registered with a name of their own."""
    name = name or username_for(user_id)
    return {"id": user_id, "username": name, "name": name, "team_id": home_team_id or ws.team_id}


def team_object(ws: Workspace) -> JSON:
    """The ``team`` object of interactive payloads (with the organization, inside an Enterprise Grid)."""
    team: JSON = {"id": ws.team_id, "domain": ws.team_domain}
    if ws.enterprise_id:
        team |= {"enterprise_id": ws.enterprise_id, "enterprise_name": ws.enterprise_name}
    return team


def enterprise_object(ws: Workspace) -> JSON | None:
    return {"id": ws.enterprise_id, "name": ws.enterprise_name} if ws.enterprise_id else None


def command_fields(
    *,
    ws: Workspace,
    command: str,
    text: str,
    user_id: str,
    user_name: str,
    channel_id: str,
    channel_name: str,
    response_url: str,
    trigger_id: str,
    is_enterprise_install: bool = False,
) -> dict[str, str]:
    """The fields of a slash command invocation, in Slack's order (form fields, or the Socket Mode payload)."""
    grid = {"enterprise_id": ws.enterprise_id, "enterprise_name": ws.enterprise_name or ""} if ws.enterprise_id else {}
    return {
        "token": ws.verification_token,
        "team_id": ws.team_id,
        "team_domain": ws.team_domain,
        **grid,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": ws.app_id,
        "is_enterprise_install": "true" if is_enterprise_install else "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


# --------------------------------------------------------------------------- view state


def view_submission_payload(
    *,
    ws: Workspace,
    view: JSON,
    state: dict[str, dict[str, JSON]],
    user_id: str,
    trigger_id: str,
    home_team_id: str | None = None,
    is_enterprise_install: bool = False,
) -> JSON:
    """A ``view_submission`` interaction payload."""
    submitted = copy.deepcopy(view)
    submitted["state"] = {"values": state}
    return {
        "type": "view_submission",
        "team": team_object(ws),
        "user": user_object(ws, user_id, home_team_id=home_team_id),
        "api_app_id": ws.app_id,
        "token": ws.verification_token,
        "trigger_id": trigger_id,
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": is_enterprise_install,
        "enterprise": enterprise_object(ws),
    }


def block_suggestion_payload(
    *,
    ws: Workspace,
    view: JSON,
    state: dict[str, dict[str, JSON]],
    action_id: str,
    value: str,
    user_id: str,
    home_team_id: str | None = None,
    is_enterprise_install: bool = False,
) -> JSON:
    """A ``block_suggestion`` payload (an external select asking the app for options)."""
    block, _ = find_action(view, action_id)
    current = copy.deepcopy(view)
    current["state"] = {"values": state}
    return {
        "type": "block_suggestion",
        "user": user_object(ws, user_id, home_team_id=home_team_id),
        "container": {"type": "view", "view_id": view["id"]},
        "api_app_id": ws.app_id,
        "token": ws.verification_token,
        "action_id": action_id,
        "block_id": block.get("block_id"),
        "value": value,
        "team": team_object(ws),
        "enterprise": enterprise_object(ws),
        "is_enterprise_install": is_enterprise_install,
        "view": current,
    }


# --------------------------------------------------------------------------- clicks


def button_action(element: JSON, *, block_id: str) -> JSON:
    """One entry of a block_actions payload's ``actions``: the button clicked, as Slack describes it."""
    action: JSON = {
        "action_id": element["action_id"],
        "block_id": block_id,
        "text": {"emoji": True, **element["text"]},  # Slack adds the emoji flag to a button's text
    }
    for key in ("value", "style", "url", "confirm"):
        if key in element:
            action[key] = copy.deepcopy(element[key])
    return action | {"type": "button", "action_ts": f"{time.time():.6f}"}


def block_actions_payload(
    *,
    ws: Workspace,
    user: JSON,
    container: JSON,
    trigger_id: str,
    action: JSON,
    surface: JSON,
    is_enterprise_install: bool = False,
) -> JSON:
    """A ``block_actions`` payload: a button clicked in a message or a view. `surface` holds what differs: for a
    message its ``channel``, ``message`` and ``state`` (both left out for an ephemeral message) and
    ``response_url``; for a view the ``view``, with its state."""
    return {
        "type": "block_actions",
        "user": user,
        "api_app_id": ws.app_id,
        "token": ws.verification_token,
        "container": container,
        "trigger_id": trigger_id,
        "team": team_object(ws),
        "enterprise": enterprise_object(ws),
        "is_enterprise_install": is_enterprise_install,
        **surface,
        "actions": [action],
    }

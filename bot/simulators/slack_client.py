"""The "Slack sends requests to the app" half of the fake Slack.

Builds the payloads Slack sends (slash commands, view submissions, options loads) and posts them signed.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

JSON = dict[str, Any]

# Element type -> (state key, key of the initial value in the element definition).
_STATE_KEYS: dict[str, tuple[str, str]] = {
    "plain_text_input": ("value", "initial_value"),
    "email_text_input": ("value", "initial_value"),
    "url_text_input": ("value", "initial_value"),
    "number_input": ("value", "initial_value"),
    "rich_text_input": ("rich_text_value", "initial_value"),
    "static_select": ("selected_option", "initial_option"),
    "external_select": ("selected_option", "initial_option"),
    "radio_buttons": ("selected_option", "initial_option"),
    "multi_static_select": ("selected_options", "initial_options"),
    "multi_external_select": ("selected_options", "initial_options"),
    "checkboxes": ("selected_options", "initial_options"),
    "users_select": ("selected_user", "initial_user"),
    "multi_users_select": ("selected_users", "initial_users"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "multi_conversations_select": ("selected_conversations", "initial_conversations"),
    "channels_select": ("selected_channel", "initial_channel"),
    "multi_channels_select": ("selected_channels", "initial_channels"),
    "datepicker": ("selected_date", "initial_date"),
    "timepicker": ("selected_time", "initial_time"),
    "datetimepicker": ("selected_date_time", "initial_date_time"),
    "file_input": ("files", "_no_initial_value"),
}
_OPTION_ONE = {"static_select", "external_select", "radio_buttons"}
_OPTION_MANY = {"multi_static_select", "multi_external_select", "checkboxes"}
_EXTERNAL = {"external_select", "multi_external_select"}
_LIST_STATES = {"selected_options", "selected_users", "selected_conversations", "selected_channels", "files"}


@dataclass(frozen=True)
class AppResponse:
    """What the app answered to a request (or Socket Mode envelope) the fake Slack sent it."""

    status: int
    body: str
    elapsed: float

    def json(self) -> Any:
        """The body parsed as JSON (None for an empty body)."""
        return json.loads(self.body) if self.body.strip() else None


@dataclass(frozen=True)
class Workspace:
    """Identity data the fake puts into every payload."""

    team_id: str
    team_domain: str
    app_id: str
    verification_token: str


def sign(*, signing_secret: str, timestamp: str, body: str) -> str:
    """Slack's v0 request signature: HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def post_signed(*, app_url: str, body: str, signing_secret: str, timeout: float = 10.0) -> AppResponse:
    """POST a form-encoded body to the app the way Slack does, signed with the signing secret.

    An app that has not answered after ``timeout`` seconds gets status 504 (Slack gives up after 3 s anyway).
    """
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign(signing_secret=signing_secret, timestamp=timestamp, body=body),
    }
    started = time.monotonic()
    with httpx.Client(trust_env=False, timeout=timeout) as client:
        try:
            response = client.post(app_url, content=body.encode(), headers=headers)
        except httpx.TimeoutException:
            return AppResponse(status=504, body="", elapsed=time.monotonic() - started)
    return AppResponse(status=response.status_code, body=response.text, elapsed=time.monotonic() - started)


def form_body(payload: JSON) -> str:
    """Interactive payloads travel as a single form field ``payload`` holding JSON."""
    return urlencode({"payload": json.dumps(payload)})


def username_for(user_id: str) -> str:
    """A plausible Slack handle for a user id (``U0ALICE`` -> ``alice``)."""
    core = user_id[2:] if user_id[:2] in {"U0", "W0"} else user_id[1:]
    return (core or user_id).lower()


def user_object(ws: Workspace, user_id: str) -> JSON:
    """The ``user`` object of interactive payloads."""
    name = username_for(user_id)
    return {"id": user_id, "username": name, "name": name, "team_id": ws.team_id}


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
) -> dict[str, str]:
    """The fields of a slash command invocation, in Slack's order (form fields, or the Socket Mode payload)."""
    return {
        "token": ws.verification_token,
        "team_id": ws.team_id,
        "team_domain": ws.team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": ws.app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


# --------------------------------------------------------------------------- view state


@dataclass(frozen=True)
class _Slot:
    block_id: str
    action_id: str
    element: JSON
    block: JSON


def _slots(view: Mapping[str, Any]) -> Iterator[_Slot]:
    """Every stateful element of a view (input blocks, plus selects etc. in actions/section blocks)."""
    for block in view.get("blocks") or []:
        block_id = str(block.get("block_id", ""))
        kind = block.get("type")
        candidates: list[Any] = []
        if kind == "input":
            candidates = [block.get("element")]
        elif kind == "actions":
            candidates = list(block.get("elements") or [])
        elif kind == "section":
            candidates = [block.get("accessory")]
        for element in candidates:
            if isinstance(element, dict) and element.get("type") in _STATE_KEYS:
                yield _Slot(block_id, str(element.get("action_id", "")), element, block)


def find_action(view: Mapping[str, Any], action_id: str) -> tuple[JSON, JSON]:
    """(block, element) of the stateful element with this action_id; ValueError if absent."""
    for slot in _slots(view):
        if slot.action_id == action_id:
            return slot.block, slot.element
    raise ValueError(f"view {view.get('id')} has no element with action_id {action_id!r}")


def element_options(element: Mapping[str, Any]) -> list[JSON]:
    """The element's options, with option groups flattened."""
    found = [o for o in element.get("options") or [] if isinstance(o, dict)]
    for group in element.get("option_groups") or []:
        found.extend(o for o in group.get("options") or [] if isinstance(o, dict))
    return found


def _resolve_option(element: JSON, value: Any, known: list[JSON]) -> JSON:
    kind = element["type"]
    candidates = element_options(element) + known
    initial = element.get("initial_option")
    candidates += [initial] if isinstance(initial, dict) else []
    candidates += [o for o in element.get("initial_options") or [] if isinstance(o, dict)]
    if isinstance(value, Mapping):
        if "value" not in value or "text" not in value:
            raise ValueError(f"option for {element.get('action_id')!r} needs 'text' and 'value': {value!r}")
        if kind in _EXTERNAL:
            return copy.deepcopy(dict(value))
        value = value["value"]
    wanted = str(value)
    for option in candidates:
        if option.get("value") == wanted:
            return copy.deepcopy(option)
    if kind in _EXTERNAL:
        return {"text": {"type": "plain_text", "text": wanted, "emoji": True}, "value": wanted}
    offered = [o.get("value") for o in element_options(element)]
    raise ValueError(f"{wanted!r} is not an option of {element.get('action_id')!r} (options: {offered})")


def _state_value(element: JSON, value: Any, *, provided: bool, known: list[JSON]) -> JSON:
    kind = element["type"]
    key, initial_key = _STATE_KEYS[kind]
    state: JSON = {"type": kind}
    if not provided:
        initial = element.get(initial_key)
        state[key] = copy.deepcopy(initial) if initial is not None else ([] if key in _LIST_STATES else None)
        if kind == "number_input" and state[key] is not None:
            state[key] = str(state[key])
        return state
    if kind in _OPTION_ONE:
        state[key] = None if value is None else _resolve_option(element, value, known)
    elif kind in _OPTION_MANY:
        items = [] if value is None else [value] if isinstance(value, str | Mapping) else list(value)
        state[key] = [_resolve_option(element, item, known) for item in items]
    elif key in _LIST_STATES:
        state[key] = [] if value is None else [value] if isinstance(value, str) else list(value)
    elif kind == "rich_text_input" and isinstance(value, str):
        section = {"type": "rich_text_section", "elements": [{"type": "text", "text": value}]}
        state[key] = {"type": "rich_text", "elements": [section]}
    elif kind == "datetimepicker":
        state[key] = None if value is None else int(value)
    else:
        state[key] = None if value is None else str(value)
    return state


def _assign(view: Mapping[str, Any], values: Mapping[str, Any]) -> dict[tuple[str, str], Any]:
    """Map the caller's ``values`` (keyed by block_id, or by action_id) onto (block_id, action_id) slots."""
    slots = list(_slots(view))
    by_block: dict[str, list[_Slot]] = {}
    for slot in slots:
        by_block.setdefault(slot.block_id, []).append(slot)
    by_action = {slot.action_id: slot for slot in slots}
    assigned: dict[tuple[str, str], Any] = {}
    for key, value in values.items():
        if key in by_block:
            actions = {slot.action_id for slot in by_block[key]}
            if isinstance(value, Mapping) and value and set(value) <= actions:
                for action_id, inner in value.items():
                    assigned[(key, action_id)] = inner
            elif len(actions) == 1:
                assigned[(key, next(iter(actions)))] = value
            else:
                raise ValueError(f"block {key!r} has several elements; pass {{action_id: value}}")
        elif key in by_action:
            assigned[(by_action[key].block_id, key)] = value
        else:
            raise ValueError(f"view {view.get('id')} has no input block or action_id {key!r}")
    return assigned


def build_state_values(
    view: Mapping[str, Any], values: Mapping[str, Any], known_options: Mapping[str, list[JSON]]
) -> dict[str, dict[str, JSON]]:
    """``view.state.values`` as Slack builds it: given values, else each element's initial (or empty) state."""
    assigned = _assign(view, values)
    state: dict[str, dict[str, JSON]] = {}
    for slot in _slots(view):
        slot_key = (slot.block_id, slot.action_id)
        known = known_options.get(slot.action_id, [])
        state.setdefault(slot.block_id, {})[slot.action_id] = _state_value(
            slot.element, assigned.get(slot_key), provided=slot_key in assigned, known=known
        )
    return state


def _is_empty(state: JSON) -> bool:
    return all(v in (None, "", []) for k, v in state.items() if k != "type")


def check_submittable(view: Mapping[str, Any], state: Mapping[str, Mapping[str, JSON]]) -> None:
    """Raise ValueError for submissions the Slack client cannot produce: an empty required input, or a
    number input holding something that is not a number. Out-of-range numbers and over-long text are let
    through on purpose, so tests can exercise the app's own validation."""
    for slot in _slots(view):
        if slot.block.get("type") != "input":
            continue
        value = state[slot.block_id][slot.action_id]
        label = (slot.block.get("label") or {}).get("text", slot.block_id)
        if _is_empty(value):
            if not slot.block.get("optional", False):
                raise ValueError(f"Slack would not submit: required field {label!r} is empty")
        elif slot.element["type"] == "number_input":
            raw = str(value["value"])
            try:
                float(raw) if slot.element.get("is_decimal_allowed") else int(raw)
            except ValueError:
                raise ValueError(f"Slack would not submit: {label!r} = {raw!r} is not a valid number") from None


def view_submission_payload(
    *, ws: Workspace, view: JSON, state: dict[str, dict[str, JSON]], user_id: str, trigger_id: str
) -> JSON:
    """A ``view_submission`` interaction payload."""
    submitted = copy.deepcopy(view)
    submitted["state"] = {"values": state}
    return {
        "type": "view_submission",
        "team": {"id": ws.team_id, "domain": ws.team_domain},
        "user": user_object(ws, user_id),
        "api_app_id": ws.app_id,
        "token": ws.verification_token,
        "trigger_id": trigger_id,
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def block_suggestion_payload(
    *, ws: Workspace, view: JSON, state: dict[str, dict[str, JSON]], action_id: str, value: str, user_id: str
) -> JSON:
    """A ``block_suggestion`` payload (an external select asking the app for options)."""
    block, _ = find_action(view, action_id)
    current = copy.deepcopy(view)
    current["state"] = {"values": state}
    return {
        "type": "block_suggestion",
        "user": user_object(ws, user_id),
        "container": {"type": "view", "view_id": view["id"]},
        "api_app_id": ws.app_id,
        "token": ws.verification_token,
        "action_id": action_id,
        "block_id": block.get("block_id"),
        "value": value,
        "team": {"id": ws.team_id, "domain": ws.team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": current,
    }

"""What a person's Slack client makes of a modal: ``view.state.values`` from what they entered, and the
submissions the client refuses to send (empty required fields, numbers that are not numbers).

What the person entered through inputs that dispatch block_actions (nothing the app preset) is kept with the view
and travels in a view's ``state.values`` given to build_state_values: Slack keeps it across views.update for every
input whose block_id and action_id stay the same (`kept_entries`), and it wins over the new view's initial values."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from simulators.slack.blockkit import element_options
from simulators.slack.protocol import JSON

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


def _entered(view: Mapping[str, Any]) -> Mapping[str, Mapping[str, JSON]]:
    return ((view.get("state") or {}).get("values")) or {}


def build_state_values(
    view: Mapping[str, Any], values: Mapping[str, Any], known_options: Mapping[str, list[JSON]]
) -> dict[str, dict[str, JSON]]:
    """``view.state.values`` as Slack builds it: given values, else what was entered before, else each element's
    initial (or empty) state."""
    assigned = _assign(view, values)
    entered = _entered(view)
    state: dict[str, dict[str, JSON]] = {}
    for slot in _slots(view):
        slot_key = (slot.block_id, slot.action_id)
        before = (entered.get(slot.block_id) or {}).get(slot.action_id)
        if slot_key not in assigned and before is not None:
            state.setdefault(slot.block_id, {})[slot.action_id] = copy.deepcopy(dict(before))
            continue
        known = known_options.get(slot.action_id, [])
        state.setdefault(slot.block_id, {})[slot.action_id] = _state_value(
            slot.element, assigned.get(slot_key), provided=slot_key in assigned, known=known
        )
    return state


def entries_after(
    view: Mapping[str, Any], values: Mapping[str, Any], state: Mapping[str, Mapping[str, JSON]]
) -> dict[str, dict[str, JSON]]:
    """What the person has entered once `values` are in: what they entered before, plus those (from `state`)."""
    entries = {block: dict(actions) for block, actions in copy.deepcopy(dict(_entered(view))).items()}
    for block_id, action_id in _assign(view, values):
        entries.setdefault(block_id, {})[action_id] = copy.deepcopy(state[block_id][action_id])
    return entries


def kept_entries(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, dict[str, JSON]]:
    """What Slack keeps of the entries in `old` when `new` replaces it: those whose input keeps its block_id, its
    action_id and its element type."""
    entered = _entered(old)
    kept: dict[str, dict[str, JSON]] = {}
    for slot in _slots(new):
        before = (entered.get(slot.block_id) or {}).get(slot.action_id)
        if before is not None and before.get("type") == slot.element.get("type"):
            kept.setdefault(slot.block_id, {})[slot.action_id] = copy.deepcopy(dict(before))
    return kept


def action_entry(view: Mapping[str, Any], action_id: str, state: Mapping[str, Mapping[str, JSON]]) -> JSON:
    """The ``actions[0]`` of a block_actions for an input element the person just used, as Slack shapes it: its
    type, ids and new value (``selected_option(s)`` or ``value``), and for a select the placeholder it shows."""
    block, element = find_action(view, action_id)
    block_id = str(block.get("block_id", ""))
    entry = dict(state[block_id][action_id])
    action: JSON = {"type": element["type"], "block_id": block_id, "action_id": action_id}
    action |= {key: copy.deepcopy(value) for key, value in entry.items() if key != "type"}
    if element["type"] in _OPTION_ONE | _OPTION_MANY and "placeholder" in element:
        action["placeholder"] = copy.deepcopy(element["placeholder"])
    return action | {"action_ts": f"{time.time():.6f}"}


def check_dispatches(view: Mapping[str, Any], action_id: str) -> None:
    """ValueError unless using this element makes Slack send a block_actions: in an input block only with
    dispatch_action (a text input then dispatches on Enter unless its dispatch_action_config says otherwise)."""
    block, _ = find_action(view, action_id)
    if block.get("type") == "input" and block.get("dispatch_action") is not True:
        raise ValueError(
            f"Slack sends no block_actions for {action_id!r}: its input block has no dispatch_action: true"
        )


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

"""How the move modal shows what was entered in it: each input's initial value set from a view's state (Slack keeps
what a person typed across views.update only while they type; a rebuilt view says it itself), and no hint beside a
field that holds a value. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.blocks import option
from handlers.more_filters import holds_value

State = Mapping[str, Mapping[str, Any]]  # view.state.values


def no_hint_once_filled(block: dict[str, Any]) -> None:
    """A hint says how to fill a field in: once it holds a value, the value speaks for itself."""
    if block.get("type") == "input" and holds_value(block):
        block.pop("hint", None)


def keep_entered(block: dict[str, Any], entered: State) -> None:
    """Set an input's initial value to what was entered in it (a view's state), if anything was."""
    if block.get("type") != "input":
        return
    element = block["element"]
    entry = (entered.get(block["block_id"]) or {}).get(element["action_id"])
    if not entry:
        return
    kind = element["type"]
    if kind in ("plain_text_input", "number_input"):
        element.pop("initial_value", None)
        if entry.get("value"):
            element["initial_value"] = str(entry["value"])
    elif kind in ("static_select", "radio_buttons", "external_select"):
        element.pop("initial_option", None)
        chosen = entry.get("selected_option") or {}
        if kind == "external_select" and chosen.get("value"):
            element["initial_option"] = option(chosen["value"], (chosen.get("text") or {}).get("text", ""))
        offered = [
            *(element.get("options") or []),
            *(o for g in element.get("option_groups") or [] for o in g["options"]),
        ]
        matching = [o for o in offered if o["value"] == chosen.get("value")]
        if matching:
            element["initial_option"] = matching[0]
    elif kind == "checkboxes":
        element.pop("initial_options", None)
        ticked = {option.get("value") for option in entry.get("selected_options") or []}
        kept = [o for o in element["options"] if o["value"] in ticked]
        if kept:
            element["initial_options"] = kept

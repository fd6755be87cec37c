"""The small Block Kit parts every handler view is made of: plain_text objects and options, within Slack's limits.
Pure; what leadmover posts in channels is bot/slack/blocks/'s."""

from __future__ import annotations

import copy
from typing import Any, Final

View = dict[str, Any]

OPTION_TEXT_MAX: Final = 75  # Slack refuses an option's text or description longer than this
OPTION_VALUE_MAX: Final = 150


def plain_text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def option(value: str, label: str, description: str | None = None) -> dict[str, Any]:
    """An option of a select, radio buttons or checkboxes, cut to Slack's limits."""
    made: dict[str, Any] = {"text": plain_text(label[:OPTION_TEXT_MAX]), "value": value[:OPTION_VALUE_MAX]}
    if description:
        made["description"] = plain_text(description[:OPTION_TEXT_MAX])
    return made


def input_block(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str = "",
    dispatch: dict[str, Any] | bool = False,
) -> dict[str, Any]:
    """An input block; `dispatch` (True, or a text input's dispatch_action_config) makes using it refresh the
    preview."""
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": plain_text(label),
        "element": {**element, "action_id": block_id},
        "optional": optional,
    }
    if dispatch:
        block["dispatch_action"] = True
    if isinstance(dispatch, dict):
        block["element"]["dispatch_action_config"] = copy.deepcopy(dispatch)
    if hint:
        block["hint"] = plain_text(hint)
    return block

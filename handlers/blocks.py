"""The small Block Kit parts every handler view is made of: plain_text objects and options, within Slack's limits.
Pure; what leadmover posts in channels is bot/slack/blocks/'s."""

from __future__ import annotations

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

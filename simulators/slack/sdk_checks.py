"""slack_sdk's Block Kit validators, run over every object of a payload (its own validate_json does not recurse),
with each complaint pointed at the field it is about, in Slack's error format."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import Option, OptionGroup

JSON = dict[str, Any]
# What slack_sdk raises on input it cannot model (a missing field, an int where it wants a string...).
UNREADABLE = (TypeError, KeyError, ValueError, AttributeError, SlackObjectFormationError)
_OPTION_KEYS = frozenset({"options", "initial_option", "initial_options"})


def error(pointer: str, message: str) -> str:
    """One problem, worded as Slack's invalid_blocks messages are."""
    return f"[ERROR] {message} [json-pointer:{pointer}]"


def sdk_errors(model: JsonObject, source: Mapping[str, Any], pointer: str) -> list[str]:
    """Run slack_sdk's validators on every object of the model tree (validate_json does not recurse)."""
    errors: list[str] = []
    try:
        model.validate_json()
    except SlackObjectFormationError as exc:
        errors.append(error(_pointer_for(str(exc), source, pointer), str(exc)))
    except UNREADABLE as exc:  # a validator tripping over a wrong type: Slack refuses such a field too
        errors.append(error(pointer, f"slack_sdk cannot read it: {exc!r}"))
    for key, value in source.items():
        parsed = getattr(model, key, None)
        if isinstance(value, list):
            items = parsed if isinstance(parsed, list) and len(parsed) == len(value) else [None] * len(value)
            children = [(f"{pointer}/{key}/{i}", v, p) for i, (v, p) in enumerate(zip(value, items, strict=True))]
        else:
            children = [(f"{pointer}/{key}", value, parsed)]
        for where, child_source, child_parsed in children:
            if not isinstance(child_source, dict):
                continue
            try:
                child = _model(key, child_source, child_parsed)
            except UNREADABLE as exc:
                errors.append(error(where, f"slack_sdk cannot read it: {exc!r}"))
                continue
            if child is not None:
                errors += sdk_errors(child, child_source, where)
    return errors


def _model(key: str, source: JSON, parsed: Any) -> JsonObject | None:
    """The model of a child; options some elements keep as plain dicts are read here, so all get checked."""
    if isinstance(parsed, JsonObject):
        return parsed
    if key in _OPTION_KEYS:
        return Option(**source)
    if key == "option_groups":
        return OptionGroup(**source)
    return None


def _pointer_for(message: str, source: Mapping[str, Any], pointer: str) -> str:
    """Point at the first field the message names ("title must be..." -> /title/text), else at the object."""
    for word in re.findall(r"\w+", message):
        if word in source:
            target = source[word]
            text = "/text" if isinstance(target, dict) and isinstance(target.get("text"), str) else ""
            return f"{pointer}/{word}{text}"
    return pointer

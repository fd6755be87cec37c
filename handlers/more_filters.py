"""The move modal's "More filters": the fields few people use (the e-mail list, the provider, the gateway and the
assignee) stay off the form until asked for, so that it fits one screen. Pure Block Kit, used by move_view.

A field that holds a value, or has something to say (a note from Run again), is never hidden: what the form shows
is what Start sends, and a person never has a filter they cannot see. Hiding only takes away empty fields, so no
value is ever lost by it. Whether the person asked to see every field rides in the view's private_metadata, so the
previews' views.update, a refused submission and Back from the confirmation all keep it.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any, Final

from handlers import ids
from handlers.blocks import plain_text

# In the order they stand on the form; the button comes where the last filter of them stands.
FIELDS: Final = (ids.CONTACTS, ids.ESP_CODE, ids.ESG_CODE, ids.ASSIGNED_TO)
_AFTER: Final = ids.ESG_CODE
# The button's values: what it asks for, so a click delivered twice asks the same thing twice.
SHOW: Final = "show"
HIDE: Final = "hide"
SHOW_LABEL: Final = "More filters"
HIDE_LABEL: Final = "Fewer filters"
_METADATA_KEY: Final = "more"


def holds_value(block: Mapping[str, Any]) -> bool:
    """Whether an input block shows a value (as entered, prefilled or kept)."""
    element = block.get("element") or {}
    return any(element.get(key) for key in ("initial_value", "initial_option", "initial_options"))


def arrange(blocks: list[dict[str, Any]], *, more: bool, kept: Collection[str] = ()) -> list[dict[str, Any]]:
    """`blocks` without the rarely used fields that are empty, unless `more` (the person asked for them) or `kept`
    (they are on the form now: a field never vanishes while it is being used), and with the button that shows or
    hides them after the filters."""
    hidden = {
        b["block_id"]
        for b in blocks
        if b.get("block_id") in FIELDS and not more and b["block_id"] not in kept and not holds_value(b)
    }
    empty = any(b.get("block_id") in FIELDS and not holds_value(b) for b in blocks)
    arranged = []
    for block in blocks:
        if block.get("block_id") not in hidden:
            arranged.append(block)
        if block.get("block_id") == _AFTER and (hidden or empty):
            arranged.append(button(show=bool(hidden)))
    return arranged


def button(*, show: bool) -> dict[str, Any]:
    """The actions block of the toggle: "More filters" while some are hidden, else "Fewer filters"."""
    return {
        "type": "actions",
        "block_id": ids.MORE_FILTERS,
        "elements": [
            {
                "type": "button",
                "action_id": ids.MORE_FILTERS,
                "text": plain_text(SHOW_LABEL if show else HIDE_LABEL),
                "value": SHOW if show else HIDE,
            }
        ],
    }


def metadata(view: Mapping[str, Any]) -> dict[str, Any]:
    """The view's private_metadata as a dict ({} if it cannot be read)."""
    try:
        found = json.loads(view.get("private_metadata") or "{}")
    except (TypeError, json.JSONDecodeError):
        return {}
    return found if isinstance(found, dict) else {}


def asked(view: Mapping[str, Any]) -> bool:
    """Whether the person asked to see every field of this view."""
    return metadata(view).get(_METADATA_KEY) is True


def with_asked(data: dict[str, Any], *, more: bool) -> dict[str, Any]:
    """Metadata saying whether every field is asked for; nothing is added when not, so a plain form's is unchanged."""
    kept = {key: value for key, value in data.items() if key != _METADATA_KEY}
    return kept | ({_METADATA_KEY: True} if more else {})


def shown(view: Mapping[str, Any]) -> set[str]:
    """The rarely used fields that are on the view now."""
    return {str(b.get("block_id")) for b in view.get("blocks") or [] if b.get("block_id") in FIELDS}


def wanted(action: Mapping[str, Any]) -> bool | None:
    """What a click of the button asks for: True to show every field, False to hide the empty ones, None if the
    click is not one of the button's."""
    value = action.get("value")
    return True if value == SHOW else False if value == HIDE else None

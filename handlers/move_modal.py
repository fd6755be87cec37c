"""Pure Block Kit builders for the move modal and the views that replace it after a submission."""

from __future__ import annotations

import json
from typing import Any

from bot import messages
from bot.pickers import Choice, Suggestions
from bot.schemas import ESG_CODES, ESP_CODES, LEAD_FILTERS
from handlers import ids
from handlers.prefill import Fill
from storage.orders import MoveOptions, MoveOrder
from storage.records import JobRecord

View = dict[str, Any]
_HINT_MAX = 2000  # Slack's limit for an input's hint


def _text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _option(value: str, label: str, description: str | None = None) -> dict[str, Any]:
    option: dict[str, Any] = {"text": _text(label[:75]), "value": value[:150]}
    if description:
        option["description"] = _text(description[:75])
    return option


def _input(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str = ""
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": _text(label),
        "element": {**element, "action_id": block_id},
        "optional": optional,
    }
    if hint:
        block["hint"] = _text(hint)
    return block


def _static_select(placeholder: str, options: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "static_select", "placeholder": _text(placeholder), "options": options}


def _endpoint_input(block_id: str, label: str, fill: Fill) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "external_select",
        "placeholder": _text("Search campaigns and lists"),
        "min_query_length": 0,
    }
    choice = fill.picked.get(block_id)
    if choice is not None:
        # Made exactly as an options load makes it, so the submission reads as if the person had picked it.
        element["initial_option"] = _option(choice.value, choice.label)
    return _input(block_id, label, element, hint=fill.notes.get(block_id, "")[:_HINT_MAX])


def build(*, channel_id: str, copy_leads: bool = False, fill: Fill | None = None) -> View:
    """The move modal; `copy_leads` preselects copying, and `fill` what the command named (prefill.Fill).
    The origin channel rides in private_metadata."""
    fill = fill or Fill()
    limit: dict[str, Any] = {"initial_value": str(fill.limit)} if fill.limit is not None else {}
    modes = [
        _option(ids.MODE_MOVE, "Move", "Take the leads out of the source"),
        _option(ids.MODE_COPY, "Copy", "Leave the originals where they are"),
    ]
    blocks: list[dict[str, Any]] = [
        _endpoint_input(ids.SOURCE, "From", fill),
        _endpoint_input(ids.DESTINATION, "To", fill),
        _input(
            ids.MODE,
            "Move or copy",
            {"type": "radio_buttons", "options": modes, "initial_option": modes[copy_leads]},
        ),
        _input(
            ids.LIMIT,
            "At most this many leads",
            {
                "type": "number_input",
                "is_decimal_allowed": False,
                "min_value": "1",
                "placeholder": _text("All"),
                **limit,
            },
            optional=True,
        ),
        {"type": "divider"},
        {"type": "header", "text": _text("Which leads (optional)")},
        _input(
            ids.SEARCH,
            "Name or email contains",
            {"type": "plain_text_input", "max_length": 200, "placeholder": _text("e.g. John or @acme.com")},
            optional=True,
        ),
        _input(
            ids.FILTER,
            "Lead status",
            _static_select("Any status", [_option(v, label) for v, label in LEAD_FILTERS.items()]),
            optional=True,
        ),
        _input(
            ids.CONTACTS,
            "Only these emails",
            {"type": "plain_text_input", "multiline": True, "max_length": 3000},
            optional=True,
            hint="Separate addresses with commas or new lines.",
        ),
        _input(
            ids.ESP_CODE,
            "Email provider",
            _static_select("Any provider", [_option(str(code), label) for code, label in ESP_CODES.items()]),
            optional=True,
        ),
        _input(
            ids.ESG_CODE,
            "Email security gateway",
            _static_select("Any gateway", [_option(code, label) for code, label in ESG_CODES.items()]),
            optional=True,
        ),
        {"type": "divider"},
        _input(
            ids.ASSIGNED_TO,
            "Assign the leads to",
            {
                "type": "external_select",
                "placeholder": _text("Search workspace members"),
                "min_query_length": 0,
            },
            optional=True,
        ),
        _input(
            ids.OPTIONS,
            "Options",
            {
                "type": "checkboxes",
                "options": [_option(flag, *messages.OPTION_LABELS[flag]) for flag in MoveOptions.flag_names()],
            },
            optional=True,
        ),
    ]
    return {
        "type": "modal",
        "callback_id": ids.MOVE_MODAL,
        "title": _text("Copy leads" if copy_leads else "Move leads"),
        "submit": _text("Start"),
        "close": _text("Cancel"),
        "private_metadata": json.dumps({"channel_id": channel_id}),
        "blocks": blocks,
    }


def _notice(title: str, text: str) -> View:
    return {
        "type": "modal",
        "callback_id": f"{ids.MOVE_MODAL}_result",
        "title": _text(title),
        "close": _text("Done"),
        "blocks": [messages.section(text)],
    }


def starting_view(order: MoveOrder) -> View:
    """Shown the moment the form is accepted, while Instantly is being asked."""
    verb = "Copying" if order.copies else "Moving"
    text = (
        f":hourglass_flowing_sand: {verb} leads from {messages.endpoint_phrase(order.source)} to "
        f"{messages.endpoint_phrase(order.destination)}. Asking Instantly to start the job…"
    )
    return _notice("Starting", text)


def awaiting_approval_view(order: MoveOrder, channel_id: str) -> View:
    """Shown when the move is big enough to need an approver."""
    verb = "copy" if order.copies else "move"
    count = f"up to {order.limit:,} leads" if order.limit else "every matching lead"
    text = (
        f":raised_hand: This {verb} of {count} needs a second pair of eyes, so I asked for approval in "
        f"<#{channel_id}>. It starts as soon as an admin or approver other than you approves it, and you will be "
        "told there if it is rejected or expires. Nothing has changed in Instantly yet."
    )
    return _notice("Waiting for approval", text)


def not_saved_view() -> View:
    """leadmover could not write the move down, so it did not ask Instantly."""
    text = (
        ":warning: leadmover could not save your request because of a problem on its side, so nothing was started "
        "and nothing changed in Instantly. It has been logged. Please try again in a moment."
    )
    return _notice("Not started", text)


def result_view(record: JobRecord) -> View:
    """What the modal shows once Instantly has answered."""
    if record.instantly_job_id is None and record.error is None:
        text = (
            ":hourglass_flowing_sand: Instantly is slow to confirm the job. I am checking whether it started "
            "and will post in the channel once it does, or tell you if it did not."
        )
        return _notice("Still starting", text)
    if record.instantly_job_id is None:
        text, _ = messages.start_failed(record, record.error or "Instantly did not start it.")
        return _notice("Not started", f":warning: {text}")
    where = f"<#{record.channel_id}>" if record.channel_id.startswith(("C", "G")) else "a message from me"
    text = (
        f":white_check_mark: Instantly started job `{record.instantly_job_id}`. "
        f"Follow its progress in {where}; I will reply in the thread when it ends."
    )
    return _notice("Started", text)


def option_groups(suggestions: Suggestions) -> list[dict[str, Any]]:
    """Campaigns and lists as Slack option groups; a problem becomes one option that says so."""
    groups = []
    for label, choices in (("Campaigns", suggestions.campaigns), ("Lists", suggestions.lists)):
        if choices:
            groups.append({"label": _text(label), "options": _options(choices)})
    if suggestions.problem:
        groups.append({"label": _text("Instantly"), "options": [_option(ids.UNAVAILABLE, suggestions.problem)]})
    return groups


def _options(choices: tuple[Choice, ...]) -> list[dict[str, Any]]:
    return [_option(choice.value, choice.label) for choice in choices[:100]]


def member_options(suggestions: Suggestions) -> list[dict[str, Any]]:
    options = _options(suggestions.members)
    if suggestions.problem:
        options.append(_option(ids.UNAVAILABLE, suggestions.problem))
    return options

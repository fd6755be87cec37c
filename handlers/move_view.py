"""Pure Block Kit builders for the move modal, as opened, as filled in and as rebuilt with a new preview, and the
options of its pickers. The views that replace it after a submission are move_notices_view.py's."""

from __future__ import annotations

import copy
import json
from collections.abc import Collection, Mapping
from typing import Any, Final

from bot.instantly.schemas import ESG_CODES, ESG_OFFERED, ESP_CODES, LEAD_FILTERS
from bot.slack.blocks import messages
from handlers import ids, more_filters, preview_view, schedule_form
from handlers.blocks import input_block, option, plain_text
from handlers.entered import State, keep_entered, no_hint_once_filled
from handlers.prefill import Fill
from storage.orders import MoveOptions

View = dict[str, Any]
_HINT_MAX = 2000  # Slack's limit for an input's hint
CONTACTS_MAX: Final = 3000  # the longest "Only these emails" Slack lets a text input hold
# Picking these (or pressing Enter in them) sends the app a block_actions, so the preview follows what is entered.
_ON_ENTER: Final = {"trigger_actions_on": ["on_enter_pressed"]}
# Enter makes a new line in a multi-line input: Slack dispatches once the person pauses typing instead.
_ON_TYPING: Final = {"trigger_actions_on": ["on_character_entered"]}


# Instantly's 27 lead filters in the groups a sales team thinks in; every filter is in exactly one.
LEAD_STATUS_GROUPS: Final[dict[str, tuple[str, ...]]] = {
    "Interest": (
        "FILTER_LEAD_INTERESTED",
        "FILTER_LEAD_NOT_INTERESTED",
        "FILTER_LEAD_MEETING_BOOKED",
        "FILTER_LEAD_MEETING_COMPLETED",
        "FILTER_LEAD_CLOSED",
        "FILTER_LEAD_OUT_OF_OFFICE",
        "FILTER_LEAD_WRONG_PERSON",
        "FILTER_LEAD_LOST",
        "FILTER_LEAD_NO_SHOW",
        "FILTER_LEAD_CUSTOM_LABEL_POSITIVE",
        "FILTER_LEAD_CUSTOM_LABEL_NEGATIVE",
    ),
    "Engagement": (
        "FILTER_VAL_CONTACTED",
        "FILTER_VAL_NOT_CONTACTED",
        "FILTER_VAL_ACTIVE",
        "FILTER_VAL_COMPLETED",
        "FILTER_VAL_IN_SUBSEQUENCE",
        "FILTER_VAL_OPENED_NO_REPLY",
        "FILTER_VAL_COMPLETED_NO_REPLY",
        "FILTER_VAL_NO_OPENS",
        "FILTER_VAL_REPLIED",
        "FILTER_VAL_LINK_CLICKED",
    ),
    "Verification": ("FILTER_VAL_VALID", "FILTER_VAL_RISKY", "FILTER_VAL_INVALID", "FILTER_VAL_BOUNCED"),
    "Other": ("FILTER_VAL_UNSUBSCRIBED", "FILTER_VAL_SKIPPED"),
}


def _static_select(placeholder: str, options: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "static_select", "placeholder": plain_text(placeholder), "options": options}


def _endpoint_input(block_id: str, label: str, fill: Fill) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "external_select",
        "placeholder": plain_text("Search campaigns and lists"),
        "min_query_length": 0,
    }
    choice = fill.picked.get(block_id)
    if choice is not None:
        # Made exactly as an options load makes it, so the submission reads as if the person had picked it.
        element["initial_option"] = option(choice.value, choice.label)
    hint = fill.notes.get(block_id, "")[:_HINT_MAX]
    return input_block(block_id, label, element, hint=hint, dispatch=block_id == ids.SOURCE)


def build(
    *,
    channel_id: str,
    copy_leads: bool = False,
    fill: Fill | None = None,
    entered: State | None = None,
    preview: str = preview_view.WAITING,
    run_again_of: int | None = None,
    more: bool = False,
    kept: Collection[str] = (),
    scheduling: schedule_form.Scheduling | None = None,
) -> View:
    """The move modal; `copy_leads` preselects copying, and `fill` what the command named (prefill.Fill).
    `entered` (view.state.values) is shown as entered, and `preview` is the preview's mrkdwn. `more` shows every
    field behind More filters; those holding a value, noted by `fill` or `kept` show anyway (more_filters).
    `scheduling` makes it the schedule modal: the When section follows the move's fields (schedule_form).
    The origin channel rides in private_metadata, and so do the job a Run again repeats, `more` and the schedule
    mode."""
    fill = fill or Fill()
    limit: dict[str, Any] = {"initial_value": str(fill.limit)} if fill.limit is not None else {}
    modes = [
        option(ids.MODE_MOVE, "Move", "Take the leads out of the source"),
        option(ids.MODE_COPY, "Copy", "Leave the originals where they are"),
    ]
    blocks: list[dict[str, Any]] = [
        _endpoint_input(ids.SOURCE, "From", fill),
        _endpoint_input(ids.DESTINATION, "To", fill),
        preview_view.section(preview),
        input_block(
            ids.MODE,
            "Move or copy",
            {"type": "radio_buttons", "options": modes, "initial_option": modes[copy_leads]},
        ),
        input_block(
            ids.LIMIT,
            "At most this many leads",
            {
                "type": "number_input",
                "is_decimal_allowed": False,
                "min_value": "1",
                "placeholder": plain_text("All"),
                **limit,
            },
            optional=True,
        ),
        {"type": "divider"},
        {"type": "header", "text": plain_text("Which leads")},
        input_block(
            ids.SEARCH,
            "Name or email contains",
            {"type": "plain_text_input", "max_length": 200, "placeholder": plain_text("e.g. John or @acme.com")},
            optional=True,
            hint="Press Enter to see which leads it takes.",
            dispatch=_ON_ENTER,
        ),
        input_block(
            ids.FILTER,
            "Lead status",
            {
                "type": "static_select",
                "placeholder": plain_text("Any status"),
                "option_groups": [
                    {"label": plain_text(group), "options": [option(code, LEAD_FILTERS[code]) for code in codes]}
                    for group, codes in LEAD_STATUS_GROUPS.items()
                ],
            },
            optional=True,
            dispatch=True,
        ),
        input_block(
            ids.CONTACTS,
            "Only these emails",
            {"type": "plain_text_input", "multiline": True, "max_length": CONTACTS_MAX},
            optional=True,
            hint="Separate addresses with commas or new lines.",
            dispatch=_ON_TYPING,
        ),
        input_block(
            ids.ESP_CODE,
            "Email provider",
            _static_select("Any provider", [option(str(code), label) for code, label in ESP_CODES.items()]),
            optional=True,
            dispatch=True,
        ),
        input_block(
            ids.ESG_CODE,
            "Email security gateway",
            _static_select("Any gateway", [option(code, ESG_CODES[code]) for code in ESG_OFFERED]),
            optional=True,
            dispatch=True,
        ),
        {"type": "divider"},
        input_block(
            ids.ASSIGNED_TO,
            "Assign the leads to",
            {
                "type": "external_select",
                "placeholder": plain_text("Search workspace members"),
                "min_query_length": 0,
            },
            optional=True,
            hint=fill.notes.get(ids.ASSIGNED_TO, "")[:_HINT_MAX],
        ),
        input_block(
            ids.OPTIONS,
            "Options",
            {
                "type": "checkboxes",
                "options": [option(flag, *messages.OPTION_LABELS[flag]) for flag in MoveOptions.flag_names()],
            },
            optional=True,
        ),
    ]
    for block in blocks:
        keep_entered(block, entered or {})
        no_hint_once_filled(block)
    blocks = more_filters.arrange(blocks, more=more, kept={*kept, *fill.notes})
    source = next(b for b in blocks if b.get("block_id") == ids.SOURCE)
    if preview == preview_view.WAITING and "initial_option" in source["element"]:
        blocks[2] = preview_view.section(preview_view.COUNTING)  # the source is there: its count is on its way
    title, submit = "Copy leads" if copy_leads else "Move leads", "Start"
    if scheduling is not None:
        blocks += schedule_form.blocks(scheduling, entered=entered)
        editing = scheduling.editing
        title, submit = ("Schedule a move", "Schedule") if editing is None else (f"Change schedule #{editing}", "Save")
    return {
        "type": "modal",
        "callback_id": ids.MOVE_MODAL,
        "title": plain_text(title),
        "submit": plain_text(submit),
        "close": plain_text("Cancel"),
        "private_metadata": json.dumps(
            more_filters.with_asked(
                {"channel_id": channel_id}
                | ({"run_again": run_again_of} if run_again_of is not None else {})
                | schedule_form.metadata(scheduling),
                more=more,
            )
        ),
        "blocks": blocks,
    }


def rebuild(view: Mapping[str, Any], *, preview: str | None = None, more: bool | None = None) -> View:
    """The open move modal again, as the person has filled it in so far, with a new `preview` (None: the one it
    shows). Every block_id and action_id stays as it was, so Slack also keeps what was typed meanwhile; title,
    metadata and a schedule modal's When section stay too. `more` is a click of More filters: True shows every
    field behind it, False hides those left empty; None keeps on the form every field that is on it."""
    metadata = more_filters.metadata(view)
    channel = str(metadata.get("channel_id", ""))
    entered = (view.get("state") or {}).get("values") or {}
    showing = more_filters.asked(view) if more is None else more
    rebuilt = build(
        channel_id=channel,
        entered=entered,
        preview=preview_of(view) if preview is None else preview,
        more=showing,
        kept=more_filters.shown(view) if more is None else (),
        scheduling=schedule_form.scheduling_of(view),
    )
    # A note the form was opened with ("several lists match…") stays until that field is filled in.
    notes = {
        b.get("block_id"): b["hint"] for b in view.get("blocks") or [] if b.get("type") == "input" and b.get("hint")
    }
    for block in rebuilt["blocks"]:
        if block.get("block_id") in notes and "hint" not in block and not more_filters.holds_value(block):
            block["hint"] = copy.deepcopy(notes[block["block_id"]])
    rebuilt["title"] = copy.deepcopy(view.get("title")) or rebuilt["title"]
    if more is None:
        rebuilt["private_metadata"] = view.get("private_metadata") or rebuilt["private_metadata"]
    else:
        rebuilt["private_metadata"] = json.dumps(more_filters.with_asked(metadata, more=more))
    return rebuilt


def preview_of(view: Mapping[str, Any]) -> str:
    """The preview's mrkdwn as the view shows it."""
    block = next((b for b in view.get("blocks") or [] if b.get("block_id") == ids.PREVIEW), None)
    text = ((block or {}).get("text") or {}).get("text")
    return str(text) if text else preview_view.WAITING

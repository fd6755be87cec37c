"""Block Kit for taking a finished move back: the Move back button (or why there is none) under a move's final
reply, and the modal that asks to confirm it. Its ids are shared with handlers/undo.py and the final reply's actions
block (bot.slack.blocks.thread_messages)."""

from __future__ import annotations

import json
from typing import Any, Final

from bot.instantly.schemas import JobStatus
from bot.slack.blocks.messages import Blocks, context, escape, job_button, section
from storage.orders import Endpoint, EndpointKind
from storage.records import JobRecord

MOVE_BACK: Final = "move_back"
CONFIRM_MODAL: Final = "confirm_move_back"
NOT_REPORTED: Final = "Instantly did not report which leads moved, so this move cannot be taken back here."
NOT_AGAIN: Final = "This was a Move back: to move these leads again, start a new move with `/leads move`."
# Instantly names at most this many of a job's moved leads (REFERENCE.md: `moved_lead_emails`).
REPORTED_AT_MOST: Final = 10_000


def _is_finished_move(record: JobRecord) -> bool:
    order = record.order  # a followed job (no order) was never leadmover's to take back
    if order is None or order.takes_back is not None:  # taking a Move back back is a new move, asked for anew
        return False
    return record.status == JobStatus.SUCCESS and not order.copies and record.moved_leads != 0


def offers_move_back(record: JobRecord) -> bool:
    """A successful move (never a copy: its leads never left) of Instantly's: which leads moved is asked of Instantly
    when the button is pressed."""
    return _is_finished_move(record) and record.instantly_job_id is not None


def move_back_button(record: JobRecord) -> dict[str, Any] | None:
    """The button under a finished move's reply; None where there is nothing to take back."""
    if not offers_move_back(record):
        return None
    return job_button(MOVE_BACK, "Move back", record.id)


def cannot_move_back(record: JobRecord) -> str | None:
    """Why a finished move has no Move back button (Instantly never named its job); None otherwise."""
    return NOT_REPORTED if _is_finished_move(record) and not offers_move_back(record) else None


def place(endpoint: Endpoint) -> str:
    """ "list X", the name escaped for mrkdwn."""
    kind = "campaign" if endpoint.kind == EndpointKind.CAMPAIGN else "list"
    return f"{kind} {escape(endpoint.name)}"


def question(record: JobRecord) -> str:
    """ "Move 1,234 leads back from list X to campaign Y?" — the count Instantly reported when the move ended."""
    order = record.move
    if record.moved_leads is None:
        return f"Move the leads back from {place(order.destination)} to {place(order.source)}?"
    return f"Move {record.moved_leads:,} leads back from {place(order.destination)} to {place(order.source)}?"


def _text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def confirm_view(record: JobRecord) -> dict[str, Any]:
    blocks: Blocks = [section(question(record))]
    if record.moved_leads is not None and record.moved_leads > REPORTED_AT_MOST:
        # Said before confirming, since the rest stay where they are.
        blocks.append(context(f"Instantly names only the first {REPORTED_AT_MOST:,}: only those go back."))
    return {
        "type": "modal",
        "callback_id": CONFIRM_MODAL,
        "title": _text("Move back"),
        "submit": _text("Move back"),
        "close": _text("Cancel"),
        "private_metadata": json.dumps({"job_id": record.id}),
        "blocks": blocks,
    }


def outcome_view(text: str) -> dict[str, Any]:
    """The modal once confirmed: what came of it, in words."""
    return {"type": "modal", "title": _text("Move back"), "close": _text("Close"), "blocks": [context(text)]}

"""Pure Block Kit builders for the views that replace the move modal after a submission: starting, waiting for an
approver, started, or not started and why."""

from __future__ import annotations

from typing import Any, Final

from bot.door_terms import roughly
from bot.slack.blocks import messages
from handlers import ids
from handlers.blocks import plain_text
from storage.orders import MoveOrder
from storage.records import JobRecord

View = dict[str, Any]


def _notice(title: str, text: str, *, clear: bool = True) -> View:
    # Over a confirmation, closing the notice closes the form underneath too (`clear`), so it cannot be sent twice.
    return {
        "type": "modal",
        "callback_id": f"{ids.MOVE_MODAL}_result",
        "title": plain_text(title),
        "close": plain_text("Done" if clear else "Back"),
        "clear_on_close": clear,
        "blocks": [messages.section(text)],
    }


def refused_view(text: str) -> View:
    """A confirmed move that may not start now; Back returns to the form, as it was filled in."""
    return _notice("Not started", f":no_entry: {text}", clear=False)


# Below this wait the notice just says Instantly is being asked; above it, roughly when the move starts.
QUEUED_NOTICE_SECONDS: Final = 10.0


def starting_view(order: MoveOrder, *, starts_in: float = 0.0) -> View:
    """Shown the moment the form is accepted, while Instantly is being asked (or the move waits its turn)."""
    verb = "Copying" if order.copies else "Moving"
    places = f"leads from {messages.endpoint_phrase(order.source)} to {messages.endpoint_phrase(order.destination)}"
    if starts_in < QUEUED_NOTICE_SECONDS:
        return _notice("Starting", f":hourglass_flowing_sand: {verb} {places}. Asking Instantly to start the job…")
    text = (
        f":hourglass_flowing_sand: {verb} {places}. Instantly is busy, so moves start in turns across people: this "
        f"one should start in {roughly(starts_in)}. It is saved; you can close this, and the channel is told when it "
        "starts."
    )
    return _notice("Queued", text)


def awaiting_approval_view(record: JobRecord, channel_id: str) -> View:
    """Shown when the move is big enough to need an approver."""
    what = f"{messages.noun_of(record.move).lower()} of {messages.lead_count_phrase(record)}"
    text = (
        f":raised_hand: This {what} needs a second pair of eyes, so I asked for approval in <#{channel_id}>. "
        "It starts as soon as an admin or approver other than you approves it, and you will be told there if it is "
        "rejected or expires. Nothing has changed in Instantly yet."
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

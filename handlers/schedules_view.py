"""Pure Block Kit builders for schedules: the `/leads schedules` list and App Home's Schedules section, each schedule
with its buttons, and the notice the schedule modal becomes once a schedule is saved."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from bot.schedules import recurrence_of, slack_time
from bot.slack.blocks import messages, schedule_messages
from handlers import ids
from handlers.blocks import plain_text
from storage.automation_models import ScheduleState
from storage.orders import LeadFilters, MoveOrder
from storage.schedules import ScheduleRecord

View = dict[str, Any]
Block = dict[str, Any]

MAX_LISTED: Final = 15  # three blocks each: a message holds 50
MAX_HOME: Final = 5
_SECTION_TEXT_MAX: Final = 3000
HOW_TO_MAKE_ONE: Final = (
    f"Type `{ids.COMMAND} {ids.SCHEDULE}` in the channel that should hear of each run: it opens the move form with "
    "a When section. `from:`, `to:` and `limit:` fill it in, as with "
    f"`{ids.COMMAND} {ids.MODE_MOVE}`."
)
_STATE_WORDS: Final = {
    ScheduleState.AWAITING_APPROVAL: ":hourglass: *Waiting for an approver*: it runs once approved",
    ScheduleState.REJECTED: ":no_entry: *Not approved*: it does not run. Change its move to ask again",
}


def takes_every_lead(order: MoveOrder) -> bool:
    return order.limit is None and order.filters == LeadFilters()


def when_words(record: ScheduleRecord) -> str:
    """ "every Monday at 09:00 (America/New York)"."""
    recurrence = recurrence_of(record.when)
    return f"{recurrence.words()} ({recurrence.zone_words()})"


def state_words(record: ScheduleRecord) -> str:
    """Where a schedule stands: its next run, or why it does not run."""
    if record.state == ScheduleState.ACTIVE and record.put_off_reason is not None:
        return f":hourglass: Its run of {slack_time(record.next_run_at)} waits to start: {record.put_off_reason}"
    if record.state == ScheduleState.ACTIVE:
        return f"Next run: {slack_time(record.next_run_at)}"
    if record.state == ScheduleState.PAUSED:
        return f":double_vertical_bar: *Paused*{f' ({record.paused_reason})' if record.paused_reason else ''}"
    return _STATE_WORDS.get(record.state, f"*{record.state.value}*")


def last_run_words(record: ScheduleRecord) -> str:
    if record.last_run_at is None or record.last_outcome is None:
        return "Not run yet"
    return f"Last run {messages.slack_date(record.last_run_at)}: {record.last_outcome}"


def where_runs_go(channel_id: str) -> str:
    """The channel that hears of each run; a schedule made in a direct message hears there."""
    return f"<#{channel_id}>" if channel_id.startswith(("C", "G")) else "your messages with leadmover"


def _clip(text: str) -> str:
    return text if len(text) <= _SECTION_TEXT_MAX else text[: _SECTION_TEXT_MAX - 1] + "…"


def _button(kind: str, label: str, record: ScheduleRecord, *, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": ids.schedule_action(kind, record.id),
        "text": plain_text(label),
        "value": str(record.id),
    }
    if style is not None:
        button["style"] = style
    return button


def buttons(record: ScheduleRecord) -> Block:
    """Pause or Resume (whichever applies, and neither while it waits for an approver), Run now, Edit, Delete."""
    shown: list[dict[str, Any]] = []
    if record.state == ScheduleState.ACTIVE:
        shown.append(_button(ids.SCHEDULE_PAUSE, "Pause", record))
    elif record.state == ScheduleState.PAUSED:
        shown.append(_button(ids.SCHEDULE_RESUME, "Resume", record, style="primary"))
    if record.state in (ScheduleState.ACTIVE, ScheduleState.PAUSED):
        shown.append(_button(ids.SCHEDULE_RUN_NOW, "Run now", record))
    shown.append(_button(ids.SCHEDULE_EDIT, "Edit", record))
    delete = _button(ids.SCHEDULE_DELETE, "Delete", record, style="danger")
    delete["confirm"] = {
        "title": plain_text("Delete this schedule?"),
        "text": plain_text(f"Schedule #{record.id} stops for good. Moves it already made stay as they are."),
        "confirm": plain_text("Delete"),
        "deny": plain_text("Keep it"),
        "style": "danger",
    }
    shown.append(delete)
    return {"type": "actions", "elements": shown}


def _schedule_blocks(record: ScheduleRecord, *, viewer: str) -> list[Block]:
    what = schedule_messages.what(record.order)
    line = f"*#{record.id}* · {what[:1].upper()}{what[1:]}\n{when_words(record)} · {state_words(record)}"
    details = [last_run_words(record), f"Runs are announced in {where_runs_go(record.channel_id)}"]
    if record.owner_id != viewer:
        details.append(f"Made by <@{record.owner_id}>")
    return [messages.section(_clip(line)), messages.context(_clip(" · ".join(details))), buttons(record)]


def schedule_list(
    records: Sequence[ScheduleRecord], *, viewer: str, note: str | None = None
) -> tuple[str, messages.Blocks]:
    """`/leads schedules`: the viewer's schedules (an admin's list holds the workspace's), soonest first; `note`
    says what a button just did."""
    everyone = any(record.owner_id != viewer for record in records)
    heading = "Schedules in this workspace" if everyone else "Your schedules"
    intro = f"{note}\n" if note else ""
    if not records:
        text = f"{intro}You have no schedules. {HOW_TO_MAKE_ONE}"
        return text, [messages.section(text)]
    blocks: messages.Blocks = [messages.section(f"{intro}*{heading}* ({len(records)})")]
    for record in records[:MAX_LISTED]:
        blocks += _schedule_blocks(record, viewer=viewer)
    if len(records) > MAX_LISTED:
        blocks.append(messages.context(f"and {len(records) - MAX_LISTED} more, which run as usual."))
    return f"{intro}{heading}: {len(records)}", blocks


def home_section(records: Sequence[ScheduleRecord], *, viewer: str) -> list[Block]:
    """App Home's Schedules: at most five, with their buttons; the rest are in `/leads schedules`."""
    blocks: list[Block] = [{"type": "divider"}, {"type": "header", "text": plain_text("Schedules")}]
    if not records:
        return [*blocks, messages.section(f"You have no schedules. {HOW_TO_MAKE_ONE}")]
    for record in records[:MAX_HOME]:
        blocks += _schedule_blocks(record, viewer=viewer)
    if len(records) > MAX_HOME:
        more = len(records) - MAX_HOME
        blocks.append(messages.context(f"and {more} more: `{ids.COMMAND} {ids.SCHEDULES}` lists them all."))
    return blocks


def _notice(title: str, text: str) -> View:
    return {
        "type": "modal",
        "callback_id": f"{ids.MOVE_MODAL}_scheduled",
        "title": plain_text(title),
        "close": plain_text("Done"),
        "clear_on_close": True,
        "blocks": [messages.section(_clip(text))],
    }


def saved_view(record: ScheduleRecord, *, edited: bool) -> View:
    """What the schedule modal becomes once the schedule is saved: what it moves, when, and its first run."""
    what = schedule_messages.what(record.order)
    said = f"Schedule #{record.id} now runs: {what}" if edited else f"Scheduled: {what}"
    text = f":white_check_mark: {said}, {when_words(record)}."
    if record.state == ScheduleState.AWAITING_APPROVAL:
        text += (
            " Its move needs a second pair of eyes, so it waits for an admin or approver other than you; it runs "
            "from its next time once approved."
        )
    else:
        text += f" {'Next' if edited else 'First'} run: {slack_time(record.next_run_at)}."
    text += f" Each run is announced in {where_runs_go(record.channel_id)}."
    if takes_every_lead(record.order):
        noun = "copies" if record.order.copies else "moves"
        text += (
            f"\n:warning: No limit and no filter: each run {noun} every lead in the "
            f"{messages.endpoint_phrase(record.order.source)}."
        )
    return _notice("Schedule saved" if edited else "Scheduled", text)


def not_saved_view() -> View:
    """leadmover could not write the schedule down."""
    text = (
        ":warning: leadmover could not save this schedule because of a problem on its side, so nothing was "
        "scheduled. It has been logged. Please try again in a moment."
    )
    return _notice("Not scheduled", text)

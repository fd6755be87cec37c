"""The one reply a job gets in its thread: the outcome in words, how many leads, how long it took, and what can be
done next (Show moved leads, Move back); for a job only followed, the counts Instantly gave and its own times. Pure:
the channel's settings (storage.channel_settings) come in as a value.

The reply is posted the moment a poll sees the end, with the count that poll carried: it never waits for the moved
e-mails, which are read only when someone presses Show moved leads (bot.slack.blocks.moved_leads_messages).

The `text` fallback is what a notification shows: plain words, no mrkdwn stars or emoji codes; names in it are
still escaped, since Slack parses `<…>` in it too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from bot.instantly.schemas import JobStatus
from bot.slack.blocks import moved_leads_messages, undo_messages
from bot.slack.blocks.messages import (
    Blocks,
    context,
    counts_phrase,
    endpoint_phrase,
    escape,
    job_context,
    job_type_words,
    noun_of,
    section,
    slack_date,
    verb_of,
)
from storage.channel_settings import DEFAULT, ChannelSettings
from storage.orders import Endpoint, EndpointKind
from storage.records import JobRecord

# The row of buttons under a final reply (its buttons' action ids are their features').
ACTIONS_BLOCK: Final = "final_reply_actions"


_EMOJI: Final[dict[str, str]] = {
    JobStatus.SUCCESS: ":white_check_mark:",
    JobStatus.FAILED: ":x:",
    JobStatus.CANCELLED: ":no_entry_sign:",
}


def duration(start: datetime, end: datetime) -> str:
    """How long a job ran, as people say it: "42 s", "2 min 05 s", "1 h 02 min"."""
    seconds = max(0, round((end - start).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def succeeded(record: JobRecord) -> bool:
    return record.status == JobStatus.SUCCESS


def mentions_requester(record: JobRecord, settings: ChannelSettings) -> bool:
    """A job that did not succeed always calls its requester; a success only where the channel wants it. A job the
    channel watches (/leads watch) had no requester: it calls whoever set the watch, on failure, where the channel
    wants that."""
    if record.via == "watch":
        return not succeeded(record) and settings.mention_watchers
    return not succeeded(record) or settings.mention_on_success


def _plain_endpoint(endpoint: Endpoint) -> str:
    kind = "campaign" if endpoint.kind == EndpointKind.CAMPAIGN else "list"
    return f"{kind} {escape(endpoint.name)}"


def _took(record: JobRecord) -> str:
    # A followed job began in Instantly, maybe long before leadmover heard of it.
    began = record.started_at or record.created_at
    return f" in {duration(began, record.finished_at)}" if record.finished_at else ""


def _outcome(record: JobRecord, *, destination: str) -> str:
    """What happened, in one or two sentences; `destination` is already rendered (plain or mrkdwn). A job only
    followed has no destination: Instantly's word on it is all, and its counts follow apart."""
    status = record.status or ""
    moved = verb_of(record, past=True)
    took = _took(record)
    if status == JobStatus.SUCCESS:
        if record.tracked:
            return f"Instantly reports the job completed{took}."
        if record.moved_leads is not None:
            return f"{record.moved_leads:,} leads {moved} to {destination}{took}."
        return f"Leads {moved} to {destination}{took}; Instantly did not report how many."
    if status == JobStatus.FAILED:
        moved_some = record.moved_leads and not record.tracked
        partial = f" {record.moved_leads:,} leads were {moved} before it stopped." if moved_some else ""
        detail = f" {escape(record.error)}" if record.error else ""
        return f"Instantly reports the job failed at {record.progress}%{took}.{partial}{detail}"
    if status == JobStatus.CANCELLED:
        return f"the job was cancelled in Instantly at {record.progress}%{took}."
    return escape(record.error or f"it ended with status “{status}”")


def _headline(record: JobRecord) -> str:
    order = record.order
    noun = job_type_words(record.job_type) if order is None else noun_of(order)
    status = record.status or ""
    if status == JobStatus.SUCCESS:
        return f"{noun} completed"
    if status == JobStatus.FAILED:
        return f"{noun} failed"
    if status == JobStatus.CANCELLED:
        return f"{noun} cancelled"
    return f"Stopped checking on this {noun.lower()}"


def final_reply(record: JobRecord, *, settings: ChannelSettings = DEFAULT) -> tuple[str, Blocks]:
    """The one reply posted in the thread when a job ends; its text names the outcome in words."""
    mention = f"<@{record.user_id}>, " if mentions_requester(record, settings) else ""
    headline = _headline(record)
    order = record.order
    plain = _outcome(record, destination=_plain_endpoint(order.destination) if order else "")
    shown = _outcome(record, destination=endpoint_phrase(order.destination) if order else "")
    counts = counts_phrase(record) if order is None else None
    if order is None:
        plain += f" Counts from Instantly: {counts}." if counts else " Instantly reported no counts."
    text = f"{headline}. {mention}{_capital(plain, mention)}"
    emoji = _EMOJI.get(record.status or "", ":warning:")
    blocks: Blocks = [section(f"{emoji} *{headline}.* {mention}{_capital(shown, mention)}")]
    if order is None:
        blocks.append(context(f"Counts from Instantly: {counts}" if counts else "Instantly reported no counts."))
    withheld = moved_leads_messages.withheld_line(record, settings)
    if withheld:
        blocks.append(context(withheld))
    facts = [job_context(record)]
    if record.started_at is not None:
        facts.append(f"Started {slack_date(record.started_at)}")
    if record.finished_at is not None:
        facts.append(f"Finished {slack_date(record.finished_at)}")
    blocks.append(context(" · ".join(facts)))
    blocks.extend(_actions(record, settings))  # last, so the facts read first and the actions follow them
    return text, blocks


def _actions(record: JobRecord, settings: ChannelSettings) -> Blocks:
    """Show moved leads and Move back, where they apply, in one row; else why a finished move cannot go back."""
    buttons = [
        button
        for button in (moved_leads_messages.show_button(record, settings), undo_messages.move_back_button(record))
        if button is not None
    ]
    blocks: Blocks = [{"type": "actions", "block_id": ACTIONS_BLOCK, "elements": buttons}] if buttons else []
    cannot = undo_messages.cannot_move_back(record)
    if cannot:
        blocks.append(context(cannot))
    return blocks


def _capital(sentence: str, mention: str) -> str:
    """After "Name, " a sentence goes on in lower case as written; standing alone it starts with a capital."""
    return sentence if mention or not sentence else sentence[0].upper() + sentence[1:]

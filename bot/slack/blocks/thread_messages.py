"""The one reply a job gets in its thread: the outcome in words, how many leads, how long it took, and a few of the
moved e-mails; for a job only followed, the counts Instantly gave and its own times. Pure: the channel's settings
(storage.channel_settings) and who may read the channel (Reach) come in as values.

Lead e-mails stay inside the company: where the channel is shared with another organisation, or Slack could not say,
or the channel's settings say so, the reply says where to see them in Instantly instead of listing them.

The `text` fallback is what a notification shows: plain words, no mrkdwn stars or emoji codes; names in it are
still escaped, since Slack parses `<…>` in it too.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final
from urllib.parse import quote

from bot.instantly.schemas import JobStatus
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
from bot.slack.blocks.undo_messages import reply_blocks as move_back_blocks
from storage.channel_settings import DEFAULT, ChannelSettings
from storage.orders import Endpoint, EndpointKind
from storage.records import JobRecord

# Instantly's web app, where a campaign's leads are listed.
INSTANTLY_APP: Final = "https://app.instantly.ai/app"


class Reach(StrEnum):
    """Who may read the conversation a final reply goes to, as far as lead e-mails are concerned."""

    COMPANY = "company"  # only the company's own people: a channel of its own, or the requester's DM
    OUTSIDE = "outside"  # shared with another organisation (Slack Connect)
    UNKNOWN = "unknown"  # Slack could not say: treated like OUTSIDE


_WITHHELD_BECAUSE: Final[dict[Reach, str]] = {
    Reach.OUTSIDE: "this channel is shared with another organisation",
    Reach.UNKNOWN: "Slack could not tell me whether this channel is shared with another organisation",
}

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
    """A job that did not succeed always calls its requester; a success only where the channel wants it."""
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
    return f"{noun} no longer followed"


def sample_line(record: JobRecord) -> str | None:
    """A few of the moved e-mails, escaped; None when Instantly named none."""
    if not record.moved_lead_sample:
        return None
    sample = record.moved_lead_sample
    shown = ", ".join(escape(email) for email in sample)
    total = record.moved_leads
    more = f" (the first {len(sample)} of {total:,})" if total and total > len(sample) else ""
    return f"{verb_of(record, past=True).capitalize()}: {shown}{more}"


def shows_sample(settings: ChannelSettings, reach: Reach) -> bool:
    """Moved e-mails are listed only where the channel's settings allow it and no one outside the company reads."""
    return settings.show_sample and reach == Reach.COMPANY


def where_to_see(record: JobRecord) -> str:
    """Where in Instantly the moved leads are: the destination (a campaign linked), or a followed job's id."""
    order = record.order
    if order is None:
        return f"Instantly, job `{escape(record.instantly_job_id or 'unknown')}`"
    destination = order.destination
    if destination.kind == EndpointKind.CAMPAIGN:
        url = f"{INSTANTLY_APP}/campaign/{quote(destination.id, safe='')}/leads"
        return f"Instantly, in <{url}|campaign {escape(destination.name)}>"
    return f"Instantly, in list *{escape(destination.name)}*"


def withheld_line(record: JobRecord, *, settings: ChannelSettings, reach: Reach) -> str | None:
    """In place of the sample: why no e-mail is listed here, and where to see them; None when the sample is shown,
    or when Instantly named none."""
    if not record.moved_lead_sample or shows_sample(settings, reach):
        return None
    why = "this channel's settings leave them out" if not settings.show_sample else _WITHHELD_BECAUSE[reach]
    return f":lock: Lead e-mails are not listed here: {why}. See them in {where_to_see(record)}."


def final_reply(
    record: JobRecord, *, settings: ChannelSettings = DEFAULT, reach: Reach = Reach.COMPANY
) -> tuple[str, Blocks]:
    """The one reply posted in the thread when a job ends; its text names the outcome in words. `reach` says who
    reads where it is posted: a few moved e-mails are listed only for the company's own people."""
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
    sample = (
        sample_line(record) if shows_sample(settings, reach) else withheld_line(record, settings=settings, reach=reach)
    )
    if sample:
        blocks.append(context(sample))
    when = f"Finished {slack_date(record.finished_at)} · " if record.finished_at else ""
    if record.started_at is not None:
        when = f"Started {slack_date(record.started_at)} · {when}"
    blocks.append(context(when + job_context(record)))
    blocks.extend(move_back_blocks(record))  # last, so the facts read first and the one action follows them
    return text, blocks


def _capital(sentence: str, mention: str) -> str:
    """After "Name, " a sentence goes on in lower case as written; standing alone it starts with a capital."""
    return sentence if mention or not sentence else sentence[0].upper() + sentence[1:]

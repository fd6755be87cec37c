"""The message that watched jobs found together share, and the replies in its thread: a line per job, edited as the
jobs run, and replies that name the jobs that ended, how, with Instantly's counts and the time each took. Pure: the
channel's settings come in as a value."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Final

from bot.instantly.schemas import JobStatus, is_terminal
from bot.slack.blocks.messages import (
    Blocks,
    context,
    counts_phrase,
    escape,
    job_number,
    job_type_words,
    section,
    slack_date,
    status_emoji,
    status_words,
)
from bot.slack.blocks.thread_messages import duration, mentions_requester, succeeded
from storage.channel_settings import ChannelSettings
from storage.records import JobRecord

# Below Slack's 3,000 characters of a section's text.
_SECTION_CHARS: Final = 2900
_ENDED_WORDS: Final[dict[str, str]] = {
    JobStatus.SUCCESS: "completed",
    JobStatus.FAILED: "failed",
    JobStatus.CANCELLED: "cancelled",
}


def _name(record: JobRecord) -> str:
    """The job as its single announcement would name it: type, what it touches, who started it."""
    name = record.via_name or job_type_words(record.job_type)
    started = f", {slack_date(record.started_at)}" if record.started_at is not None else ""
    return f"{job_number(record.id)} · {name}{started}"


def _state_word(record: JobRecord) -> str:
    if record.status is not None and is_terminal(record.status):
        return _ENDED_WORDS.get(record.status, escape(record.status))
    return "no longer followed" if record.finished_at is not None else "in progress"


def _tally(records: Sequence[JobRecord]) -> str:
    """ "3 in progress, 5 completed, 1 failed": the states in the order they first appear."""
    counted = Counter(_state_word(record) for record in records)
    return ", ".join(f"{count} {word}" for word, count in counted.items())


def _counts(record: JobRecord) -> str:
    return counts_phrase(record) or "no counts from Instantly"


def _sections(lines: Sequence[str]) -> Blocks:
    """The lines packed into as few sections as Slack's length limit allows."""
    blocks: Blocks = []
    chunk = ""
    for line in lines:
        line = line[:_SECTION_CHARS]
        if chunk and len(chunk) + 1 + len(line) > _SECTION_CHARS:
            blocks.append(section(chunk))
            chunk = line
        else:
            chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        blocks.append(section(chunk))
    return blocks


def _running_line(record: JobRecord) -> str:
    state = f"*{status_words(record.status)}*"
    if record.status is not None and is_terminal(record.status):
        state += f" · {_counts(record)}"
    else:
        state += f" · {record.progress}%"
    return f"{status_emoji(record.status)} {_name(record)} — {state}"


def announcement(records: Sequence[JobRecord], *, note: str | None = None) -> tuple[str, Blocks]:
    """The one message that announces these jobs, edited in place as they run; `note` says why it is where it is
    (a DM instead of the channel, or a fresh copy of a message that was deleted)."""
    tally = _tally(records)
    blocks: Blocks = [section(f":mag: *{len(records)} new Instantly jobs* in this workspace · {tally}")]
    blocks += _sections([_running_line(record) for record in records])
    blocks.append(
        context(
            f"Each is answered in this thread when it ends. `/leads status {job_number(records[0].id)}`"
            " shows one in full."
        )
    )
    text = f"{len(records)} new Instantly jobs: {tally}"
    if note:
        blocks.insert(0, context(note))
        text = f"{note}\n{text}"
    return text, blocks


def _ended_line(record: JobRecord) -> str:
    began = record.started_at or record.created_at
    took = f" in {duration(began, record.finished_at)}" if record.finished_at is not None else ""
    status = record.status or ""
    if status == JobStatus.SUCCESS:
        outcome = f"*completed*{took} · {_counts(record)}"
    elif status in (JobStatus.FAILED, JobStatus.CANCELLED):
        why = f": {escape(record.error)}" if record.error else ""
        outcome = f"*{_ENDED_WORDS[status]}* at {record.progress}%{took}{why} · {_counts(record)}"
    else:
        outcome = f"*{status_words(status)}* · {escape(record.error or 'leadmover stopped following it')}"
    emoji = status_emoji(status) if status in _ENDED_WORDS else ":warning:"
    return f"{emoji} {_name(record)} — {outcome}"


def final_reply(records: Sequence[JobRecord], *, settings: ChannelSettings) -> tuple[str, Blocks]:
    """The reply, in the shared message's thread, that tells how these jobs ended: the ones that did not succeed
    first, and whoever the channel's settings say should hear of them called by name."""
    ended = sorted(records, key=lambda record: (succeeded(record), record.id))
    called = dict.fromkeys(record.user_id for record in ended if mentions_requester(record, settings))
    mention = "".join(f"<@{user}> " for user in called)
    head = f"Job {job_number(ended[0].id)} ended" if len(ended) == 1 else f"{len(ended)} of these jobs ended"
    tally = _tally(ended)
    blocks: Blocks = [section(f"{mention}*{head}*: {tally}"), *_sections([_ended_line(record) for record in ended])]
    return f"{mention}{head}: {tally}", blocks

"""Pure Block Kit builders for what leadmover posts: announcements, progress, job lists, usage (the final reply is in
bot.slack.blocks.thread_messages). A job only followed (`/leads track`) has no order: it is named by Instantly's job
type."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Final

from bot.instantly.schemas import ESG_CODES, ESP_CODES, LEAD_FILTERS, JobStatus, is_terminal
from storage.orders import Endpoint, EndpointKind, MoveOrder
from storage.records import JobRecord

Blocks = list[dict[str, Any]]

METADATA_EVENT_ANNOUNCEMENT: Final = "leadmover_job_announced"
METADATA_EVENT_FINAL: Final = "leadmover_job_finished"

_STATUS_WORDS: Final[dict[str, str]] = {
    JobStatus.PENDING: "Waiting to start in Instantly",
    JobStatus.IN_PROGRESS: "In progress",
    JobStatus.DRAINING: "Finishing up",
    JobStatus.PAUSED: "Paused by Instantly (waiting for quota or authorisation)",
    JobStatus.SUCCESS: "Completed",
    JobStatus.FAILED: "Failed",
    JobStatus.CANCELLED: "Cancelled",
}
_STATUS_EMOJI: Final[dict[str, str]] = {
    JobStatus.SUCCESS: ":white_check_mark:",
    JobStatus.FAILED: ":x:",
    JobStatus.CANCELLED: ":no_entry_sign:",
    JobStatus.PAUSED: ":double_vertical_bar:",
}
_BAR_CELLS: Final = 20
# Instantly's job types in the words of its spec (x-enumDescriptions); a type added since is shown as it comes.
JOB_TYPE_WORDS: Final[dict[str, str]] = {
    "move-leads": "Move leads",
    "import-leads": "Import leads",
    "export-leads": "Export leads",
    "update-warmup-accounts": "Update warmup accounts",
    "rename-variable": "Rename variable",
    "broadcast-ai-generate": "AI broadcast generation",
    "broadcast-website-scrape": "Broadcast website analysis",
    "import-subscribers-from-crm": "Import subscribers from CRM",
    "resync-subscriber-crm-tags": "Re-sync subscriber CRM tags",
}
# What Instantly's counts in a job's `data` mean, as "<number> <words>"; others are shown by their own name.
COUNT_WORDS: Final[dict[str, str]] = {
    "moved_leads": "leads moved",
    "success_count": "succeeded",
    "failed_count": "failed",
    "total_to_process": "to process",
    "skipped_count": "skipped",
    "duplicate_count": "duplicates",
}

# What each on/off option of a MoveOrder does, in the words the modal and the messages use.
OPTION_LABELS: Final[dict[str, tuple[str, str]]] = {
    "skip_duplicates": ("Skip duplicates", "Don't add leads that already exist at the destination"),
    "skip_duplicates_in_campaigns": ("Skip leads in other campaigns", "Check duplicates across all campaigns"),
    "skip_leads_in_verification": ("Skip leads still in verification", "Leave leads whose email check is running"),
    "reset_interest_status": ("Reset interest status", "Start the moved leads with a clean interest status"),
    "ignore_source_filters": (
        "Ignore the source's saved filters",
        "Take leads too that the campaign's or list's own filters leave out",
    ),
}


# Slack turns these into notifications wherever it parses text; a word joiner after the @ leaves them as words.
_BROADCASTS: Final = re.compile(r"@(here|channel|everyone)\b", re.IGNORECASE)


def escape(text: str) -> str:
    """Make text from people or Instantly safe in mrkdwn: no mentions, links or notifications can come of it."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCASTS.sub("@\u2060\\1", escaped)


def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object that Slack takes as written: names in it never become links or mentions."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text)}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn(text)]}


def job_button(action_id: str, label: str, job_id: int, *, style: str | None = None) -> dict[str, Any]:
    """A button that acts on one job: its value is the job's number."""
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "value": str(job_id),
    }
    if style is not None:
        button["style"] = style
    return button


def slack_date(when: datetime) -> str:
    """A moment (naive UTC, as stored) that Slack shows in each reader's own time zone; UTC where it cannot."""
    epoch = int(when.replace(tzinfo=UTC).timestamp())
    fallback = when.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|{fallback}>"


def status_words(status: str | None) -> str:
    """A job status in words; one Instantly added after this was written is shown as it comes, made safe."""
    if status is None:
        return "Starting"
    return _STATUS_WORDS.get(status) or escape(status.replace("-", " ").capitalize())


def status_emoji(status: str | None) -> str:
    return _STATUS_EMOJI.get(status or "", ":hourglass_flowing_sand:")


def progress_bar(percent: float) -> str:
    percent = max(0.0, min(100.0, percent))
    filled = round(percent / 100 * _BAR_CELLS)
    return "█" * filled + "░" * (_BAR_CELLS - filled) + f" {percent:.0f}%"


def endpoint_phrase(endpoint: Endpoint) -> str:
    kind = "campaign" if endpoint.kind == EndpointKind.CAMPAIGN else "list"
    return f"{kind} *{escape(endpoint.name)}*"


def job_type_words(job_type: str | None) -> str:
    """Instantly's job type in words, made safe; one added after this was written reads as it comes."""
    if not job_type:
        return "Instantly job"
    return JOB_TYPE_WORDS.get(job_type) or escape(job_type.replace("-", " ").replace("_", " ").capitalize())


def counts_phrase(record: JobRecord) -> str | None:
    """A followed job's counts from Instantly ("950 succeeded · 50 failed"); None when it gave none."""
    shown = [
        f"{value:,} {COUNT_WORDS.get(key) or escape(key.replace('_', ' '))}"
        for key, value in record.job_counts
        if key != "moved_leads" or record.moved_leads is None
    ]
    if record.moved_leads is not None:
        shown.insert(0, f"{record.moved_leads:,} leads moved")
    return " · ".join(shown) or None


def noun_of(order: MoveOrder) -> str:
    """What a job is called where it is named: "Copy", "Move back" or "Move"."""
    return "Copy" if order.copies else "Move back" if order.takes_back is not None else "Move"


def verb_of(record: JobRecord, *, past: bool = False) -> str:
    if record.order is not None and record.order.copies:
        return "copied" if past else "copying"
    back = " back" if record.order is not None and record.order.takes_back is not None else ""
    return ("moved" if past else "moving") + back


def matching_phrase(leads: int, *, more: bool, total: int | None) -> str:
    """How many leads filters take, as counted: "412 leads"; when counting stopped first, "more than 1,000 of 2,480
    leads" (the source's count), or "more than 1,000 leads" when the source's count is unknown."""
    if not more:
        return f"{leads:,} lead{'' if leads == 1 else 's'}"
    # Instantly's rough count of the source may lag behind the leads listed: then it is left out.
    return (
        f"more than {leads:,} of {total:,} leads"
        if total is not None and total > leads
        else f"more than {leads:,} leads"
    )


def lead_count_phrase(record: JobRecord) -> str:
    """How many leads a move takes, as counted when it was asked for (JobRecord.lead_count, matching_count): the
    limit, and what the filters take or the source's count when that is smaller; with no limit, what the filters
    take, else the source's count; every lead a Move back returns; or words that say Instantly could not count."""
    order, counted, matching = record.move, record.lead_count, record.matching_count
    if order.takes_back is not None:
        return f"{counted or len(order.filters.emails):,} leads"
    if order.limit is not None:
        if matching is not None and not record.matching_more and matching < order.limit:
            return f"up to {order.limit:,} leads (the filters take {matching:,})"
        if counted is not None and counted < order.limit:
            return f"up to {order.limit:,} leads (the source holds {counted:,})"
        return f"up to {order.limit:,} leads"
    if matching is not None:
        return matching_phrase(matching, more=record.matching_more, total=counted)
    if counted is None:
        return "every matching lead (Instantly could not count them just now)"
    if order.filters.model_dump(exclude_defaults=True):
        return f"every matching lead of the {counted:,} in the source"
    return f"all {counted:,} leads"


def _what(record: JobRecord) -> str:
    if record.via is None and record.lead_count is None:  # asked for before leadmover counted (no door then)
        order = record.move
        if order.takes_back is not None and order.filters.emails:
            return f"{len(order.filters.emails):,} leads"
        return f"up to {order.limit:,} leads" if order.limit else "leads"
    return lead_count_phrase(record)


def came_from(record: JobRecord) -> str:
    """How a move not asked for in the form came, as the end of the sentence that announces it."""
    if record.via == "workflow":
        return f" via workflow *{escape(record.via_name)}*" if record.via_name else " via a workflow"
    if record.via == "schedule":
        return f" (scheduled: {escape(record.via_name)})" if record.via_name else " (scheduled)"
    return ""


def _channel_note(record: JobRecord, reason: str | None) -> str | None:
    """Why a job is reported by DM rather than in its channel; None when it is in its channel."""
    if reason is None and (record.announcement_channel in (None, record.channel_id)):
        return None
    why = f" ({reason.replace('_', ' ')})" if reason else ""
    return (
        f"I could not post in <#{record.channel_id}>{why}, so I report this job here. "
        "Invite me with `/invite @leadmover` to get updates in the channel next time."
    )


def announcement(record: JobRecord, *, unreachable_reason: str | None = None) -> tuple[str, Blocks]:
    """The message that anchors a job's thread; edited in place as the job progresses.

    `unreachable_reason` is Slack's error when the origin channel refused the message and it goes by DM instead.
    """
    verb = verb_of(record)
    order = record.order
    if order is None and record.via == "watch" and record.via_name:
        started = f", {slack_date(record.started_at)}" if record.started_at is not None else ""
        line = f"{record.via_name}{started}."
    elif order is None:
        kind = job_type_words(record.job_type)
        line = f"Following an Instantly job ({kind}) that <@{record.user_id}> asked about."
    else:
        line = (
            f"<@{record.user_id}> is {verb} {_what(record)} from {endpoint_phrase(order.source)} "
            f"to {endpoint_phrase(order.destination)}{came_from(record)}."
        )
        if order.takes_back is not None:
            line = line[:-1] + f", taking back job {job_number(order.takes_back)}."
    status = record.status
    state = f"{status_emoji(status)} *{status_words(status)}*"
    if status is not None and is_terminal(status):
        state += f" · {outcome_detail(record)}"
    blocks: Blocks = [
        section(line),
        section(f"{state}\n`{progress_bar(record.progress)}`"),
        context(job_context(record)),
    ]
    # A move back's e-mails are the leads it returns, said in its first line already.
    filters = describe_filters(order) if order is not None and order.takes_back is None else ""
    if filters:
        blocks.insert(1, context(filters))
    if order is None:
        text = f"Following {job_type_words(record.job_type)}: {status_words(status)} ({record.progress}%). "
        text += f"Job {job_number(record.id)}"
    else:
        # What a notification shows: the names, never ids, so it reads on a lock screen.
        text = (
            f"{verb.capitalize()} {_what(record)} from {escape(order.source.name)} to {escape(order.destination.name)}"
            f": {status_words(status)} ({record.progress}%)"
        )
    note = _channel_note(record, unreachable_reason)
    if note:
        blocks.insert(0, context(note))
        text = f"{note}\n{text}"
    return text, blocks


def job_number(job_id: int) -> str:
    """How people name a job, and type it back: "#12" (`/leads status #12`)."""
    return f"#{job_id}"


def job_name(record: JobRecord) -> str:
    """A job's name wherever it is named: its number, then where its leads come from and go ("Job #12 · campaign
    *A* → list *B*"); a job only followed has no places, and is named by its kind."""
    order = record.order
    if order is None:
        return f"Job {job_number(record.id)} · {job_type_words(record.job_type)}"
    return f"Job {job_number(record.id)} · {endpoint_phrase(order.source)} → {endpoint_phrase(order.destination)}"


def job_context(record: JobRecord) -> str:
    """The context line that names a job; Instantly's id is kept for `/leads status` (details_line)."""
    return job_name(record)


def details_line(record: JobRecord) -> str:
    """The one place Instantly's id of a job is shown: for whoever asks Instantly's support about it."""
    return f"Details: Instantly job `{escape(record.instantly_job_id or 'not started')}`"


def describe_filters(order: MoveOrder) -> str:
    """The order's filters and options in one line; empty when it takes every lead as it is."""
    filters = order.filters
    parts: list[str] = []
    if filters.search:
        parts.append(f"matching “{escape(filters.search)}”")
    if filters.lead_status:
        parts.append(f"status {escape(LEAD_FILTERS.get(filters.lead_status, filters.lead_status).lower())}")
    if filters.emails:
        parts.append(f"{len(filters.emails)} listed emails")
    if filters.email_provider is not None:
        parts.append(f"provider {escape(ESP_CODES.get(filters.email_provider, str(filters.email_provider)))}")
    if filters.security_gateway is not None:
        parts.append(f"gateway {escape(ESG_CODES.get(filters.security_gateway, filters.security_gateway))}")
    parts.extend(OPTION_LABELS[flag][0].lower() for flag in order.options.flags_set())
    if order.options.assign_to is not None:
        parts.append(f"assigned to {escape(order.options.assign_to_name or 'a workspace member')}")
    return "Filters and options: " + ", ".join(parts) if parts else ""


def outcome_detail(record: JobRecord) -> str:
    if record.tracked:
        return counts_phrase(record) or "Instantly reported no counts"
    if record.moved_leads is not None:
        return f"{record.moved_leads:,} leads {verb_of(record, past=True)}"
    return "Instantly did not report a count"


def start_failed(record: JobRecord, reason: str) -> tuple[str, Blocks]:
    order = record.move
    noun = noun_of(order).lower()
    text = (
        f"Your {noun} from {endpoint_phrase(order.source)} to {endpoint_phrase(order.destination)} "
        f"did not start: {escape(reason)} Nothing was changed in Instantly."
    )
    return text, [section(f":warning: {text}")]


def usage(*, lines: list[tuple[str, str]], problem: str | None = None, note: str | None = None) -> tuple[str, Blocks]:
    """What /leads can do: one line per (what is typed, what it does), as the verb table of handlers/commands.py
    gives them; what is typed is escaped, what it does is mrkdwn. `note` says what this person may do here."""
    shown = [f"`{escape(typed)}`: {says}" for typed, says in lines]
    intro = f"{problem}\n" if problem else ""
    outro = f"\n{note}" if note else ""
    text = intro + "*leadmover* moves and copies Instantly leads.\n" + "\n".join(shown) + outro
    return text, [section(text)]

"""Pure Block Kit builders for `/leads jobs` and `/leads status`: jobs named by number, places and status, with their
age; Instantly's id of a job only in the details of `/leads status`."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.slack.blocks.messages import (
    Blocks,
    announcement,
    context,
    details_line,
    escape,
    job_name,
    job_number,
    noun_of,
    section,
    status_words,
)
from storage.models import Phase
from storage.records import JobRecord

_PHASE_WORDS = {
    Phase.START_FAILED: "did not start",
    Phase.AWAITING_APPROVAL: "waiting for approval",
    Phase.NOT_APPROVED: "not approved",
    Phase.REQUESTED: "starting",
}


def slack_age(when: datetime) -> str:
    """How long ago a moment (naive UTC, as stored) was, as Slack says it to each reader ("3 minutes ago")."""
    epoch = int(when.replace(tzinfo=UTC).timestamp())
    return f"<!date^{epoch}^{{ago}}|{when:%Y-%m-%d %H:%M} UTC>"


def job_line(record: JobRecord) -> str:
    """One job: its name (number and places), where it stands and how long ago it was asked for."""
    status = status_words(record.status)
    state = _PHASE_WORDS.get(record.phase) or f"{status[:1].lower()}{status[1:]}, {record.progress}%"
    kind = f" ({noun_of(record.order).lower()})" if record.order is not None else ""
    return f"• {job_name(record)}{kind}: {state} · {slack_age(record.created_at)}"


def job_list(records: list[JobRecord], *, everyone: bool = False) -> tuple[str, Blocks]:
    """The newest jobs: the person's own, or (`everyone`, for an admin) the whole workspace's."""
    if not records:
        text = "You have no leadmover jobs yet. Start one with `/leads move`."
        return text, [section(text)]
    lines = "\n".join(job_line(r) for r in records)
    if everyone:
        title = "Recent jobs in this workspace"
    else:
        title = "Your most recent job" if len(records) == 1 else f"Your {len(records)} most recent jobs"
    text = f"{title}:\n{lines}"
    return text, [
        section(f"*{title}*"),
        section(lines[:2900]),
        context(f"Details: `/leads status {job_number(records[0].id)}`"),
    ]


def job_detail(record: JobRecord) -> tuple[str, Blocks]:
    """`/leads status`: the announcement as it stands, with Instantly's id of the job and any note."""
    text, blocks = announcement(record)
    blocks.append(context(details_line(record)))
    if record.error:
        blocks.append(context(f"Note: {escape(record.error)}"))
    return text, blocks

"""Block Kit for the moved e-mails of a finished move: the "Show moved leads" button under its final reply, and the
list only the person who pressed it sees. Its ids are shared with handlers/moved_leads.py.

The e-mails are never part of the reply itself: reading them costs Instantly one request per job, which is spent only
when someone asks, and a list shown to one full member of the workspace never reaches another organisation.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import quote

from bot.instantly.schemas import JobStatus
from bot.slack.blocks.messages import Blocks, context, escape, job_button, section, verb_of
from storage.channel_settings import ChannelSettings
from storage.orders import EndpointKind
from storage.records import JobRecord

SHOW_MOVED_LEADS: Final = "show_moved_leads"
# Enough to recognise a move by; the rest are in Instantly, where the destination is linked.
LISTED_AT_MOST: Final = 20
# Instantly's web app, where a campaign's leads are listed.
INSTANTLY_APP: Final = "https://app.instantly.ai/app"


def lists_moved_leads(record: JobRecord) -> bool:
    """A move or copy of leadmover's that moved some (a count of None may still have moved some) and has a job."""
    if record.order is None or record.instantly_job_id is None or record.moved_leads == 0:
        return False
    return record.status == JobStatus.SUCCESS or (record.status == JobStatus.FAILED and bool(record.moved_leads))


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


def show_button(record: JobRecord, settings: ChannelSettings) -> dict[str, Any] | None:
    """The button, where the job moved leads and the channel's settings offer their e-mails; None otherwise."""
    if not (lists_moved_leads(record) and settings.show_sample):
        return None
    return job_button(SHOW_MOVED_LEADS, "Show moved leads", record.id)


def withheld_line(record: JobRecord, settings: ChannelSettings) -> str | None:
    """In place of the button where the channel's settings leave e-mails out: where to see them instead."""
    if not lists_moved_leads(record) or settings.show_sample:
        return None
    return f":lock: This channel's settings leave lead e-mails out. See them in {where_to_see(record)}."


def moved_list(record: JobRecord, emails: list[str]) -> tuple[str, Blocks]:
    """The e-mails Instantly named, the first LISTED_AT_MOST of them, for the one person who asked."""
    shown = emails[:LISTED_AT_MOST]
    verb = verb_of(record, past=True)
    total = record.moved_leads if record.moved_leads is not None else len(emails)
    if not shown:
        text = f"Instantly did not name the leads it {verb}. See them in {where_to_see(record)}."
        return text, [section(text)]
    first = f"the first {len(shown)} of {total:,}" if total > len(shown) else f"all {len(shown)}"
    head = f"Leads {verb} by job #{record.id}, {first}:"
    lines = "\n".join(f"• {escape(email)}" for email in shown)
    blocks: Blocks = [section(f"{head}\n{lines}")]
    if total > len(shown):
        blocks.append(context(f"See them all in {where_to_see(record)}."))
    return f"{head} {', '.join(shown)}", blocks

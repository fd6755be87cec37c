"""Plain values for what storage hands out: a job as of one moment, detached from any session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.models import JobRow, Phase
from storage.orders import MoveOrder


@dataclass(frozen=True)
class JobRecord:
    """One move or copy: the order as asked, and how far Instantly and Slack have got with it."""

    id: int
    team_id: str
    channel_id: str
    user_id: str
    order: MoveOrder
    phase: Phase
    instantly_job_id: str | None
    status: str | None
    progress: int
    moved_leads: int | None
    error: str | None
    start_attempted_at: datetime | None
    announcement_channel: str | None
    announcement_ts: str | None
    final_reply_ts: str | None
    next_poll_at: datetime
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    # A few e-mails Instantly says were moved (empty when it named none, or once forgotten).
    moved_lead_sample: tuple[str, ...] = ()
    # The channel announces only failures, so the announcement was held back (see bot.reporter).
    announcement_held: bool = False


def job_record(row: JobRow) -> JobRecord:
    """A row as the plain, detached value the rest of the program sees."""
    return JobRecord(
        id=row.id,
        team_id=row.team_id,
        channel_id=row.channel_id,
        user_id=row.user_id,
        order=MoveOrder.from_json(row.move_order),
        phase=Phase(row.phase),
        instantly_job_id=row.instantly_job_id,
        status=row.status,
        progress=row.progress,
        moved_leads=row.moved_leads,
        error=row.error,
        start_attempted_at=row.start_attempted_at,
        announcement_channel=row.announcement_channel,
        announcement_ts=row.announcement_ts,
        final_reply_ts=row.final_reply_ts,
        next_poll_at=row.next_poll_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
        moved_lead_sample=tuple(row.moved_lead_sample or ()),
        announcement_held=row.announcement_held_at is not None,
    )

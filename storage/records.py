"""Plain values for what storage hands out: a job as of one moment, detached from any session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from storage.models import JobRow, Phase
from storage.orders import MoveOrder


@dataclass(frozen=True)
class JobRecord:
    """One move or copy (the order as asked), or a job only followed, and how far Instantly and Slack have got."""

    id: int
    team_id: str
    channel_id: str
    user_id: str
    # None for a job leadmover only follows (`/leads track`): started elsewhere, its order was never known here.
    order: MoveOrder | None
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
    # The channel announces only failures, so the announcement was held back (see bot.slack.reporter).
    announcement_held: bool = False
    # What the person typed about leads (search, e-mails) was forgotten after the retention period.
    details_forgotten: bool = False
    # Told in another job's thread (its parent message's ts), not in a thread of its own (see bot.slack.reporter).
    thread_ts: str | None = None
    # Instantly's type of the job ("import-leads", …) when known: always for a followed job.
    job_type: str | None = None
    # The counts Instantly gave in a followed job's `data` when it ended, by Instantly's own names.
    job_counts: tuple[tuple[str, int], ...] = ()
    # When Instantly says a followed job began (before leadmover heard of it); None for a move leadmover started.
    started_at: datetime | None = None
    # How the move was asked for (bot.door.Via's value); None for a job from before the door or only followed.
    via: str | None = None
    # What the channel is told the move came from, beside `via` (a workflow's name).
    via_name: str | None = None
    # How many leads it takes as counted when asked (see storage.models.JobRow.lead_count).
    lead_count: int | None = None
    # How many leads its filters take as counted when asked, and whether more than that (see JobRow.matching_count).
    matching_count: int | None = None
    matching_more: bool = False
    # The first job of a move sent in parts, for every other part; None for the first and for a move in one part.
    part_of: int | None = None
    # When its progress was first seen at its current value, and when its pace says it ends (bot.cadence).
    progress_seen_at: datetime | None = None
    expected_end_at: datetime | None = None

    @property
    def tracked(self) -> bool:
        """Started elsewhere and only followed here: no order, no Move back, no Run again."""
        return self.order is None

    @property
    def move(self) -> MoveOrder:
        """The order of a move leadmover started; asking a followed job for one is a bug (ValueError)."""
        if self.order is None:
            raise ValueError(f"job {self.id} is only followed: it has no move order")
        return self.order

    @property
    def reply_thread(self) -> str | None:
        """The ts of the thread this job's final reply goes to: the thread it is told in when its announcement made
        it there, else the thread under its own announcement (None before it is announced)."""
        if self.thread_ts is not None and self.announcement_channel == self.channel_id:
            return self.thread_ts
        return self.announcement_ts


def job_record(row: JobRow | Row[*tuple[Any, ...]]) -> JobRecord:
    """A row (or its columns read without the ORM) as the plain, detached value the rest of the program sees."""
    return JobRecord(
        id=row.id,
        team_id=row.team_id,
        channel_id=row.channel_id,
        user_id=row.user_id,
        order=MoveOrder.from_json(row.move_order) if row.move_order is not None else None,
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
        announcement_held=row.announcement_held_at is not None,
        thread_ts=row.thread_ts,
        details_forgotten=row.details_forgotten_at is not None,
        job_type=row.job_type,
        job_counts=tuple((row.job_counts or {}).items()),
        started_at=row.started_at,
        via=row.via,
        via_name=row.via_name,
        lead_count=row.lead_count,
        matching_count=row.matching_count,
        matching_more=bool(row.matching_more),
        part_of=row.part_of,
        progress_seen_at=row.progress_seen_at,
        expected_end_at=row.expected_end_at,
    )

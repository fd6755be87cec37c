"""The use cases: start a move, take in what Instantly says of a running job, finish it.

Handlers and the poller call these; they know neither Slack's wire format nor the tables.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from slack_sdk.errors import SlackApiError

from bot import messages
from bot.instantly import (
    InstantlyAPIError,
    InstantlyClient,
    InstantlyError,
    InstantlyForbidden,
    InstantlyNotFound,
    InstantlyPaymentRequired,
    InstantlyRateLimited,
    InstantlyTimeout,
    InstantlyUnauthorized,
)
from bot.reporter import Reporter
from bot.schemas import BackgroundJob, MoveLeadsRequest
from storage import jobs
from storage.db import Database
from storage.jobs import Endpoint, JobRecord, utcnow

__all__ = ["Endpoint", "JobRecord", "MoveOrder", "MoveService", "Requester", "explain"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MoveOrder:
    """A validated move: where from, where to, and the exact body for POST /leads/move."""

    source: Endpoint
    destination: Endpoint
    copy_leads: bool
    request: MoveLeadsRequest


@dataclass(frozen=True)
class Requester:
    team_id: str
    user_id: str
    channel_id: str


def explain(exc: InstantlyError) -> str:
    """Instantly's failure in plain words for the person who asked."""
    if isinstance(exc, InstantlyUnauthorized):
        return "Instantly rejected leadmover's API key (it is invalid or was revoked). Ask an admin to set a new one."
    if isinstance(exc, InstantlyPaymentRequired):
        return "the Instantly workspace has no active paid plan, which the API needs."
    if isinstance(exc, InstantlyForbidden):
        return (
            "leadmover's Instantly API key lacks a scope this needs "
            f"(Instantly said: “{exc.message}”). Moving leads needs `leads:update`."
        )
    if isinstance(exc, InstantlyNotFound):
        return f"Instantly could not find it (“{exc.message}”). It may have been deleted."
    if isinstance(exc, InstantlyRateLimited):
        return "Instantly is rate limiting this workspace right now. Try again in a minute."
    if isinstance(exc, InstantlyTimeout):
        return "Instantly did not answer in time."
    if isinstance(exc, InstantlyAPIError):
        return f"Instantly refused it: “{exc.message}”."
    return "Instantly could not be reached."


class MoveService:
    def __init__(
        self,
        *,
        db: Database,
        instantly: InstantlyClient,
        reporter: Reporter,
        poll_interval: float,
    ) -> None:
        self._db = db
        self._instantly = instantly
        self._reporter = reporter
        self._poll_interval = poll_interval

    def start(self, *, order: MoveOrder, requester: Requester) -> JobRecord:
        """Persist the request, call Instantly once, persist the job id, announce it."""
        record = jobs.record_request(
            self._db,
            team_id=requester.team_id,
            channel_id=requester.channel_id,
            user_id=requester.user_id,
            copy_leads=order.copy_leads,
            source=order.source,
            destination=order.destination,
            request_body=order.request.to_body(),
        )
        try:
            job = self._instantly.move_leads(order.request)
        except InstantlyError as exc:
            log.warning("job %s: Instantly did not start the move: %s", record.id, exc)
            reason = explain(exc)
            record = jobs.mark_start_failed(self._db, job_id=record.id, error=reason)
            text, blocks = messages.start_failed(record, reason)
            self._reporter.tell_requester(record, text, blocks)
            return record
        record = jobs.attach_job(
            self._db,
            job_id=record.id,
            instantly_job_id=job.id,
            status=job.status,
            progress=round(job.progress),
            next_poll_at=utcnow() + timedelta(seconds=self._poll_interval),
        )
        try:
            record = self._reporter.announce(record)
        except SlackApiError as exc:
            # The poller announces any running job that has no announcement yet.
            log.warning("job %s: announcement failed, the poller will retry: %s", record.id, exc)
        return record

    def follow(self, record: JobRecord, job: BackgroundJob | None) -> JobRecord:
        """Take in Instantly's view of one job (None: Instantly no longer knows it) and report what changed."""
        if record.announcement_ts is None:
            record = self._reporter.announce(record)
        if job is None:
            return self._finish(record, status=record.status or "unknown", error="Instantly no longer knows this job.")
        progress = round(job.progress)
        next_poll = utcnow() + timedelta(seconds=self._poll_interval)
        if job.is_terminal:
            moved = job.moved_leads
            if moved is None and job.status != "cancelled":
                moved = self._counted(job)
            return self._finish(record, status=job.status, progress=progress, moved_leads=moved)
        changed = job.status != record.status or progress != record.progress
        record = jobs.record_progress(
            self._db,
            job_id=record.id,
            status=job.status,
            progress=progress,
            moved_leads=job.moved_leads,
            next_poll_at=next_poll,
            finished=False,
        )
        if changed:
            self._reporter.show_progress(record)
        return record

    def _counted(self, job: BackgroundJob) -> int | None:
        try:
            return self._instantly.get_job(job.id, with_counts=True).moved_leads
        except InstantlyError as exc:
            log.info("job %s: no count from Instantly: %s", job.id, exc)
            return None

    def _finish(
        self,
        record: JobRecord,
        *,
        status: str,
        progress: int | None = None,
        moved_leads: int | None = None,
        error: str | None = None,
    ) -> JobRecord:
        record = jobs.record_progress(
            self._db,
            job_id=record.id,
            status=status,
            progress=record.progress if progress is None else progress,
            moved_leads=moved_leads,
            next_poll_at=utcnow(),
            finished=True,
            error=error,
        )
        self._reporter.show_progress(record)
        return self._reporter.post_final_reply(record)

    def recent_jobs(self, *, team_id: str, user_id: str, limit: int) -> list[JobRecord]:
        return jobs.recent_for_user(self._db, team_id=team_id, user_id=user_id, limit=limit)

    def find_job(self, *, team_id: str, reference: str) -> JobRecord | None:
        return jobs.find(self._db, team_id=team_id, reference=reference) if reference else None

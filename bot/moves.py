"""The use cases: start a move, take in what Instantly says of a running job, finish it.

Handlers and the poller call these; they know neither Slack's wire format nor the tables.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot import cadence, job_refs
from bot.instantly.client import InstantlyClient
from bot.instantly.errors import (
    InstantlyError,
    InstantlyProtocolError,
    InstantlyServerError,
    InstantlyTransportError,
    Moment,
    in_words,
)
from bot.instantly.requests import move_request
from bot.instantly.schemas import BackgroundJob
from storage import approvals, audit, jobs, polls, submissions
from storage.clock import utcnow
from storage.db import Database
from storage.models import Phase
from storage.orders import MoveOrder
from storage.records import JobRecord

log = logging.getLogger(__name__)

# The Instantly client of a Slack workspace (InstantlyNotConnected if it has none).
InstantlyFor = Callable[[str], InstantlyClient]


@dataclass(frozen=True)
class Requester:
    """Who asked for a move, and where: the job reports to that channel."""

    team_id: str
    user_id: str
    channel_id: str


class MoveService:
    def __init__(
        self,
        *,
        db: Database,
        instantly: InstantlyFor,
        owner: str,
        poll_interval: float,
        follow_limit: timedelta = timedelta(hours=24),
        start_lease_seconds: float = 30.0,
        max_starting_per_user: int | None = None,
        notify: Callable[[], None] = lambda: None,
        ended: Callable[[JobRecord], None] = lambda record: None,
    ) -> None:
        self._db = db
        self._instantly = instantly
        # Told of every job that ends (the preview then forgets the counts of the places it changed).
        self._ended = ended
        self._owner = owner
        self._poll_interval = poll_interval
        self._follow_limit = follow_limit
        self._start_lease = start_lease_seconds
        self.max_starting_per_user = max_starting_per_user
        self._notify = notify

    # --- starting --------------------------------------------------------------------------------------------

    def accept(
        self,
        *,
        order: MoveOrder,
        requester: Requester,
        submission_key: str,
        approval: approvals.ApprovalRequest | None = None,
        thread_ts: str | None = None,
        parts: Sequence[MoveOrder] = (),
        via: str | None = None,
        via_name: str | None = None,
        lead_count: int | None = None,
        matching: tuple[int, bool] | None = None,
    ) -> submissions.Submitted | None:
        """Write a move the door let through down before anyone is told it is starting; a repeat gets the first
        one's job.

        From here the move is never lost: send() follows, and if this process dies first the lease runs out and a
        poller sends it (recover). None, with nothing written, when the requester already has
        `max_starting_per_user` moves waiting for Instantly. With `approval` the move waits for an approver; with
        `thread_ts` it is told in that thread of the requester's channel; `parts` are the rest of a move sent in
        parts, approved with it.
        """
        submitted = submissions.record_submitted(
            self._db,
            submission_key=submission_key,
            team_id=requester.team_id,
            channel_id=requester.channel_id,
            user_id=requester.user_id,
            order=order,
            owner=self._owner,
            lease_seconds=self._start_lease,
            max_starting=self.max_starting_per_user,
            approval=approval,
            thread_ts=thread_ts,
            parts=parts,
            via=via,
            via_name=via_name,
            lead_count=lead_count,
            matching=matching,
        )
        if submitted is not None and approval is not None and not submitted.repeat:
            self._audit(submitted.record, "awaiting approval")
            self._notify()
        return submitted

    def submitted(self, *, team_id: str, submission_key: str) -> submissions.Submitted | None:
        """What an earlier submission under this key made, if there was one."""
        return submissions.find_submitted(self._db, team_id=team_id, submission_key=submission_key)

    def _audit(self, record: JobRecord, outcome: str) -> None:
        order = record.order
        detail: dict[str, object] = {"job": record.id, "channel": record.channel_id}
        if order is None:  # a job only followed (bot.tracking): its type is all leadmover knows of it
            detail["type"] = record.job_type
        else:
            detail["order"] = order.without_typed_details().to_json()
        audit.record(
            self._db,
            team_id=record.team_id,
            user_id=record.user_id,
            action="track" if order is None else "copy" if order.copies else "move",
            detail=detail,
            instantly_job_id=record.instantly_job_id,
            outcome=outcome,
        )

    def send(self, record: JobRecord) -> JobRecord:
        """Ask Instantly to start a move written down by this process; sent once, never resent blindly."""
        attempting = jobs.mark_start_attempted(self._db, job_id=record.id, owner=self._owner)
        if attempting is None:
            log.warning("job %s: another process has taken over this move; not sending it from here", record.id)
            return jobs.get(self._db, job_id=record.id) or record
        record = attempting
        try:
            job = self._instantly(record.team_id).move_leads(move_request(record.move))
        except (InstantlyTransportError, InstantlyProtocolError, InstantlyServerError) as exc:
            # Instantly may have started it anyway: look, never resend blindly.
            log.warning("job %s: no clear answer to the move (%s); looking for the job", record.id, exc)
            found = self._find_started(record)
            if found is not None:
                return self._attach(record, found)
            # Still unknown: the lease runs out and recover() looks once more before giving up.
            return record
        except InstantlyError as exc:
            log.warning("job %s: Instantly did not start the move: %s", record.id, exc)
            return self._failed(record, in_words(exc, moment=Moment.START))
        return self._attach(record, job)

    def _attach(self, record: JobRecord, job: BackgroundJob) -> JobRecord:
        record = jobs.attach_job(
            self._db,
            job_id=record.id,
            instantly_job_id=job.id,
            status=job.status,
            progress=round(job.progress),
            next_poll_at=utcnow() + timedelta(seconds=self._poll_interval),
        )
        self._audit(record, "started")
        self._notify()
        return record

    def _failed(self, record: JobRecord, reason: str) -> JobRecord:
        record = jobs.mark_start_failed(self._db, job_id=record.id, error=reason)
        self._audit(record, f"not started: {reason}")
        self._notify()
        return record

    def recover(self, record: JobRecord) -> JobRecord:
        """A requested move whose requester died or got no answer: find its job, send it, or say it failed."""
        if record.start_attempted_at is None:
            log.info("job %s: the move was saved but never sent; sending it now", record.id)
            return self.send(record)
        found = self._find_started(record)
        if found is not None:
            log.info("job %s: found its Instantly job %s after all", record.id, found.id)
            return self._attach(record, found)
        return self._failed(
            record, "Instantly never confirmed it and has no matching job, so nothing was started. Please try again."
        )

    def _find_started(self, record: JobRecord) -> BackgroundJob | None:
        """The newest move job Instantly started for this request, if any (Instantly has no idempotency key)."""
        sent_at = record.start_attempted_at or record.created_at
        try:
            candidates = self._instantly(record.team_id).recent_move_jobs(limit=50)
        except InstantlyError as exc:
            log.warning("job %s: could not look for its Instantly job: %s", record.id, exc)
            return None
        taken = jobs.attached_job_ids(self._db, team_id=record.team_id, instantly_job_ids=[c.id for c in candidates])
        for job in sorted(candidates, key=lambda j: j.created_at):
            created = parse_time(job.created_at)
            if job.id in taken or created is None or job.entity_id not in (None, record.move.destination.id):
                continue
            if sent_at - timedelta(minutes=2) <= created <= sent_at + timedelta(minutes=10):
                return job
        return None

    # --- following -------------------------------------------------------------------------------------------

    def follow(self, record: JobRecord, job: BackgroundJob | None) -> JobRecord:
        """Take in Instantly's view of one job (None: Instantly no longer knows it) and queue what changed."""
        ended = self._ending(record, job)
        if ended is not None:
            return ended
        assert job is not None  # _ending took care of a job Instantly forgot
        seen = self._progress(record, job)
        record = polls.record_progress(
            self._db,
            job_id=record.id,
            status=seen.status,
            progress=seen.progress,
            moved_leads=seen.moved_leads,
            next_poll_at=seen.next_poll_at,
            expected_end_at=seen.expected_end_at,
        )
        if seen.changed:
            self._notify()
        return record

    def follow_many(self, seen: Sequence[tuple[JobRecord, BackgroundJob | None]]) -> int:
        """follow() for one poll's answers: the jobs still running are written in one transaction (a poll carries up
        to a hundred, every few seconds), the ended ones one by one, each with its reply. Returns how many."""
        running: list[polls.Progress] = []
        # One answer is one moment: the jobs seen running in it are next due together, however long the ended ones
        # among them take to write down.
        answered_at = utcnow()
        for record, job in seen:
            if self._ending(record, job) is None:
                assert job is not None
                running.append(self._progress(record, job, now=answered_at))
        polls.record_progress_many(self._db, seen=running, known={record.id: record for record, _job in seen})
        if any(progress.changed for progress in running):
            self._notify()
        return len(seen)

    def _ending(self, record: JobRecord, job: BackgroundJob | None) -> JobRecord | None:
        """Finish the job if it ended (or Instantly forgot it, or it ran past the follow limit); None if it runs."""
        if job is None:
            return self._finish(
                record, error="Instantly no longer knows this job (it answered 404), so I stopped following it."
            )
        progress = round(job.progress)
        if job.is_terminal:
            # Ended now, with the count the poll carried: the reply is queued at once. The moved e-mails cost one more
            # request each, so they are read only when someone asks (bot.moved_leads, Move back), never here.
            return self._finish(
                record,
                status=job.status,
                progress=progress,
                moved_leads=job.moved_leads,
                counts=counts_of(job) if record.tracked else None,
                ended_at=parse_time(job.updated_at) if record.tracked else None,
            )
        if utcnow() - record.created_at > self._follow_limit:
            hours = self._follow_limit.total_seconds() / 3600
            error = f"the job was still unfinished after {hours:g} h, so I stopped following it. Check it in Instantly."
            return self._finish(record, status=job.status, progress=progress, error=error)
        return None

    def _progress(self, record: JobRecord, job: BackgroundJob, *, now: datetime | None = None) -> polls.Progress:
        """What a poll of a running job seen at `now` changes: its state, and when to look next (bot.cadence)."""
        progress = round(job.progress)
        now = now or utcnow()
        changed = (job.status, progress) != (record.status, record.progress)
        ends = record.expected_end_at
        if progress != record.progress:
            ends = cadence.expected_end(
                progress=progress, seen_at=now, before=record.progress, before_seen_at=record.progress_seen_at
            )
        age = (now - record.created_at).total_seconds()
        delay = cadence.next_poll_delay(base=self._poll_interval, age_seconds=age, moved=changed, status=job.status)
        return polls.Progress(
            job_id=record.id,
            status=job.status,
            progress=progress,
            moved_leads=job.moved_leads,
            next_poll_at=cadence.next_poll_at(now=now, base=self._poll_interval, delay=delay, expected_end_at=ends),
            expected_end_at=ends,
            changed=changed,
        )

    def _finish(
        self,
        record: JobRecord,
        *,
        status: str | None = None,
        progress: int | None = None,
        moved_leads: int | None = None,
        error: str | None = None,
        counts: Mapping[str, int] | None = None,
        ended_at: datetime | None = None,
    ) -> JobRecord:
        record = jobs.finish(
            self._db,
            job_id=record.id,
            status=status or record.status or "unknown",
            progress=record.progress if progress is None else progress,
            moved_leads=moved_leads,
            error=error,
            counts=counts,
            ended_at=ended_at,
        )
        moved = f", {record.moved_leads:,} leads" if record.moved_leads is not None else ""
        self._audit(record, f"ended: {record.status}{moved}" + (f" ({error})" if error else ""))
        self._notify()
        self._ended(record)
        return record

    # --- reading ---------------------------------------------------------------------------------------------

    def recent_jobs(
        self, *, team_id: str, user_id: str | None, limit: int, phases: Collection[Phase] | None = None
    ) -> list[JobRecord]:
        """One person's newest jobs in the workspace, or everyone's (user_id None, for admins); only in `phases`, if
        given."""
        return jobs.recent_for_user(self._db, team_id=team_id, user_id=user_id, limit=limit, phases=phases)

    def find_job(self, *, team_id: str, reference: str, user_id: str | None = None) -> JobRecord | None:
        """A job of the workspace, and of that person if given: job numbers never lead into someone else's job.
        `reference` is as typed: `#12`, `12` or Instantly's id (bot.job_refs)."""
        ref = job_refs.parse(reference)
        lookup = ref.lookup if ref is not None else reference.strip().strip("`<>")
        return jobs.find(self._db, team_id=team_id, reference=lookup, user_id=user_id) if lookup else None


def counts_of(job: BackgroundJob) -> dict[str, int]:
    """The whole numbers in a job's `data` (e.g. success_count), by Instantly's names; lists and text stay out."""
    whole = [(key, value) for key, value in job.data.items() if isinstance(value, int | float) and value == int(value)]
    return {key[:64]: int(value) for key, value in whole if value >= 0 and not isinstance(value, bool)}


def parse_time(value: str) -> datetime | None:
    """An Instantly timestamp as a naive UTC datetime, like storage keeps them; None when it is not one."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed

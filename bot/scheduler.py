"""The scheduler: each due occurrence of each active schedule, under a lease, through the door under the key
`schedule:<id>:<occurrence>`, so that it starts exactly once across replicas and restarts.

An occurrence missed while every process was down runs once on start if it is within the grace; older ones are
skipped, and the channel hears so once. A run whose previous run has not ended is skipped, and the channel hears so
once per such run. A schedule whose owner may no longer move pauses itself, and its owner and channel are told. A
run that cannot start for a reason that may pass (a slow Instantly or Slack, its owner's moves queued) is tried again
until the grace runs out; the channel hears once, and again only if it gives up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from bot.access import CANNOT_CHECK
from bot.door import Door
from bot.door_terms import NOT_CONNECTED, MoveRequest, NotConnected, Refused, TooMany, Via, ask_again_in, too_many
from bot.moves import Requester
from bot.schedule_terms import (
    Speaker,
    naive,
    occurrence_key,
    record_audit,
    recurrence_of,
    slack_time,
    waiting_words,
)
from storage import jobs, schedules
from storage.clock import utcnow
from storage.db import Database
from storage.models import Phase
from storage.schedules import ScheduleRecord

log = logging.getLogger(__name__)

TICK_SECONDS: Final = 5.0
# Occurrences counted at most when catching up after downtime: a schedule down for years still moves on at once.
_CATCH_UP_MAX: Final = 10_000
_UNENDED: Final = (Phase.REQUESTED, Phase.RUNNING, Phase.AWAITING_APPROVAL)
# How soon a run Instantly or Slack was too slow for is tried again, within the grace.
RETRY_SECONDS: Final = 60.0


def _duration(span: timedelta) -> str:
    """The grace as people say it: "a minute", "45 minutes", "3 hours"."""
    minutes = round(span.total_seconds() / 60)
    if minutes <= 1:
        return "a minute"
    return f"{minutes} minutes" if minutes < 120 else f"{round(minutes / 60)} hours"


class Scheduler:
    def __init__(
        self,
        *,
        db: Database,
        door: Door,
        notices: Speaker,
        owner: str,
        grace: timedelta = timedelta(minutes=60),
        lease_seconds: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._db = db
        self._door = door
        self._tell = notices.tell
        self._owner = owner
        self._grace = grace
        self._lease_seconds = lease_seconds
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> int:
        """Handle every due occurrence; how many schedules were handled."""
        now = naive(self._clock())
        due = schedules.claim_due(self._db, owner=self._owner, lease_seconds=self._lease_seconds, now=now)
        for schedule in due:
            try:
                self._occur(schedule, now)
            except Exception:  # its lease runs out, and the occurrence is handled on a later tick
                log.exception("schedule %s: its due run could not be handled", schedule.id)
        return len(due)

    def _occur(self, schedule: ScheduleRecord, now: datetime) -> None:
        recurrence = recurrence_of(schedule.when)
        latest, missed = schedule.next_run_at, 0
        while missed < _CATCH_UP_MAX and naive(following := recurrence.next_after(latest)) <= now:
            latest, missed = naive(following), missed + 1
        next_run = naive(recurrence.next_after(latest))
        words = recurrence.words()
        if now - latest > self._grace:
            if schedule.put_off_reason is not None and not missed:  # tried since it came, never able to start
                told = (
                    f"gave up on its run of {slack_time(latest)}, which could not start within "
                    f"{_duration(self._grace)}: {schedule.put_off_reason}."
                )
                outcome = f"skipped: {schedule.put_off_reason}"
            else:
                count = missed + 1
                runs = "run" if count == 1 else f"{count} runs"
                told = f"missed its {runs} while leadmover was down; it was skipped."
                outcome = f"skipped: missed while leadmover was down ({count})"
            self._tell(
                schedule.team_id,
                schedule.channel_id,
                f"Schedule #{schedule.id} ({words}) {told} The next run is {slack_time(next_run)}.",
            )
            self._handled(schedule, latest, next_run, outcome)
            return
        if missed and schedule.put_off_reason is None:  # told at the first try, not at each
            self._tell(
                schedule.team_id,
                schedule.channel_id,
                f"Schedule #{schedule.id} ({words}) skipped {missed} earlier "
                f"{'run' if missed == 1 else 'runs'} missed while leadmover was down; it runs the latest now.",
            )
        previous = jobs.get(self._db, job_id=schedule.last_job_id) if schedule.last_job_id is not None else None
        if previous is not None and previous.phase in _UNENDED:
            if schedule.overlap_told_job_id != previous.id:
                self._tell(
                    schedule.team_id,
                    schedule.channel_id,
                    f"Schedule #{schedule.id} ({words}) skipped its run of {slack_time(latest)}: its previous run, "
                    f"job #{previous.id}, has not ended. It skips until it does.",
                )
            outcome = f"skipped: job #{previous.id} had not ended"
            self._handled(schedule, latest, next_run, outcome, overlap_told=previous.id)
            return
        requester = Requester(team_id=schedule.team_id, user_id=schedule.owner_id, channel_id=schedule.channel_id)
        stopped = self._door.may_move(requester, fresh=True)
        if isinstance(stopped, Refused) and stopped.words != CANNOT_CHECK:
            self._lost_right(schedule, stopped.words)
            return
        self.run_occurrence(schedule, latest, key=occurrence_key(schedule.id, latest), next_run=next_run)

    def run_occurrence(
        self,
        schedule: ScheduleRecord,
        occurrence: datetime,
        *,
        key: str,
        next_run: datetime | None = None,
        by: str | None = None,
    ) -> str:
        """One occurrence through the door (`by` someone's Run now, else the recurrence's); what came of it, in
        words, also kept as the schedule's last outcome."""
        words = recurrence_of(schedule.when).words()
        requester = Requester(team_id=schedule.team_id, user_id=schedule.owner_id, channel_id=schedule.channel_id)
        request = MoveRequest(
            order=schedule.order,
            requester=requester,
            via=Via.SCHEDULE,
            key=key,
            via_name=words,
            approved_beforehand=schedule.approved_by is not None,
        )
        outcome = self._door.submit(request)
        retry_in = ask_again_in(outcome, otherwise=RETRY_SECONDS)
        if retry_in is not None and next_run is not None and by is None:
            why = waiting_words(outcome)
            self._put_off(schedule, occurrence, why, retry_in)
            return why
        job_id = None
        if isinstance(outcome, Refused):
            result = outcome.words
        elif isinstance(outcome, NotConnected):
            result = NOT_CONNECTED
        elif isinstance(outcome, TooMany):
            result = too_many(outcome.limit, outcome.retry_in)
        else:
            job_id = outcome.record.id
            result = f"started job #{job_id}"
        if job_id is None:
            self._tell(
                schedule.team_id, schedule.channel_id, f"Schedule #{schedule.id} ({words}) did not run: {result}"
            )
        record_audit(self._db, schedule, by or schedule.owner_id, f"schedule run{' now' if by else ''}: {result}")
        if next_run is not None:
            self._handled(schedule, occurrence, next_run, result, job_id=job_id)
        elif job_id is not None and schedule.put_off_reason is not None:
            # Run now while the due run waits to start: this run is that one, not a second beside it.
            due = schedule.next_run_at
            self._handled(schedule, due, naive(recurrence_of(schedule.when).next_after(due)), result, job_id=job_id)
        elif job_id is not None:
            schedules.handled(
                self._db,
                schedule_id=schedule.id,
                occurrence=schedule.last_run_at or occurrence,
                next_run_at=schedule.next_run_at,
                outcome=result,
                job_id=job_id,
            )
        return result

    def _put_off(self, schedule: ScheduleRecord, occurrence: datetime, why: str, retry_in: float) -> None:
        """The occurrence is tried again in `retry_in` seconds, until the grace runs out; the channel hears once."""
        if schedule.put_off_reason is None:
            words = recurrence_of(schedule.when).words()
            self._tell(
                schedule.team_id,
                schedule.channel_id,
                f"Schedule #{schedule.id} ({words}) could not start its run of {slack_time(occurrence)} yet: {why}. "
                f"It tries again by itself until {slack_time(occurrence + self._grace)}.",
            )
            record_audit(self._db, schedule, schedule.owner_id, f"schedule run put off: {why}")
        log.info("schedule %s: its due run is put off %.0fs: %s", schedule.id, retry_in, why)
        retry_at = naive(self._clock()) + timedelta(seconds=retry_in)
        schedules.put_off(self._db, schedule_id=schedule.id, reason=why, retry_at=retry_at)

    def _lost_right(self, schedule: ScheduleRecord, why: str) -> None:
        schedules.pause(self._db, schedule_id=schedule.id, reason=f"<@{schedule.owner_id}> may no longer move: {why}")
        words = recurrence_of(schedule.when).words()
        self._tell(
            schedule.team_id,
            schedule.channel_id,
            f"Schedule #{schedule.id} ({words}) paused itself: <@{schedule.owner_id}>, who made it, may no longer "
            "move leads here. An admin can resume it once they may, or delete it.",
        )
        self._tell(
            schedule.team_id,
            schedule.owner_id,
            f"Your schedule #{schedule.id} ({words}) paused itself, because you may no longer move leads: {why}",
        )
        record_audit(self._db, schedule, schedule.owner_id, "schedule paused: its owner may no longer move")

    def _handled(
        self,
        schedule: ScheduleRecord,
        occurrence: datetime,
        next_run: datetime,
        outcome: str,
        *,
        job_id: int | None = None,
        overlap_told: int | None = None,
    ) -> None:
        schedules.handled(
            self._db,
            schedule_id=schedule.id,
            occurrence=occurrence,
            next_run_at=next_run,
            outcome=outcome,
            job_id=job_id,
            overlap_told_job_id=overlap_told,
        )
        if job_id is None and outcome.startswith("skipped"):  # a run is audited where it is made (run_occurrence)
            record_audit(self._db, schedule, schedule.owner_id, f"schedule run {outcome}")

    # --- the loop ----------------------------------------------------------------------------------------------

    def run(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            try:
                self.tick()
            except Exception:
                log.exception("scheduler round failed")
        try:
            schedules.release_leases(self._db, owner=self._owner)
        except Exception:
            log.exception("could not release the scheduler's leases; they will expire")

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="leadmover-scheduler", daemon=True)
        self._thread.start()

    def stop(self, *, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

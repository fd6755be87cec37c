"""Schedules: a move made once in the form that then runs by itself (/leads schedule). Who may make, change and
end one; and the scheduler, which runs each due occurrence through the door under the key
`schedule:<id>:<occurrence>`, so that it starts exactly once across replicas and restarts.

An occurrence missed while every process was down runs once on start if it is within the grace; older ones are
skipped, and the channel hears so once. A run whose previous run has not ended is skipped, and the channel hears so
once per such run. A schedule whose owner may no longer move pauses itself, and its owner and channel are told.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, Final, Protocol

from bot.access import CANNOT_CHECK, AccessService
from bot.approvals import ApprovalService
from bot.door import NOT_CONNECTED, Door, MoveRequest, NotConnected, Refused, TooMany, Via, too_many
from bot.moves import Requester
from bot.recurrence import Frequency, Recurrence
from bot.slack.blocks import schedule_messages
from bot.slack.blocks.messages import slack_date
from storage import audit, jobs, schedules
from storage.clock import utcnow
from storage.db import Database
from storage.models import Phase, ScheduleState
from storage.orders import MoveOrder
from storage.schedules import ScheduleRecord, When

log = logging.getLogger(__name__)


class Speaker(Protocol):
    """How the scheduler speaks in Slack outside any job's thread (bot.slack.notices.Notices)."""

    def tell(self, team_id: str, where: str, text: str) -> None: ...

    def post(self, team_id: str, where: str, text: str, blocks: list[dict[str, Any]] | None = None) -> str | None: ...

    def replace(self, team_id: str, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None: ...


TICK_SECONDS: Final = 5.0
# Occurrences counted at most when catching up after downtime: a schedule down for years still moves on at once.
_CATCH_UP_MAX: Final = 10_000
_UNENDED: Final = (Phase.REQUESTED, Phase.RUNNING, Phase.AWAITING_APPROVAL)
_UNAPPROVED: Final = {
    ScheduleState.AWAITING_APPROVAL: "This schedule waits for an approver; it runs once it is approved.",
    ScheduleState.REJECTED: "This schedule was not approved, so it does not run. Change its move to ask again.",
}


def recurrence_of(when: When) -> Recurrence:
    hours, minutes = (int(part) for part in when.at.split(":"))
    return Recurrence(Frequency(when.frequency), time(hours, minutes), when.timezone, when.weekday, when.month_day)


def when_of(recurrence: Recurrence) -> When:
    return When(
        recurrence.frequency.value,
        f"{recurrence.at:%H:%M}",
        recurrence.timezone,
        recurrence.weekday,
        recurrence.month_day,
    )


def occurrence_key(schedule_id: int, occurrence: datetime) -> str:
    """The door's key of one occurrence's move: however many processes reach it, one move."""
    return f"schedule:{schedule_id}:{occurrence:%Y-%m-%dT%H:%M}Z"


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment


def slack_time(moment: datetime) -> str:
    """A moment (aware, or naive UTC) as a Slack date token, which each reader's client shows in their own zone."""
    return slack_date(_naive(moment))


@dataclass(frozen=True)
class Denied:
    """Not done: `words` say why, for the person who asked."""

    words: str


class ScheduleService:
    def __init__(
        self,
        *,
        db: Database,
        door: Door,
        access: AccessService,
        approvals: ApprovalService,
        notices: Speaker,
        owner: str,
        grace: timedelta = timedelta(minutes=60),
        lease_seconds: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._db = db
        self._door = door
        self._access = access
        self._approvals = approvals
        self._notices = notices
        self._tell = notices.tell
        self._owner = owner
        self._grace = grace
        self._lease_seconds = lease_seconds
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- what people do ----------------------------------------------------------------------------------------

    def create(self, *, requester: Requester, order: MoveOrder, recurrence: Recurrence) -> ScheduleRecord | Denied:
        """A new schedule, if its owner may move here; its first run is the recurrence's next after now."""
        stopped = self._door.may_move(requester)
        if isinstance(stopped, Refused):
            return Denied(stopped.words)
        if isinstance(stopped, NotConnected):
            return Denied(NOT_CONNECTED)
        needs_approval = self._approvals.needs_approval(leads=order.limit)
        made = schedules.create(
            self._db,
            team_id=requester.team_id,
            channel_id=requester.channel_id,
            owner_id=requester.user_id,
            order=order,
            when=when_of(recurrence),
            next_run_at=_naive(recurrence.next_after(self._clock())),
            awaiting_approval=needs_approval,
        )
        self._audit(made, requester.user_id, "schedule created" + (", awaiting approval" if needs_approval else ""))
        if needs_approval:
            self._ask_approval(made)
        return made

    def _ask_approval(self, schedule: ScheduleRecord) -> None:
        """Post the request for approval where requests go, and remember where it is."""
        channel = self._approvals.request_for(origin_channel=schedule.channel_id).channel_id
        text, blocks = schedule_messages.request(
            schedule_id=schedule.id,
            owner_id=schedule.owner_id,
            order=schedule.order,
            recurrence=recurrence_of(schedule.when),
            first_run=slack_time(schedule.next_run_at),
        )
        ts = self._notices.post(schedule.team_id, channel, text, blocks)
        if ts is not None:
            schedules.requested(self._db, schedule_id=schedule.id, channel_id=channel, ts=ts)

    def approve(self, *, team_id: str, user_id: str, schedule_id: int) -> ScheduleRecord | Denied:
        """An approver approves a schedule's move, once: its runs then start without asking again."""
        return self._decide(team_id=team_id, user_id=user_id, schedule_id=schedule_id, approved=True)

    def reject(self, *, team_id: str, user_id: str, schedule_id: int) -> ScheduleRecord | Denied:
        """An approver does not approve it: it never runs."""
        return self._decide(team_id=team_id, user_id=user_id, schedule_id=schedule_id, approved=False)

    def _decide(self, *, team_id: str, user_id: str, schedule_id: int, approved: bool) -> ScheduleRecord | Denied:
        found = schedules.get(self._db, schedule_id=schedule_id)
        if found is None or found.team_id != team_id:
            return Denied("That schedule no longer exists.")
        refused = self._access.refusal_to_approve(team_id=team_id, user_id=user_id, requester_id=found.owner_id)
        if refused is not None:
            return Denied(refused.replace("asked for this move", "made this schedule"))
        recurrence = recurrence_of(found.when)
        next_run = _naive(recurrence.next_after(self._clock()))
        decided = schedules.decide(
            self._db, schedule_id=found.id, approved_by=user_id if approved else None, next_run_at=next_run
        )
        if decided is None:
            return Denied("This schedule was already decided, or changed since: nothing was done.")
        if found.approval_channel and found.approval_ts:
            text, blocks = schedule_messages.decided(
                schedule_id=found.id,
                owner_id=found.owner_id,
                order=found.order,
                recurrence=recurrence,
                by=user_id,
                approved=approved,
            )
            self._notices.replace(team_id, found.approval_channel, found.approval_ts, text, blocks)
        words = f"Schedule #{found.id} ({recurrence.words()}) was "
        if approved:
            words += f"approved by <@{user_id}>. Its first run is {slack_time(next_run)}."
        else:
            words += f"not approved by <@{user_id}>, so it will not run. <@{found.owner_id}> can change it."
        self._tell(team_id, found.channel_id, words)
        self._audit(decided, user_id, "schedule approved" if approved else "schedule not approved")
        return decided

    def visible_to(self, *, team_id: str, user_id: str) -> list[ScheduleRecord]:
        """The person's schedules; an admin sees the workspace's."""
        admin = self._access.is_admin(team_id=team_id, user_id=user_id)
        return schedules.of_team(self._db, team_id=team_id, owner_id=None if admin else user_id)

    def managed(self, *, team_id: str, user_id: str, schedule_id: int) -> ScheduleRecord | Denied:
        """The schedule, if this person may change it (its owner, or an admin); else why not."""
        found = schedules.get(self._db, schedule_id=schedule_id)
        if found is None or found.team_id != team_id:
            return Denied("That schedule no longer exists.")
        if found.owner_id != user_id and not self._access.is_admin(team_id=team_id, user_id=user_id):
            return Denied(f"Only <@{found.owner_id}>, who made this schedule, and admins may change it.")
        return found

    def edit(
        self, *, team_id: str, user_id: str, schedule_id: int, order: MoveOrder, recurrence: Recurrence
    ) -> ScheduleRecord | Denied:
        found = self.managed(team_id=team_id, user_id=user_id, schedule_id=schedule_id)
        if isinstance(found, Denied):
            return found
        next_run = _naive(recurrence.next_after(self._clock()))
        # A new move that needs approval is approved anew; one waiting that no longer needs it is active.
        needs = self._approvals.needs_approval(leads=order.limit)
        state = None
        if needs and order != found.order:
            state = ScheduleState.AWAITING_APPROVAL
        elif not needs and found.state in _UNAPPROVED:
            state = ScheduleState.ACTIVE
        edited = schedules.edit(
            self._db, schedule_id=found.id, order=order, when=when_of(recurrence), next_run_at=next_run, state=state
        )
        if edited is None:
            return Denied("That schedule no longer exists.")
        asks = state == ScheduleState.AWAITING_APPROVAL
        self._audit(edited, user_id, "schedule edited" + (", awaiting approval" if asks else ""))
        if asks:
            self._ask_approval(edited)
        return edited

    def pause(self, *, team_id: str, user_id: str, schedule_id: int) -> ScheduleRecord | Denied:
        found = self.managed(team_id=team_id, user_id=user_id, schedule_id=schedule_id)
        if isinstance(found, Denied):
            return found
        paused = schedules.pause(self._db, schedule_id=found.id, reason=f"paused by <@{user_id}>")
        if paused is None:
            return Denied("That schedule no longer exists.")
        self._audit(paused, user_id, "schedule paused")
        return paused

    def resume(self, *, team_id: str, user_id: str, schedule_id: int) -> ScheduleRecord | Denied:
        """Active again from the next occurrence after now (the ones missed while paused are not made up)."""
        found = self.managed(team_id=team_id, user_id=user_id, schedule_id=schedule_id)
        if isinstance(found, Denied):
            return found
        if found.state in (ScheduleState.AWAITING_APPROVAL, ScheduleState.REJECTED):
            return Denied(_UNAPPROVED[found.state])
        stopped = self._door.may_move(Requester(team_id=team_id, user_id=found.owner_id, channel_id=found.channel_id))
        if isinstance(stopped, Refused):
            return Denied(f"<@{found.owner_id}> may not move leads here now, so it stays paused: {stopped.words}")
        next_run = _naive(recurrence_of(found.when).next_after(self._clock()))
        resumed = schedules.resume(self._db, schedule_id=found.id, next_run_at=next_run)
        if resumed is None:
            return Denied("That schedule no longer exists.")
        self._audit(resumed, user_id, "schedule resumed")
        return resumed

    def delete(self, *, team_id: str, user_id: str, schedule_id: int) -> ScheduleRecord | Denied:
        found = self.managed(team_id=team_id, user_id=user_id, schedule_id=schedule_id)
        if isinstance(found, Denied):
            return found
        schedules.remove(self._db, schedule_id=found.id)
        self._audit(found, user_id, "schedule deleted")
        return found

    def run_now(self, *, team_id: str, user_id: str, schedule_id: int) -> ScheduleRecord | Denied:
        """One run at once, besides the recurrence, as the scheduler would make it."""
        found = self.managed(team_id=team_id, user_id=user_id, schedule_id=schedule_id)
        if isinstance(found, Denied):
            return found
        if found.state in _UNAPPROVED:
            return Denied(_UNAPPROVED[found.state])
        moment = self._clock()
        self._run(found, _naive(moment), key=f"schedule:{found.id}:now:{moment:%Y-%m-%dT%H:%M:%S}Z", by=user_id)
        return found

    # --- the scheduler -----------------------------------------------------------------------------------------

    def tick(self) -> int:
        """Handle every due occurrence; how many schedules were handled."""
        now = _naive(self._clock())
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
        while missed < _CATCH_UP_MAX and _naive(following := recurrence.next_after(latest)) <= now:
            latest, missed = _naive(following), missed + 1
        next_run = _naive(recurrence.next_after(latest))
        words = recurrence.words()
        if now - latest > self._grace:
            count = missed + 1
            runs = "run" if count == 1 else f"{count} runs"
            self._tell(
                schedule.team_id,
                schedule.channel_id,
                f"Schedule #{schedule.id} ({words}) missed its {runs} while leadmover was down; it was skipped. "
                f"The next run is {slack_time(next_run)}.",
            )
            self._handled(schedule, latest, next_run, f"skipped: missed while leadmover was down ({count})")
            return
        if missed:
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
        self._run(schedule, latest, key=occurrence_key(schedule.id, latest), next_run=next_run)

    def _run(
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
        self._audit(schedule, by or schedule.owner_id, f"schedule run{' now' if by else ''}: {result}")
        if next_run is not None:
            self._handled(schedule, occurrence, next_run, result, job_id=job_id)
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
        self._audit(schedule, schedule.owner_id, "schedule paused: its owner may no longer move")

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

    def _audit(self, schedule: ScheduleRecord, user_id: str, outcome: str) -> None:
        audit.record(
            self._db,
            team_id=schedule.team_id,
            user_id=user_id,
            action="schedule",
            detail={
                "schedule": schedule.id,
                "channel": schedule.channel_id,
                "when": recurrence_of(schedule.when).words(),
                "timezone": schedule.when.timezone,
                "order": schedule.order.without_typed_details().to_json(),
            },
            outcome=outcome,
        )

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

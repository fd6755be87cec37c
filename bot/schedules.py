"""Schedules: a move made once in the form that then runs by itself (/leads schedule). Who may make, change, approve
and end one; the runs themselves are the scheduler's (bot.scheduler)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.access import AccessService
from bot.approvals import ApprovalService
from bot.door import Door
from bot.door_terms import NOT_CONNECTED, NotConnected, Refused
from bot.moves import Requester
from bot.recurrence import Recurrence
from bot.schedule_terms import (
    UNAPPROVED,
    Denied,
    Speaker,
    naive,
    occurrence_key,
    record_audit,
    recurrence_of,
    slack_time,
    when_of,
)
from bot.scheduler import Scheduler
from bot.slack.blocks import schedule_messages
from storage import schedules
from storage.automation_models import ScheduleState
from storage.clock import utcnow
from storage.db import Database
from storage.orders import MoveOrder
from storage.schedules import ScheduleRecord

# What listeners and tests name from here.
__all__ = ["Denied", "ScheduleService", "Speaker", "occurrence_key", "recurrence_of", "slack_time", "when_of"]

log = logging.getLogger(__name__)


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
        self._clock = clock
        self._scheduler = Scheduler(
            db=db, door=door, notices=notices, owner=owner, grace=grace, lease_seconds=lease_seconds, clock=clock
        )

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
            next_run_at=naive(recurrence.next_after(self._clock())),
            awaiting_approval=needs_approval,
        )
        record_audit(
            self._db, made, requester.user_id, "schedule created" + (", awaiting approval" if needs_approval else "")
        )
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
        next_run = naive(recurrence.next_after(self._clock()))
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
        record_audit(self._db, decided, user_id, "schedule approved" if approved else "schedule not approved")
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
        next_run = naive(recurrence.next_after(self._clock()))
        # A new move that needs approval is approved anew; one waiting that no longer needs it is active.
        needs = self._approvals.needs_approval(leads=order.limit)
        state = None
        if needs and order != found.order:
            state = ScheduleState.AWAITING_APPROVAL
        elif not needs and found.state in UNAPPROVED:
            state = ScheduleState.ACTIVE
        edited = schedules.edit(
            self._db, schedule_id=found.id, order=order, when=when_of(recurrence), next_run_at=next_run, state=state
        )
        if edited is None:
            return Denied("That schedule no longer exists.")
        asks = state == ScheduleState.AWAITING_APPROVAL
        record_audit(self._db, edited, user_id, "schedule edited" + (", awaiting approval" if asks else ""))
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
        record_audit(self._db, paused, user_id, "schedule paused")
        return paused

    def resume(self, *, team_id: str, user_id: str, schedule_id: int) -> ScheduleRecord | Denied:
        """Active again from the next occurrence after now (the ones missed while paused are not made up)."""
        found = self.managed(team_id=team_id, user_id=user_id, schedule_id=schedule_id)
        if isinstance(found, Denied):
            return found
        if found.state in (ScheduleState.AWAITING_APPROVAL, ScheduleState.REJECTED):
            return Denied(UNAPPROVED[found.state])
        stopped = self._door.may_move(Requester(team_id=team_id, user_id=found.owner_id, channel_id=found.channel_id))
        if isinstance(stopped, Refused):
            return Denied(f"<@{found.owner_id}> may not move leads here now, so it stays paused: {stopped.words}")
        next_run = naive(recurrence_of(found.when).next_after(self._clock()))
        resumed = schedules.resume(self._db, schedule_id=found.id, next_run_at=next_run)
        if resumed is None:
            return Denied("That schedule no longer exists.")
        record_audit(self._db, resumed, user_id, "schedule resumed")
        return resumed

    def delete(self, *, team_id: str, user_id: str, schedule_id: int) -> ScheduleRecord | Denied:
        found = self.managed(team_id=team_id, user_id=user_id, schedule_id=schedule_id)
        if isinstance(found, Denied):
            return found
        schedules.remove(self._db, schedule_id=found.id)
        record_audit(self._db, found, user_id, "schedule deleted")
        return found

    def run_now(self, *, team_id: str, user_id: str, schedule_id: int) -> ScheduleRecord | Denied:
        """One run at once, besides the recurrence, as the scheduler would make it."""
        found = self.managed(team_id=team_id, user_id=user_id, schedule_id=schedule_id)
        if isinstance(found, Denied):
            return found
        if found.state in UNAPPROVED:
            return Denied(UNAPPROVED[found.state])
        moment = self._clock()
        key = f"schedule:{found.id}:now:{moment:%Y-%m-%dT%H:%M:%S}Z"
        self._scheduler.run_occurrence(found, naive(moment), key=key, by=user_id)
        return found

    # --- the scheduler's loop ----------------------------------------------------------------------------------

    def tick(self) -> int:
        """Handle every due occurrence now (the loop does so every few seconds); how many schedules were handled."""
        return self._scheduler.tick()

    def start(self) -> None:
        self._scheduler.start()

    def stop(self, *, timeout: float = 5.0) -> None:
        self._scheduler.stop(timeout=timeout)

    # --- the scheduler -----------------------------------------------------------------------------------------

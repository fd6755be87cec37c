"""Schedules (bot.schedules) on a clock the test moves, against the real database, an in-memory Slack and a
recording Instantly: each due occurrence is one move through the door; two schedulers at one occurrence make one;
downtime within the grace runs the latest once, beyond it skips and tells the channel once; a run whose previous one
has not ended is skipped and told once; pause and resume; an owner who may no longer move pauses the schedule."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot.moves import Requester
from bot.recurrence import Frequency, Recurrence
from bot.schedules import Denied, ScheduleService, occurrence_key
from bot.services import Services
from storage import schedules
from storage.automation_models import ScheduleState
from storage.db import Database
from storage.models import JobRow, Phase
from storage.schedules import ScheduleRecord
from tests.bot.test_door import ADMIN, ALICE, _services, sent
from tests.factories import an_order, requested_job
from tests.stand_ins import InstantlyMoves, SlackStandIn

MONDAY_NINE = Recurrence(Frequency.WEEKLY, time(9, 0), "America/New_York", weekday=0)
# Friday 6 March 2026, noon in New York: the next run is Monday 9 March, 09:00 EDT (13:00 UTC).
FRIDAY = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)
MONDAY_RUN = datetime(2026, 3, 9, 13, 0)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def instantly() -> InstantlyMoves:
    moves = InstantlyMoves()
    moves.numbered = True
    return moves


@pytest.fixture
def services(sqlite_db: Database, slack: SlackStandIn, instantly: InstantlyMoves) -> Iterator[Services]:
    slack.people[ADMIN] = {"is_admin": True}
    built = _services(sqlite_db, slack, instantly)
    yield built
    built.close(grace=2.0)


@pytest.fixture
def clock() -> Clock:
    return Clock(FRIDAY)


@pytest.fixture
def told() -> list[tuple[str, str, str]]:
    return []


Told = list[tuple[str, str, str]]


class Speaking:
    """What the scheduler says in Slack, kept: (team, where, text) of each sentence; posts and edits apart."""

    def __init__(self, told: Told) -> None:
        self.told = told
        self.posts: list[tuple[str, str, list[dict[str, Any]] | None]] = []
        self.edits: list[tuple[str, str, str]] = []

    def tell(self, team_id: str, where: str, text: str) -> None:
        self.told.append((team_id, where, text))

    def post(self, team_id: str, where: str, text: str, blocks: list[dict[str, Any]] | None = None) -> str | None:
        self.posts.append((where, text, blocks))
        return f"1.{len(self.posts)}"

    def replace(self, team_id: str, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        self.edits.append((channel, ts, text))


def scheduler(services: Services, clock: Clock, told: Told, owner: str = "web-1") -> ScheduleService:
    return ScheduleService(
        db=services.db,
        door=services.door,
        access=services.access,
        approvals=services.approvals,
        notices=Speaking(told),
        owner=owner,
        grace=timedelta(minutes=60),
        clock=clock,
    )


def made(service: ScheduleService, recurrence: Recurrence = MONDAY_NINE, **order: Any) -> ScheduleRecord:
    created = service.create(
        requester=Requester(team_id="T1", user_id=ALICE, channel_id="C0SALES"),
        order=an_order(**{"limit": 10, **order}),
        recurrence=recurrence,
    )
    assert isinstance(created, ScheduleRecord)
    return created


def stored(db: Database, schedule_id: int) -> ScheduleRecord:
    found = schedules.get(db, schedule_id=schedule_id)
    assert found is not None
    return found


def end_jobs(db: Database) -> None:
    with db.session() as session:
        session.execute(update(JobRow).values(phase=Phase.DONE))


def test_a_schedule_runs_once_at_its_occurrence_through_the_door(
    services: Services, clock: Clock, told: list[Any], instantly: InstantlyMoves
) -> None:
    service = scheduler(services, clock, told)
    schedule = made(service)
    assert schedule.next_run_at == MONDAY_RUN
    assert service.tick() == 0
    clock.now = MONDAY_RUN.replace(tzinfo=UTC) + timedelta(seconds=3)
    assert service.tick() == 1
    assert service.tick() == 0
    assert len(sent(services, instantly)) == 1
    after = stored(services.db, schedule.id)
    assert after.next_run_at == datetime(2026, 3, 16, 13, 0)
    assert after.last_job_id is not None
    made_by = services.moves.submitted(team_id="T1", submission_key=occurrence_key(schedule.id, MONDAY_RUN))
    assert made_by is not None
    assert made_by.record.via == "schedule"
    assert made_by.record.via_name == "every Monday at 09:00"
    assert told == []


def test_a_slow_instantly_still_gets_the_run_started_rather_than_skipped_for_a_week(
    services: Services, clock: Clock, told: list[Any], instantly: InstantlyMoves
) -> None:
    service = scheduler(services, clock, told)
    made(service)
    instantly.naming_seconds = 2.0  # longer than a person's form may wait for the names
    clock.now = MONDAY_RUN.replace(tzinfo=UTC)
    assert service.tick() == 1
    assert len(sent(services, instantly)) == 1
    assert told == []


def test_two_schedulers_at_one_occurrence_make_one_move(
    services: Services, clock: Clock, told: list[Any], instantly: InstantlyMoves
) -> None:
    first, second = scheduler(services, clock, told, "web-1"), scheduler(services, clock, told, "web-2")
    schedule = made(first)
    clock.now = MONDAY_RUN.replace(tzinfo=UTC)
    assert first.tick() + second.tick() == 1
    # The lease gone and the occurrence run again by the other: the door knows its key.
    schedules.handled(services.db, schedule_id=schedule.id, occurrence=MONDAY_RUN, next_run_at=MONDAY_RUN, outcome="")
    assert second.tick() == 1
    assert len(sent(services, instantly)) == 1


def test_downtime_within_the_grace_runs_the_missed_occurrence_once(
    services: Services, clock: Clock, told: list[Any], instantly: InstantlyMoves
) -> None:
    service = scheduler(services, clock, told)
    made(service)
    clock.now = MONDAY_RUN.replace(tzinfo=UTC) + timedelta(minutes=59)
    assert service.tick() == 1
    assert len(sent(services, instantly)) == 1
    assert told == []


def test_downtime_beyond_the_grace_skips_and_tells_the_channel_once(
    services: Services, clock: Clock, told: list[Any], instantly: InstantlyMoves
) -> None:
    service = scheduler(services, clock, told)
    schedule = made(service)
    clock.now = MONDAY_RUN.replace(tzinfo=UTC) + timedelta(days=8)  # two Mondays missed, the latest 1 day ago
    assert service.tick() == 1
    assert service.tick() == 0
    assert sent(services, instantly) == []
    assert len(told) == 1
    assert told[0][1] == "C0SALES"
    assert "missed its 2 runs while leadmover was down" in told[0][2]
    (entry,) = [e for e in services.audit.latest(team_id="T1", limit=5) if e.outcome.startswith("schedule run")]
    assert entry.outcome == "schedule run skipped: missed while leadmover was down (2)"
    assert stored(services.db, schedule.id).next_run_at == datetime(2026, 3, 23, 13, 0)


def _due_while_instantly_fails(
    services: Services, clock: Clock, told: list[Any], instantly: InstantlyMoves
) -> tuple[ScheduleService, ScheduleRecord]:
    """A schedule at its Monday run, with an Instantly that cannot name its places."""
    service = scheduler(services, clock, told)
    schedule = made(service)
    instantly.naming_error = 503
    clock.now = MONDAY_RUN.replace(tzinfo=UTC)
    return service, schedule


def test_a_run_instantly_cannot_start_yet_is_tried_each_minute_and_starts_once_it_can_told_once(
    services: Services, clock: Clock, told: list[Any], instantly: InstantlyMoves
) -> None:
    service, schedule = _due_while_instantly_fails(services, clock, told, instantly)
    assert service.tick() == 1
    assert service.tick() == 0, "not before a minute has passed"
    clock.now += timedelta(seconds=61)
    assert service.tick() == 1
    assert sent(services, instantly) == []
    assert len(told) == 1, "told once, not at each try"
    assert "could not start its run of <!date^" in told[0][2]
    assert "Instantly did not confirm the names of its campaign and list in time" in told[0][2]
    assert "It tries again by itself until" in told[0][2]
    instantly.naming_error = None
    clock.now += timedelta(seconds=61)
    assert service.tick() == 1
    assert len(sent(services, instantly)) == 1
    assert len(told) == 1
    after = stored(services.db, schedule.id)
    assert (after.next_run_at, after.put_off_reason) == (datetime(2026, 3, 16, 13, 0), None)
    assert (after.last_outcome or "").startswith("started job #")
    made_by = services.moves.submitted(team_id="T1", submission_key=occurrence_key(schedule.id, MONDAY_RUN))
    assert made_by is not None, "the run is the Monday 09:00 occurrence's, though it started later"


def test_run_now_while_the_due_run_waits_to_start_is_that_run_not_a_second(
    services: Services, clock: Clock, told: list[Any], instantly: InstantlyMoves
) -> None:
    service, schedule = _due_while_instantly_fails(services, clock, told, instantly)
    assert service.tick() == 1
    instantly.naming_error = None
    clock.now += timedelta(seconds=20)
    assert isinstance(service.run_now(team_id="T1", user_id=ALICE, schedule_id=schedule.id), ScheduleRecord)
    assert len(sent(services, instantly)) == 1
    after = stored(services.db, schedule.id)
    assert (after.next_run_at, after.put_off_reason) == (datetime(2026, 3, 16, 13, 0), None)
    end_jobs(services.db)
    clock.now += timedelta(seconds=61)
    assert service.tick() == 0
    assert len(sent(services, instantly)) == 1, "the Monday run was the one started by hand"


def test_a_run_whose_owner_has_too_many_moves_queued_starts_once_one_of_them_has(
    services: Services, clock: Clock, told: list[Any], instantly: InstantlyMoves
) -> None:
    service = scheduler(services, clock, told)
    made(service)
    for _ in range(3):
        requested_job(services.db, user=ALICE, channel="C0SALES")
    clock.now = MONDAY_RUN.replace(tzinfo=UTC)
    assert service.tick() == 1
    assert "its owner has 3 moves waiting for Instantly to start them" in told[0][2]
    end_jobs(services.db)
    clock.now += timedelta(seconds=11)
    assert service.tick() == 1
    assert len(sent(services, instantly)) == 1
    assert len(told) == 1


def test_a_run_that_cannot_start_within_the_grace_gives_up_and_says_why(
    services: Services, clock: Clock, told: list[Any], instantly: InstantlyMoves
) -> None:
    service, schedule = _due_while_instantly_fails(services, clock, told, instantly)
    while clock.now < MONDAY_RUN.replace(tzinfo=UTC) + timedelta(minutes=62):
        service.tick()
        clock.now += timedelta(seconds=61)
    assert sent(services, instantly) == []
    assert len(told) == 2
    assert "gave up on its run of <!date^" in told[1][2]
    assert "which could not start within 60 minutes: Instantly did not confirm the names" in told[1][2]
    assert "missed" not in told[1][2], "leadmover was up all along"
    after = stored(services.db, schedule.id)
    assert (after.next_run_at, after.put_off_reason) == (datetime(2026, 3, 16, 13, 0), None)
    outcomes = [e.outcome for e in services.audit.latest(team_id="T1", limit=10) if "schedule run" in e.outcome]
    assert outcomes[:2] == [
        "schedule run skipped: Instantly did not confirm the names of its campaign and list in time",
        "schedule run put off: Instantly did not confirm the names of its campaign and list in time",
    ]
    instantly.naming_error = None
    clock.now = datetime(2026, 3, 16, 13, 0, 30, tzinfo=UTC)
    assert service.tick() == 1
    assert len(sent(services, instantly)) == 1, "the next Monday runs as usual"


def test_a_run_whose_previous_run_has_not_ended_is_skipped_and_told_once(
    services: Services, clock: Clock, told: list[Any], instantly: InstantlyMoves
) -> None:
    service = scheduler(services, clock, told)
    schedule = made(service, Recurrence(Frequency.DAILY, time(9, 0), "America/New_York"))
    clock.now = datetime(2026, 3, 7, 14, 0, tzinfo=UTC)
    service.tick()
    assert len(sent(services, instantly)) == 1
    for day in (8, 9):
        clock.now = datetime(2026, 3, day, 13, 1, tzinfo=UTC)
        service.tick()
    assert len(sent(services, instantly)) == 1
    assert len(told) == 1
    assert "has not ended" in told[0][2]
    end_jobs(services.db)
    clock.now = datetime(2026, 3, 10, 13, 1, tzinfo=UTC)
    service.tick()
    assert len(sent(services, instantly)) == 2
    assert stored(services.db, schedule.id).last_outcome is not None


def test_pause_and_resume(services: Services, clock: Clock, told: list[Any], instantly: InstantlyMoves) -> None:
    service = scheduler(services, clock, told)
    schedule = made(service)
    paused = service.pause(team_id="T1", user_id=ALICE, schedule_id=schedule.id)
    assert isinstance(paused, ScheduleRecord)
    assert paused.state == ScheduleState.PAUSED
    clock.now = MONDAY_RUN.replace(tzinfo=UTC) + timedelta(days=7, minutes=1)
    assert service.tick() == 0
    resumed = service.resume(team_id="T1", user_id=ALICE, schedule_id=schedule.id)
    assert isinstance(resumed, ScheduleRecord)
    assert resumed.next_run_at == datetime(2026, 3, 23, 13, 0), "the runs missed while paused are not made up"
    assert sent(services, instantly) == []


def test_only_the_owner_and_admins_change_a_schedule(services: Services, clock: Clock, told: list[Any]) -> None:
    service = scheduler(services, clock, told)
    schedule = made(service)
    refused = service.delete(team_id="T1", user_id="U0BOB", schedule_id=schedule.id)
    assert isinstance(refused, Denied)
    assert "Only <@U0ALICE>" in refused.words
    assert isinstance(service.delete(team_id="T1", user_id=ADMIN, schedule_id=schedule.id), ScheduleRecord)
    assert schedules.get(services.db, schedule_id=schedule.id) is None


def test_an_owner_who_may_no_longer_move_pauses_the_schedule_and_both_are_told(
    services: Services, slack: SlackStandIn, clock: Clock, told: list[Any], instantly: InstantlyMoves
) -> None:
    service = scheduler(services, clock, told)
    schedule = made(service)
    slack.people[ALICE] = {"is_restricted": True}  # a guest now
    clock.now = MONDAY_RUN.replace(tzinfo=UTC)
    service.tick()
    assert sent(services, instantly) == []
    assert stored(services.db, schedule.id).state == ScheduleState.PAUSED
    assert {where for _, where, _ in told} == {"C0SALES", ALICE}
    assert all("paused itself" in text for _, _, text in told)


def test_a_guest_cannot_make_a_schedule(services: Services, slack: SlackStandIn, clock: Clock, told: list[Any]) -> None:
    slack.people["U0GUEST"] = {"is_restricted": True}
    denied = scheduler(services, clock, told).create(
        requester=Requester(team_id="T1", user_id="U0GUEST", channel_id="C0SALES"),
        order=an_order(limit=10),
        recurrence=MONDAY_NINE,
    )
    assert isinstance(denied, Denied)
    assert denied.words.startswith("Guests cannot move leads")


def test_every_change_is_audited(services: Services, clock: Clock, told: list[Any]) -> None:
    service = scheduler(services, clock, told)
    schedule = made(service)
    service.pause(team_id="T1", user_id=ALICE, schedule_id=schedule.id)
    service.resume(team_id="T1", user_id=ALICE, schedule_id=schedule.id)
    service.edit(team_id="T1", user_id=ALICE, schedule_id=schedule.id, order=an_order(limit=5), recurrence=MONDAY_NINE)
    service.run_now(team_id="T1", user_id=ALICE, schedule_id=schedule.id)
    service.delete(team_id="T1", user_id=ALICE, schedule_id=schedule.id)
    outcomes = [
        entry.outcome for entry in reversed(services.audit.latest(team_id="T1", limit=20)) if entry.action == "schedule"
    ]
    assert outcomes[:5] == ["schedule created", "schedule paused", "schedule resumed", "schedule edited", outcomes[4]]
    assert outcomes[4].startswith("schedule run now: started job #")
    assert outcomes[-1] == "schedule deleted"


def approving(services: Services, clock: Clock, told: Told) -> tuple[ScheduleService, Speaking]:
    speaking = Speaking(told)
    service = ScheduleService(
        db=services.db,
        door=services.door,
        access=services.access,
        approvals=services.approvals,
        notices=speaking,
        owner="web-1",
        clock=clock,
    )
    return service, speaking


def test_a_schedule_whose_move_needs_approval_is_approved_once_then_runs_without_asking(
    services: Services, clock: Clock, told: Told, instantly: InstantlyMoves
) -> None:
    service, speaking = approving(services, clock, told)
    schedule = made(service, limit=None)  # every lead: over the threshold
    assert schedule.state == ScheduleState.AWAITING_APPROVAL
    ((where, text, blocks),) = speaking.posts
    assert where == "C0SALES"
    assert "every Monday at 09:00 (America/New York)" in text
    assert [e["action_id"] for e in (blocks or [])[-1]["elements"]] == ["approve_schedule", "reject_schedule"]
    clock.now = MONDAY_RUN.replace(tzinfo=UTC)
    assert service.tick() == 0, "it does not run before it is approved"
    refused = service.approve(team_id="T1", user_id=ALICE, schedule_id=schedule.id)
    assert isinstance(refused, Denied)
    assert "made this schedule" in refused.words
    approved = service.approve(team_id="T1", user_id=ADMIN, schedule_id=schedule.id)
    assert isinstance(approved, ScheduleRecord)
    assert approved.state == ScheduleState.ACTIVE
    assert isinstance(service.approve(team_id="T1", user_id=ADMIN, schedule_id=schedule.id), Denied), "once"
    assert speaking.edits[0][1] == "1.1"
    for week in (1, 2):
        clock.now = MONDAY_RUN.replace(tzinfo=UTC) + timedelta(days=7 * week)
        service.tick()
        assert len(sent(services, instantly)) == week
        end_jobs(services.db)
    assert len(sent(services, instantly)) == 2, "each run starts without asking again"


def test_a_schedule_not_approved_never_runs_and_cannot_be_resumed(
    services: Services, clock: Clock, told: Told, instantly: InstantlyMoves
) -> None:
    service, _ = approving(services, clock, told)
    schedule = made(service, limit=None)
    rejected = service.reject(team_id="T1", user_id=ADMIN, schedule_id=schedule.id)
    assert isinstance(rejected, ScheduleRecord)
    assert rejected.state == ScheduleState.REJECTED
    assert isinstance(service.resume(team_id="T1", user_id=ALICE, schedule_id=schedule.id), Denied)
    assert isinstance(service.run_now(team_id="T1", user_id=ALICE, schedule_id=schedule.id), Denied)
    clock.now = MONDAY_RUN.replace(tzinfo=UTC)
    assert service.tick() == 0
    assert sent(services, instantly) == []
    assert any("not approved" in text for _, _, text in told)


def test_changing_the_move_asks_again_and_changing_only_the_time_does_not(
    services: Services, clock: Clock, told: Told
) -> None:
    service, speaking = approving(services, clock, told)
    schedule = made(service, limit=None)
    service.approve(team_id="T1", user_id=ADMIN, schedule_id=schedule.id)
    later = Recurrence(Frequency.WEEKLY, time(10, 0), "America/New_York", weekday=0)
    same_move = service.edit(
        team_id="T1", user_id=ALICE, schedule_id=schedule.id, order=schedule.order, recurrence=later
    )
    assert isinstance(same_move, ScheduleRecord)
    assert same_move.state == ScheduleState.ACTIVE
    assert same_move.approved_by == ADMIN
    new_move = service.edit(
        team_id="T1", user_id=ALICE, schedule_id=schedule.id, order=an_order(limit=5000), recurrence=later
    )
    assert isinstance(new_move, ScheduleRecord)
    assert new_move.state == ScheduleState.AWAITING_APPROVAL
    assert new_move.approved_by is None
    assert len(speaking.posts) == 2

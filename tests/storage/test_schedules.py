"""Schedules as stored (storage.schedules), on SQLite and PostgreSQL: due ones taken by one owner at a time, paused
ones never, and a handled occurrence writes the next and frees the lease."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage import schedules
from storage.automation_models import ScheduleState
from storage.db import Database
from storage.schedules import ScheduleRecord, When
from tests.factories import an_order

NOW = datetime(2026, 3, 9, 13, 0)
MONDAYS = When("weekly", "09:00", "America/New_York", weekday=0)


def made(db: Database, *, due_in: timedelta = timedelta(0)) -> ScheduleRecord:
    return schedules.create(
        db,
        team_id="T1",
        channel_id="C0SALES",
        owner_id="U0ALICE",
        order=an_order(limit=10),
        when=MONDAYS,
        next_run_at=NOW + due_in,
    )


def test_a_schedule_reads_back_as_written(db: Database) -> None:
    schedule = made(db)
    found = schedules.get(db, schedule_id=schedule.id)
    assert found == schedule
    assert found.when == MONDAYS
    assert found.order == an_order(limit=10)
    assert found.state == ScheduleState.ACTIVE


def test_due_schedules_are_taken_by_one_owner_and_handled_ones_move_on(db: Database) -> None:
    due, later = made(db), made(db, due_in=timedelta(minutes=1))
    taken = schedules.claim_due(db, owner="one", lease_seconds=60, now=NOW)
    assert [s.id for s in taken] == [due.id]
    assert schedules.claim_due(db, owner="two", lease_seconds=60, now=NOW) == []
    schedules.handled(
        db, schedule_id=due.id, occurrence=NOW, next_run_at=NOW + timedelta(days=7), outcome="ran", job_id=None
    )
    assert schedules.claim_due(db, owner="two", lease_seconds=60, now=NOW + timedelta(minutes=1)) != []
    assert [s.id for s in schedules.of_team(db, team_id="T1")] == [later.id, due.id]


def test_a_paused_schedule_is_never_due_and_a_resumed_one_is(db: Database) -> None:
    schedule = made(db)
    schedules.pause(db, schedule_id=schedule.id, reason="paused by <@U0ALICE>")
    assert schedules.claim_due(db, owner="one", lease_seconds=60, now=NOW) == []
    schedules.resume(db, schedule_id=schedule.id, next_run_at=NOW)
    assert [s.id for s in schedules.claim_due(db, owner="one", lease_seconds=60, now=NOW)] == [schedule.id]


def test_a_person_sees_their_own_schedules_and_a_removed_one_is_gone(db: Database) -> None:
    mine = made(db)
    assert schedules.of_team(db, team_id="T1", owner_id="U0BOB") == []
    assert schedules.remove(db, schedule_id=mine.id)
    assert schedules.get(db, schedule_id=mine.id) is None

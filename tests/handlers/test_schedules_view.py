"""Schedules in Block Kit: what each run moves in words, where a schedule stands, the buttons that fit its state, the
list within a message's 50 blocks, App Home's five, and the notice once one is saved; all as Slack takes them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from bot.slack.blocks import schedule_messages
from handlers import ids, schedules_view
from simulators.slack.blockkit import check_message_blocks, check_view
from storage import schedules
from storage.automation_models import ScheduleState
from storage.db import Database
from storage.orders import LeadFilters
from storage.schedules import ScheduleRecord, When
from tests.factories import an_order

OWNER = "U1"
MONDAY_RUN = datetime(2026, 3, 9, 13, 0)


@pytest.fixture
def record(sqlite_db: Database) -> ScheduleRecord:
    """A copy of up to 200 leads, every Monday at 09:00 in New York, as stored."""
    return schedules.create(
        sqlite_db,
        team_id="T1",
        channel_id="C1",
        owner_id=OWNER,
        order=an_order(copy=True, limit=200),
        when=When("weekly", "09:00", "America/New_York", weekday=0),
        next_run_at=MONDAY_RUN,
    )


def _actions(blocks: list[dict[str, object]]) -> list[str]:
    return [str(e["action_id"]) for b in blocks if b["type"] == "actions" for e in b["elements"]]  # type: ignore[attr-defined]


def test_what_each_run_moves_says_how_many_and_when_it_is_every_lead() -> None:
    assert schedule_messages.what(an_order(copy=True, limit=200)) == (
        "copy up to 200 leads from campaign *Acme Q1* to list *Acme warm*"
    )
    assert schedule_messages.what(an_order()).startswith("move every lead from campaign *Acme Q1*")
    filtered = an_order(filters=LeadFilters(search="acme"))
    assert schedule_messages.what(filtered).startswith("move every lead the filters take from")
    assert schedules_view.takes_every_lead(an_order())
    assert not schedules_view.takes_every_lead(filtered)


def test_where_it_stands_and_the_buttons_that_fit(record: ScheduleRecord) -> None:
    paused = replace(record, state=ScheduleState.PAUSED, paused_reason=f"paused by <@{OWNER}>")
    waiting = replace(record, state=ScheduleState.AWAITING_APPROVAL)

    assert schedules_view.when_words(record) == "every Monday at 09:00 (America/New York)"
    assert schedules_view.state_words(record).startswith("Next run: <!date^1773061200^")
    assert schedules_view.state_words(paused) == f":double_vertical_bar: *Paused* (paused by <@{OWNER}>)"
    assert "Waiting for an approver" in schedules_view.state_words(waiting)
    put_off = replace(record, put_off_reason="Instantly did not confirm the names of its campaign and list in time")
    assert schedules_view.state_words(put_off) == (
        ":hourglass: Its run of <!date^1773061200^{date_short_pretty} at {time}|2026-03-09 13:00 UTC> waits to start: "
        "Instantly did not confirm the names of its campaign and list in time"
    )
    kinds = [a.split(":")[0] for a in _actions([schedules_view.buttons(r) for r in (record, paused, waiting)])]
    assert kinds == [
        *(ids.SCHEDULE_PAUSE, ids.SCHEDULE_RUN_NOW, ids.SCHEDULE_EDIT, ids.SCHEDULE_DELETE),
        *(ids.SCHEDULE_RESUME, ids.SCHEDULE_RUN_NOW, ids.SCHEDULE_EDIT, ids.SCHEDULE_DELETE),
        *(ids.SCHEDULE_EDIT, ids.SCHEDULE_DELETE),
    ]
    delete = schedules_view.buttons(record)["elements"][-1]
    assert delete["confirm"]["title"]["text"] == "Delete this schedule?"


def test_each_buttons_action_id_names_its_schedule_and_the_listener_reads_it_back(record: ScheduleRecord) -> None:
    for action_id in _actions([schedules_view.buttons(record)]):
        found = ids.SCHEDULE_ACTION.match(action_id)
        assert found is not None
        assert int(found.group(2)) == record.id


def test_the_list_fits_a_message_and_says_how_many_more(record: ScheduleRecord) -> None:
    many = [replace(record, id=n, owner_id=OWNER if n % 2 else "U2") for n in range(1, 21)]

    text, blocks = schedules_view.schedule_list(many, viewer=OWNER, note="Paused schedule #3.")

    assert check_message_blocks(blocks) == []
    assert len(blocks) <= 50
    assert text == "Paused schedule #3.\nSchedules in this workspace: 20"
    assert "and 5 more, which run as usual." in str(blocks[-1])
    assert "Made by <@U2>" in str(blocks)
    assert len(set(_actions(blocks))) == len(_actions(blocks))


def test_no_schedules_says_how_to_make_one() -> None:
    text, blocks = schedules_view.schedule_list([], viewer=OWNER)
    assert text == f"You have no schedules. {schedules_view.HOW_TO_MAKE_ONE}"
    assert "`/leads schedule`" in text
    assert check_message_blocks(blocks) == []


def test_app_home_shows_five_and_points_to_the_rest(record: ScheduleRecord) -> None:
    blocks = schedules_view.home_section([replace(record, id=n) for n in range(1, 8)], viewer=OWNER)
    assert str(blocks).count("Copy up to 200 leads") == 5
    assert "and 2 more: `/leads schedules` lists them all." in str(blocks[-1])
    assert check_view({"type": "home", "blocks": blocks}, kind="home") == []


def test_the_notice_says_what_when_and_the_first_run_and_warns_of_every_lead(record: ScheduleRecord) -> None:
    made = schedules_view.saved_view(record, edited=False)
    everything = schedules_view.saved_view(replace(record, order=an_order()), edited=False)
    waiting = schedules_view.saved_view(replace(record, state=ScheduleState.AWAITING_APPROVAL), edited=True)

    assert check_view(made) == []
    assert made["blocks"][0]["text"]["text"].startswith(
        ":white_check_mark: Scheduled: copy up to 200 leads from campaign *Acme Q1* to list *Acme warm*, every "
        "Monday at 09:00 (America/New York). First run: <!date^"
    )
    assert "Each run is announced in <#C1>." in str(made)
    assert "No limit and no filter" not in str(made)
    assert "No limit and no filter: each run moves every lead in the campaign *Acme Q1*." in str(everything)
    assert waiting["title"]["text"] == "Schedule saved"
    assert "waits for an admin or approver other than you" in str(waiting)

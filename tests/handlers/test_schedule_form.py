"""The schedule modal's When section: its blocks in the person's time zone, what it reads back (a Recurrence, or an
error beside the field at fault), and the schedule mode carried through a redraw of the move modal."""

from __future__ import annotations

import json
from datetime import time
from typing import Any

import pytest

from bot.recurrence import Frequency, Recurrence
from handlers import ids, move_view, schedule_form
from handlers.schedule_form import Scheduling
from simulators.slack.blockkit import check_view

EVERY_MONDAY = Recurrence(Frequency.WEEKLY, time(9, 0), "America/New_York", weekday=0)


def _chosen(value: str | None, kind: str = "static_select") -> dict[str, Any]:
    option = {"text": {"type": "plain_text", "text": value}, "value": value} if value is not None else None
    return {"type": kind, "selected_option": option}


def _view(
    frequency: str | None = Frequency.WEEKLY.value,
    weekday: str | None = "0",
    month_day: str | None = None,
    at: str | None = "09:00",
    timezone: str | None = "America/New_York",
) -> dict[str, Any]:
    values = {
        ids.FREQUENCY: _chosen(frequency, "radio_buttons"),
        ids.WEEKDAY: _chosen(weekday),
        ids.MONTH_DAY: _chosen(month_day),
        ids.TIME_OF_DAY: {"type": "timepicker", "selected_time": at},
        ids.TIMEZONE: _chosen(timezone),
    }
    return {"state": {"values": {block: {block: entry} for block, entry in values.items()}}}


def _by_id(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in blocks if b["type"] == "input"}


def test_a_week_on_a_day_at_a_time_in_a_zone_reads_back_as_that_recurrence() -> None:
    assert schedule_form.parse(_view()) == EVERY_MONDAY


def test_the_day_and_the_date_count_only_for_the_frequency_that_asks_for_them() -> None:
    daily = schedule_form.parse(_view(frequency=Frequency.DAILY.value, weekday="3", month_day="12"))
    monthly = schedule_form.parse(_view(frequency=Frequency.MONTHLY.value, weekday="3", month_day="31"))
    assert daily == Recurrence(Frequency.DAILY, time(9, 0), "America/New_York")
    assert monthly == Recurrence(Frequency.MONTHLY, time(9, 0), "America/New_York", month_day=31)


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"weekday": None}, {ids.WEEKDAY: "Pick the day of the week it runs on."}),
        (
            {"frequency": Frequency.MONTHLY.value},
            {ids.MONTH_DAY: "Pick the date it runs on, from the 1st to the 31st."},
        ),
        ({"frequency": "fortnightly"}, {ids.FREQUENCY: "Choose how often it runs."}),
        ({"weekday": "9"}, {ids.WEEKDAY: "Pick the day of the week it runs on."}),
        ({"at": None}, {ids.TIME_OF_DAY: "Pick the time of day it runs at."}),
        ({"at": "25:00"}, {ids.TIME_OF_DAY: "Pick the time of day it runs at."}),
        ({"timezone": None}, {ids.TIMEZONE: "Pick the time zone it runs in."}),
        (
            {"timezone": "Mars/Olympus"},
            {ids.TIMEZONE: "“Mars/Olympus” is not a time zone leadmover knows (e.g. America/New_York)."},
        ),
    ],
)
def test_what_cannot_be_is_said_beside_its_field(fields: dict[str, Any], errors: dict[str, str]) -> None:
    assert schedule_form.parse(_view(**fields)) == errors


def test_their_zone_comes_first_is_preselected_and_said_to_be_theirs() -> None:
    zone = _by_id(schedule_form.blocks(Scheduling(their_zone="America/New_York")))[ids.TIMEZONE]["element"]
    assert zone["initial_option"] == zone["options"][0]
    assert zone["options"][0]["text"]["text"] == "America/New York (your time zone)"
    values = [o["value"] for o in zone["options"]]
    assert len(values) == len(set(values)) <= 100
    assert {"UTC", "Europe/London", "Asia/Tokyo"} <= set(values)


def test_a_zone_slack_names_that_leadmover_does_not_know_is_utc() -> None:
    assert schedule_form.known_zone("America/Indiana/Indianapolis") == "America/Indiana/Indianapolis"
    assert schedule_form.known_zone("Nowhere/Special") == "UTC"
    assert schedule_form.known_zone(None) == "UTC"


def test_a_new_schedule_opens_every_weekday_at_nine_with_no_day_or_date() -> None:
    blocks = _by_id(schedule_form.blocks(Scheduling(their_zone="Europe/Berlin")))
    assert blocks[ids.FREQUENCY]["element"]["initial_option"]["value"] == Frequency.WEEKDAYS.value
    assert blocks[ids.TIME_OF_DAY]["element"]["initial_time"] == "09:00"
    assert "initial_option" not in blocks[ids.WEEKDAY]["element"]
    assert "initial_option" not in blocks[ids.MONTH_DAY]["element"]
    assert blocks[ids.MONTH_DAY]["hint"]["text"] == schedule_form.MONTH_DAY_HINT
    assert len(blocks[ids.MONTH_DAY]["element"]["options"]) == 31


def test_an_edit_opens_with_its_when_and_offers_its_zone_besides_theirs() -> None:
    when = Recurrence(Frequency.MONTHLY, time(17, 30), "Pacific/Chatham", month_day=31)
    blocks = _by_id(schedule_form.blocks(Scheduling(their_zone="Europe/Berlin", editing=4, when=when)))
    assert blocks[ids.FREQUENCY]["element"]["initial_option"]["value"] == Frequency.MONTHLY.value
    assert blocks[ids.MONTH_DAY]["element"]["initial_option"]["text"]["text"] == "31st"
    assert blocks[ids.TIME_OF_DAY]["element"]["initial_time"] == "17:30"
    zone = blocks[ids.TIMEZONE]["element"]
    assert zone["initial_option"]["value"] == "Pacific/Chatham"
    assert [o["value"] for o in zone["options"][:2]] == ["Europe/Berlin", "Pacific/Chatham"]


def test_what_was_entered_wins_over_what_it_opened_with() -> None:
    entered = _view(frequency=Frequency.DAILY.value, at="06:45", timezone="Asia/Tokyo")["state"]["values"]
    blocks = _by_id(schedule_form.blocks(Scheduling(when=EVERY_MONDAY), entered=entered))
    assert blocks[ids.FREQUENCY]["element"]["initial_option"]["value"] == Frequency.DAILY.value
    assert blocks[ids.TIME_OF_DAY]["element"]["initial_time"] == "06:45"
    assert blocks[ids.TIMEZONE]["element"]["initial_option"]["value"] == "Asia/Tokyo"


def test_the_schedule_modal_is_the_move_modal_with_the_when_section_after_the_moves_fields() -> None:
    view = move_view.build(channel_id="C1", scheduling=Scheduling(their_zone="America/New_York"), more=True)
    assert check_view(view) == []
    assert (view["callback_id"], view["title"]["text"], view["submit"]["text"]) == (
        ids.MOVE_MODAL,
        "Schedule a move",
        "Schedule",
    )
    order = [b.get("block_id") for b in view["blocks"] if b["type"] == "input"]
    assert order[-6:] == [ids.OPTIONS, ids.FREQUENCY, ids.WEEKDAY, ids.MONTH_DAY, ids.TIME_OF_DAY, ids.TIMEZONE]
    assert schedule_form.scheduling_of(view) == Scheduling(their_zone="America/New_York")
    assert schedule_form.scheduling_of(move_view.build(channel_id="C1")) is None
    assert "schedule" not in json.loads(move_view.build(channel_id="C1")["private_metadata"])


def test_a_redraw_keeps_the_mode_the_when_section_and_what_was_entered_in_it() -> None:
    scheduling = Scheduling(their_zone="Europe/Berlin", editing=12, when=EVERY_MONDAY)
    view = move_view.build(channel_id="C1", scheduling=scheduling)
    view["state"] = _view(frequency=Frequency.DAILY.value, at="18:00")["state"]

    redrawn = move_view.rebuild(view, preview="A new preview", more=True)

    assert (redrawn["title"]["text"], redrawn["submit"]["text"]) == ("Change schedule #12", "Save")
    assert schedule_form.scheduling_of(redrawn) == scheduling
    blocks = _by_id(redrawn["blocks"])
    assert blocks[ids.FREQUENCY]["element"]["initial_option"]["value"] == Frequency.DAILY.value
    assert blocks[ids.TIME_OF_DAY]["element"]["initial_time"] == "18:00"
    assert check_view(redrawn) == []


def test_metadata_that_cannot_be_read_is_no_schedule_or_falls_back() -> None:
    def metadata(kept: object) -> dict[str, Any]:
        return {"private_metadata": json.dumps({"channel_id": "C1", "schedule": kept})}

    assert schedule_form.scheduling_of(metadata("yes")) is None
    assert schedule_form.scheduling_of({"private_metadata": "{not json"}) is None
    odd = schedule_form.scheduling_of(metadata({"tz": "Mars/Olympus", "edit": "7", "when": {"at": "x"}}))
    assert odd == Scheduling(their_zone="UTC")

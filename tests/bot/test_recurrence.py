"""Recurrences (bot.recurrence): each kind, 09:00 local across daylight saving in New York and Berlin, a time a
change skips or repeats run once, a month without the date runs on its last day, and the words people read."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.recurrence import Frequency, Recurrence, RecurrenceError

NINE = time(9, 0)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def runs(recurrence: Recurrence, after: datetime, count: int) -> list[datetime]:
    found, moment = [], after
    for _ in range(count):
        moment = recurrence.next_after(moment)
        found.append(moment)
    return found


def local(moments: list[datetime], zone: str) -> list[str]:
    return [m.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M") for m in moments]


def test_every_day_and_every_weekday() -> None:
    daily = Recurrence(Frequency.DAILY, NINE, "UTC")
    assert runs(daily, utc(2026, 3, 6, 10), 2) == [utc(2026, 3, 7, 9), utc(2026, 3, 8, 9)]
    weekdays = Recurrence(Frequency.WEEKDAYS, NINE, "UTC")
    assert local(runs(weekdays, utc(2026, 3, 6, 10), 2), "UTC") == ["Mon 09 Mar 09:00", "Tue 10 Mar 09:00"]


def test_every_week_on_a_day_and_every_month_on_a_date() -> None:
    weekly = Recurrence(Frequency.WEEKLY, NINE, "UTC", weekday=0)
    assert local(runs(weekly, utc(2026, 3, 9, 9), 2), "UTC") == ["Mon 16 Mar 09:00", "Mon 23 Mar 09:00"]
    monthly = Recurrence(Frequency.MONTHLY, NINE, "UTC", month_day=15)
    assert runs(monthly, utc(2026, 3, 15, 8, 59), 2) == [utc(2026, 3, 15, 9), utc(2026, 4, 15, 9)]


def test_a_month_without_the_date_runs_on_its_last_day() -> None:
    monthly = Recurrence(Frequency.MONTHLY, NINE, "UTC", month_day=31)
    assert runs(monthly, utc(2026, 1, 31, 10), 3) == [utc(2026, 2, 28, 9), utc(2026, 3, 31, 9), utc(2026, 4, 30, 9)]


@pytest.mark.parametrize(
    ("zone", "before", "after"),
    [
        ("America/New_York", utc(2026, 3, 6, 14), utc(2026, 3, 9, 13)),
        ("Europe/Berlin", utc(2026, 3, 27, 8), utc(2026, 3, 30, 7)),
    ],
)
def test_nine_stays_nine_local_across_daylight_saving(zone: str, before: datetime, after: datetime) -> None:
    moments = runs(Recurrence(Frequency.WEEKDAYS, NINE, zone), before.replace(hour=0), 2)
    assert moments == [before, after]
    assert [m.astimezone(ZoneInfo(zone)).time() for m in moments] == [NINE, NINE]


@pytest.mark.parametrize(
    ("zone", "at", "after", "expected"),
    [
        # 02:30 does not exist on the day the clocks go forward: it runs once, at 03:30 summer time.
        ("America/New_York", time(2, 30), utc(2026, 3, 7, 12), [utc(2026, 3, 8, 7, 30), utc(2026, 3, 9, 6, 30)]),
        ("Europe/Berlin", time(2, 30), utc(2026, 3, 28, 12), [utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30)]),
        # The hour that comes twice when they go back: it runs once, the first time.
        ("America/New_York", time(1, 30), utc(2026, 10, 31, 12), [utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]),
        ("Europe/Berlin", time(2, 30), utc(2026, 10, 24, 12), [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]),
    ],
)
def test_a_time_a_change_skips_or_repeats_runs_once(
    zone: str, at: time, after: datetime, expected: list[datetime]
) -> None:
    assert runs(Recurrence(Frequency.DAILY, at, zone), after, 2) == expected


def test_the_words_people_read() -> None:
    assert Recurrence(Frequency.DAILY, NINE, "UTC").words() == "every day at 09:00"
    assert Recurrence(Frequency.WEEKDAYS, time(17, 30), "UTC").words() == "every weekday at 17:30"
    assert Recurrence(Frequency.WEEKLY, NINE, "UTC", weekday=0).words() == "every Monday at 09:00"
    assert Recurrence(Frequency.MONTHLY, time(8), "UTC", month_day=1).words() == "on the 1st of every month at 08:00"
    assert "last day" in Recurrence(Frequency.MONTHLY, NINE, "UTC", month_day=31).words()
    assert Recurrence(Frequency.DAILY, NINE, "America/New_York").zone_words() == "America/New York"


@pytest.mark.parametrize(
    "bad",
    [
        {"frequency": Frequency.WEEKLY},
        {"frequency": Frequency.MONTHLY, "month_day": 32},
        {"frequency": Frequency.DAILY, "timezone": "Mars/Olympus"},
    ],
)
def test_a_recurrence_that_cannot_be_says_why(bad: dict[str, object]) -> None:
    values: dict[str, object] = {"at": NINE, "timezone": "UTC", **bad}
    with pytest.raises(RecurrenceError):
        Recurrence(**values)  # type: ignore[arg-type]

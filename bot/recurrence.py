"""When a schedule runs: every day, every weekday, every week on a day or every month on a date, at a time of day in
a time zone. Computed by dateutil's rrule over zoneinfo, so 09:00 stays 09:00 local across daylight saving, and a
time that a change skips or repeats comes once (Python's fold=0: the offset in force before the change)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import rrule

WEEKDAYS: Final = tuple(calendar.day_name)  # Monday first, as datetime.weekday() counts
_RRULE_DAYS: Final = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)


class Frequency(StrEnum):
    DAILY = "daily"
    WEEKDAYS = "weekdays"  # Monday to Friday
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class RecurrenceError(ValueError):
    """A recurrence that cannot be: the message says what, for the person who set it."""


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`; RecurrenceError when there is none of that name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RecurrenceError(f"“{name[:60]}” is not a time zone leadmover knows (e.g. America/New_York).") from None


@dataclass(frozen=True)
class Recurrence:
    frequency: Frequency
    at: time  # the local time of day, to the minute
    timezone: str  # IANA name, e.g. "America/New_York"
    weekday: int | None = None  # weekly: 0 is Monday
    month_day: int | None = None  # monthly: 1 to 31; a month without that date runs on its last day

    def __post_init__(self) -> None:
        zone(self.timezone)
        if self.frequency == Frequency.WEEKLY and (self.weekday is None or not 0 <= self.weekday <= 6):
            raise RecurrenceError("A weekly schedule needs the day of the week it runs on.")
        if self.frequency == Frequency.MONTHLY and (self.month_day is None or not 1 <= self.month_day <= 31):
            raise RecurrenceError("A monthly schedule needs the date it runs on, from 1 to 31.")

    def _rule(self, start: datetime) -> rrule.rrule:
        def every(frequency: Literal[1, 2, 3], **narrowed: Any) -> rrule.rrule:
            hour, minute = self.at.hour, self.at.minute
            return rrule.rrule(frequency, dtstart=start, byhour=hour, byminute=minute, bysecond=0, **narrowed)

        if self.frequency == Frequency.DAILY:
            return every(rrule.DAILY)
        if self.frequency == Frequency.WEEKDAYS:
            return every(rrule.DAILY, byweekday=_RRULE_DAYS[:5])
        if self.frequency == Frequency.WEEKLY:
            assert self.weekday is not None
            return every(rrule.WEEKLY, byweekday=_RRULE_DAYS[self.weekday])
        assert self.month_day is not None
        if self.month_day <= 28:
            return every(rrule.MONTHLY, bymonthday=self.month_day)
        # The date itself where the month has it, else the month's last day: the first of the two that exists.
        return every(rrule.MONTHLY, bymonthday=(self.month_day, -1), bysetpos=1)

    def next_after(self, moment: datetime) -> datetime:
        """The first run strictly after `moment` (aware, or naive UTC as the database keeps it), in UTC."""
        local_zone = zone(self.timezone)
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        local = aware.astimezone(local_zone)
        # A day back, so that a run later on the local day before is not missed by a start at its midnight.
        start = datetime.combine(local.date() - timedelta(days=1), time(0), tzinfo=local_zone)
        for candidate in self._rule(start):
            if candidate.astimezone(UTC) > aware:
                return candidate.astimezone(UTC)
        raise RecurrenceError("This schedule never runs again.")  # an rrule without COUNT or UNTIL never ends

    def words(self) -> str:
        """How people say it: "every Monday at 09:00", "every weekday at 17:30", "on the 1st of every month at
        08:00"; the time zone is said apart (`zone_words`)."""
        at = f"at {self.at:%H:%M}"
        if self.frequency == Frequency.DAILY:
            return f"every day {at}"
        if self.frequency == Frequency.WEEKDAYS:
            return f"every weekday {at}"
        if self.frequency == Frequency.WEEKLY:
            assert self.weekday is not None
            return f"every {WEEKDAYS[self.weekday]} {at}"
        assert self.month_day is not None
        last = " (or the month's last day)" if self.month_day > 28 else ""
        return f"on the {ordinal(self.month_day)} of every month{last} {at}"

    def zone_words(self) -> str:
        return self.timezone.replace("_", " ")


def ordinal(number: int) -> str:
    suffix = "th" if 11 <= number % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"

"""The schedule modal's When section: how often, the day or the date, the time of day and the time zone, as blocks
that follow the move's fields; read back into a Recurrence, or into field errors keyed by block_id. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import time
from typing import Any, Final

from bot.recurrence import WEEKDAYS, Frequency, Recurrence, RecurrenceError, ordinal, zone
from bot.schedules import recurrence_of, when_of
from handlers import ids, more_filters
from handlers.blocks import input_block, option, plain_text
from handlers.entered import State, keep_entered
from storage.schedules import When

DEFAULT_ZONE: Final = "UTC"
DEFAULT_AT: Final = time(9, 0)
# The time zones offered besides the person's own (and the schedule's), west to east; Slack shows 100 at most.
_ZONE_NAMES: Final = """
    Pacific/Honolulu America/Anchorage America/Los_Angeles America/Vancouver America/Phoenix America/Denver
    America/Chicago America/Mexico_City America/New_York America/Toronto America/Bogota America/Lima
    America/Halifax America/Santiago America/St_Johns America/Sao_Paulo America/Argentina/Buenos_Aires
    Atlantic/Reykjavik UTC Europe/London Europe/Dublin Europe/Lisbon Africa/Lagos Europe/Paris Europe/Berlin
    Europe/Madrid Europe/Rome Europe/Amsterdam Europe/Brussels Europe/Zurich Europe/Vienna Europe/Prague
    Europe/Warsaw Europe/Stockholm Europe/Oslo Europe/Copenhagen Europe/Athens Europe/Helsinki Europe/Kyiv
    Europe/Istanbul Africa/Cairo Africa/Johannesburg Asia/Jerusalem Europe/Moscow Africa/Nairobi Asia/Dubai
    Asia/Karachi Asia/Kolkata Asia/Dhaka Asia/Bangkok Asia/Jakarta Asia/Singapore Asia/Manila Asia/Hong_Kong
    Asia/Shanghai Asia/Taipei Australia/Perth Asia/Seoul Asia/Tokyo Australia/Adelaide Australia/Brisbane
    Australia/Sydney Pacific/Auckland
"""
COMMON_ZONES: Final = tuple(_ZONE_NAMES.split())
_FREQUENCIES: Final = (
    (Frequency.DAILY, "Every day", None),
    (Frequency.WEEKDAYS, "Every weekday", "Monday to Friday"),
    (Frequency.WEEKLY, "Every week", "On the day of the week below"),
    (Frequency.MONTHLY, "Every month", "On the date below"),
)
MONTH_DAY_HINT: Final = "For every month. A month without that date runs on its last day: the 31st runs on 30 April."
_METADATA_KEY: Final = "schedule"
_AT: Final = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


@dataclass(frozen=True)
class Scheduling:
    """The move form in schedule mode: the person's own time zone (offered first, and preselected for a new
    schedule), the schedule it changes (None: it makes a new one) and the When it opens with (None: every weekday
    at 09:00 in their time zone)."""

    their_zone: str = DEFAULT_ZONE
    editing: int | None = None
    when: Recurrence | None = None


def known_zone(name: str | None) -> str:
    """`name` if it is a time zone leadmover knows, else UTC (Slack may name one this host's database lacks)."""
    if not name:
        return DEFAULT_ZONE
    try:
        zone(name)
    except RecurrenceError:
        return DEFAULT_ZONE
    return name


def zone_label(name: str, *, theirs: bool = False) -> str:
    return name.replace("_", " ") + (" (your time zone)" if theirs else "")


def zone_options(their_zone: str, *, also: str | None = None) -> list[dict[str, Any]]:
    """Their own zone first, then the one a schedule already has, then the common ones; each once."""
    names = list(dict.fromkeys((their_zone, *((also,) if also else ()), *COMMON_ZONES)))
    return [option(name, zone_label(name, theirs=name == their_zone)) for name in names]


def _select(placeholder: str, options: list[dict[str, Any]], initial: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "static_select", "placeholder": plain_text(placeholder), "options": options}
    chosen = [o for o in options if o["value"] == initial]
    if chosen:
        element["initial_option"] = chosen[0]
    return element


def blocks(scheduling: Scheduling, *, entered: State | None = None) -> list[dict[str, Any]]:
    """The When section: what `entered` holds (a view's state) where it holds something, else what the schedule
    opens with."""
    when = scheduling.when
    frequency = when.frequency if when is not None else Frequency.WEEKDAYS
    zone_name = when.timezone if when is not None else scheduling.their_zone
    often = [option(value.value, label, description) for value, label, description in _FREQUENCIES]
    days = [option(str(number), name) for number, name in enumerate(WEEKDAYS)]
    dates = [option(str(number), ordinal(number)) for number in range(1, 32)]
    made: list[dict[str, Any]] = [
        {"type": "divider"},
        {"type": "header", "text": plain_text("When")},
        input_block(
            ids.FREQUENCY,
            "How often",
            {"type": "radio_buttons", "options": often, "initial_option": often[list(Frequency).index(frequency)]},
        ),
        input_block(
            ids.WEEKDAY,
            "Day of the week",
            _select("Pick a day", days, None if when is None or when.weekday is None else str(when.weekday)),
            optional=True,
            hint="For every week.",
        ),
        input_block(
            ids.MONTH_DAY,
            "Date",
            _select("Pick a date", dates, None if when is None or when.month_day is None else str(when.month_day)),
            optional=True,
            hint=MONTH_DAY_HINT,
        ),
        input_block(
            ids.TIME_OF_DAY,
            "Time of day",
            {"type": "timepicker", "initial_time": f"{when.at if when is not None else DEFAULT_AT:%H:%M}"},
            hint="In the time zone below.",
        ),
        input_block(
            ids.TIMEZONE,
            "Time zone",
            _select("Pick a time zone", zone_options(scheduling.their_zone, also=zone_name), zone_name),
        ),
    ]
    for block in made:
        keep_entered(block, entered or {})
    picked = ((entered or {}).get(ids.TIME_OF_DAY) or {}).get(ids.TIME_OF_DAY) or {}
    if picked.get("selected_time"):  # keep_entered knows no timepicker
        timepicker = next(b for b in made if b.get("block_id") == ids.TIME_OF_DAY)
        timepicker["element"]["initial_time"] = str(picked["selected_time"])
    return made


def _chosen(values: Mapping[str, Any], block_id: str) -> str | None:
    element = (values.get(block_id) or {}).get(block_id) or {}
    if element.get("type") == "timepicker":
        picked = element.get("selected_time")
        return str(picked) if picked else None
    selected = element.get("selected_option") or {}
    value = selected.get("value") if isinstance(selected, dict) else None
    return str(value) if value else None


def _number(text: str | None, low: int, high: int) -> int | None:
    return int(text) if text is not None and text.isdigit() and low <= int(text) <= high else None


def parse(view: Mapping[str, Any]) -> Recurrence | dict[str, str]:
    """A Recurrence, or {block_id: message} for every field of the When section that is wrong."""
    values = (view.get("state") or {}).get("values") or {}
    errors: dict[str, str] = {}
    frequency = next((f for f in Frequency if f.value == _chosen(values, ids.FREQUENCY)), None)
    if frequency is None:
        errors[ids.FREQUENCY] = "Choose how often it runs."
    weekday = _number(_chosen(values, ids.WEEKDAY), 0, 6)
    if frequency == Frequency.WEEKLY and weekday is None:
        errors[ids.WEEKDAY] = "Pick the day of the week it runs on."
    month_day = _number(_chosen(values, ids.MONTH_DAY), 1, 31)
    if frequency == Frequency.MONTHLY and month_day is None:
        errors[ids.MONTH_DAY] = "Pick the date it runs on, from the 1st to the 31st."
    at = _AT.fullmatch(_chosen(values, ids.TIME_OF_DAY) or "")
    if at is None:
        errors[ids.TIME_OF_DAY] = "Pick the time of day it runs at."
    timezone = _chosen(values, ids.TIMEZONE) or ""
    try:
        zone(timezone)
    except RecurrenceError as exc:
        errors[ids.TIMEZONE] = str(exc) if timezone else "Pick the time zone it runs in."
    if errors or frequency is None or at is None:
        return errors
    try:
        return Recurrence(
            frequency,
            time(int(at.group(1)), int(at.group(2))),
            timezone,
            weekday if frequency == Frequency.WEEKLY else None,
            month_day if frequency == Frequency.MONTHLY else None,
        )
    except RecurrenceError as exc:
        return {ids.FREQUENCY: str(exc)}


# --- the mode, carried in the view's private_metadata ------------------------------------------------------------


def metadata(scheduling: Scheduling | None) -> dict[str, Any]:
    """What private_metadata keeps of the mode: nothing for a move, so a plain form's metadata is unchanged."""
    if scheduling is None:
        return {}
    kept: dict[str, Any] = {"tz": scheduling.their_zone}
    if scheduling.editing is not None:
        kept["edit"] = scheduling.editing
    if scheduling.when is not None:
        kept["when"] = asdict(when_of(scheduling.when))
    return {_METADATA_KEY: kept}


def scheduling_of(view: Mapping[str, Any]) -> Scheduling | None:
    """The schedule mode of a move modal (None: it moves now), as its private_metadata says."""
    kept = more_filters.metadata(view).get(_METADATA_KEY)
    if not isinstance(kept, dict):
        return None
    editing = kept.get("edit")
    when = None
    if isinstance(kept.get("when"), dict):
        try:
            when = recurrence_of(When(**kept["when"]))
        except (TypeError, ValueError):  # RecurrenceError is a ValueError
            when = None
    return Scheduling(
        their_zone=known_zone(kept.get("tz") if isinstance(kept.get("tz"), str) else None),
        editing=editing if isinstance(editing, int) and not isinstance(editing, bool) else None,
        when=when,
    )

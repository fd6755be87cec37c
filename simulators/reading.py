"""What a person's Slack client makes of names and dates (pure functions, no I/O): a mention drawn as the person's
name, a `<!date^…>` token as the date and time in the reader's own zone, as Slack's clients draw them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["Reader", "date_words", "for_reader", "read_as", "zone_named"]

_MENTION: Final = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")
_DATE: Final = re.compile(r"<!date\^(\d+)\^([^|>^]*)(?:\^[^|>]*)?\|([^<>]*)>")
_FORMAT_TOKEN: Final = re.compile(r"\{(\w+)\}")


def zone_named(name: str) -> tzinfo:
    """The zone of that name; UTC where this machine has no time zone database."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


@dataclass(frozen=True)
class Reader:
    """Who reads: the names their client knows by user id, their zone, and now (None: dates never read "Today")."""

    names: Mapping[str, str] = field(default_factory=dict)
    zone: tzinfo = UTC
    now: datetime | None = None


def _ago(then: datetime, now: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


def date_words(epoch: int, fmt: str, reader: Reader) -> str:
    """A `<!date>` token's format drawn for the reader: {date_short_pretty}, {date_short}, {date}, {date_long},
    {time}, {ago}; an unknown token stays as written."""
    when = datetime.fromtimestamp(epoch, reader.zone)
    now = reader.now.astimezone(reader.zone) if reader.now is not None else None
    short = f"{when:%b} {when.day}, {when.year}"

    def pretty() -> str:
        if now is not None and when.date() == now.date():
            return "Today"
        if now is not None and (now.date() - when.date()).days == 1:
            return "Yesterday"
        return short

    words: dict[str, Callable[[], str]] = {
        "date_short_pretty": pretty,
        "date_short": lambda: short,
        "date": lambda: f"{when:%B} {when.day}, {when.year}",
        "date_long": lambda: f"{when:%A}, {when:%B} {when.day}, {when.year}",
        "time": lambda: f"{when.hour % 12 or 12}:{when:%M} {'AM' if when.hour < 12 else 'PM'}",
        "ago": lambda: _ago(when, now) if now is not None else f"{short} at {when.hour % 12 or 12}:{when:%M}",
    }
    return _FORMAT_TOKEN.sub(lambda m: words[m.group(1)]() if m.group(1) in words else m.group(0), fmt)


def for_reader(text: str, reader: Reader) -> str:
    """Mrkdwn as this reader's client shows it: mentions labelled with names it knows, dates in their words."""
    text = _MENTION.sub(
        lambda m: f"<@{m.group(1)}|{reader.names[m.group(1)]}>" if m.group(1) in reader.names else m.group(0), text
    )
    return _DATE.sub(lambda m: date_words(int(m.group(1)), m.group(2), reader), text)


def read_as(value: Any, reader: Reader) -> Any:
    """Blocks (or any JSON) with every string as `for_reader` draws it."""
    if isinstance(value, str):
        return for_reader(value, reader)
    if isinstance(value, Mapping):
        return {key: read_as(item, reader) for key, item in value.items()}
    if isinstance(value, list):
        return [read_as(item, reader) for item in value]
    return value

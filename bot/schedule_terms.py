"""The terms schedules are spoken in, shared by the schedule service and the scheduler: a recurrence as stored and
back, the door's key of an occurrence, a moment as Slack shows it, a refusal in words (and which ones may pass), how
Slack is spoken to, and the audit entry of anything done to a schedule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any, Final, Protocol

from bot.door_terms import NAMES_UNKNOWN, Outcome, Refused, TooMany, waiting
from bot.recurrence import Frequency, Recurrence
from bot.slack.blocks.messages import slack_date
from storage import audit
from storage.automation_models import ScheduleState
from storage.db import Database
from storage.schedules import ScheduleRecord, When

# Why a schedule that was not approved does nothing, for the person who asks it to.
UNAPPROVED: Final = {
    ScheduleState.AWAITING_APPROVAL: "This schedule waits for an approver; it runs once it is approved.",
    ScheduleState.REJECTED: "This schedule was not approved, so it does not run. Change its move to ask again.",
}


def waiting_words(outcome: Outcome) -> str:
    """Why a run that may start later (bot.door_terms.ask_again_in) could not start yet, in words for its channel."""
    if isinstance(outcome, TooMany):
        return f"its owner has {waiting(outcome.limit)}, the most one person may have"
    if isinstance(outcome, Refused) and outcome.words == NAMES_UNKNOWN:
        return "Instantly did not confirm the names of its campaign and list in time"
    return "Slack could not confirm its owner's access just now"


class Speaker(Protocol):
    """How the scheduler speaks in Slack outside any job's thread (bot.slack.notices.Notices)."""

    def tell(self, team_id: str, where: str, text: str) -> None: ...

    def post(self, team_id: str, where: str, text: str, blocks: list[dict[str, Any]] | None = None) -> str | None: ...

    def replace(self, team_id: str, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None: ...


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


def naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment


def slack_time(moment: datetime) -> str:
    """A moment (aware, or naive UTC) as a Slack date token, which each reader's client shows in their own zone."""
    return slack_date(naive(moment))


@dataclass(frozen=True)
class Denied:
    """Not done: `words` say why, for the person who asked."""

    words: str


def record_audit(db: Database, schedule: ScheduleRecord, user_id: str, outcome: str) -> None:
    """One audit entry of something done to (or by) a schedule."""
    audit.record(
        db,
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

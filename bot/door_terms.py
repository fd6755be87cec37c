"""The terms of the door (bot.door): how a move is asked for, each outcome the door can give, and their words."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from bot.access import CANNOT_CHECK
from bot.moves import Requester
from storage.orders import MoveOrder
from storage.records import JobRecord

NOT_CONNECTED: Final = (
    "This workspace's Instantly connection was removed, so nothing can be moved. An admin can run /leads connect."
)
# A person's queued moves start seconds apart at best: asking again sooner only finds the queue full.
QUEUE_SECONDS: Final = 10.0
NAMES_UNKNOWN: Final = (
    "Instantly did not confirm the names of the campaign or list in time, so nothing was started. "
    "Please try again in a moment."
)


class Via(StrEnum):
    """How a move was asked for."""

    FORM = "form"
    CONFIRMATION = "confirmation"  # the form's confirmation of a move of every lead
    RUN_AGAIN = "run_again"  # the form, opened again from an earlier job
    MOVE_BACK = "move_back"
    APPROVAL = "approval"  # an approver released a move the door parked
    SCHEDULE = "schedule"
    WORKFLOW = "workflow"

    @property
    def attended(self) -> bool:
        """Someone waits for the answer within Slack's 3 s (a workflow's run is acknowledged after it)."""
        return self is not Via.SCHEDULE


@dataclass(frozen=True)
class MoveRequest:
    """One ask: the order, who asks and where the answer goes (`thread_ts`: a thread of the requester's channel, else
    a thread of its own), how it came, and the key under which a repeat of it is recognised."""

    order: MoveOrder
    requester: Requester
    via: Via
    key: str
    thread_ts: str | None = None
    via_name: str | None = None  # what the channel is told it came from, beside `via` (a workflow's name)
    # Approved before it was asked: a run of a schedule an approver approved when it was made. No one else sets it.
    approved_beforehand: bool = False


@dataclass(frozen=True)
class Refused:
    """The requester may not do this, or the order cannot be done: `words` say why, for that person; `about` names
    the place at fault ("source" or "destination"), when one is."""

    words: str
    about: str | None = None


@dataclass(frozen=True)
class NotConnected:
    """The workspace has no Instantly connection."""


@dataclass(frozen=True)
class TooMany:
    """The requester already has `limit` moves waiting for Instantly to start them; the next of them should start in
    about `retry_in` seconds."""

    limit: int
    retry_in: float = 60.0


@dataclass(frozen=True)
class AwaitingApproval:
    """Written down, waiting for an approver; the request is posted in `channel_id`."""

    jobs: tuple[JobRecord, ...]
    channel_id: str

    @property
    def record(self) -> JobRecord:
        return self.jobs[0]


@dataclass(frozen=True)
class Starting:
    """Written down and queued to start (a move sent in parts has a job per part); its first part should start in
    about `starts_in` seconds (0 when nothing waits ahead of it, or when this delivery did not queue it)."""

    jobs: tuple[JobRecord, ...]
    starts_in: float = 0.0

    @property
    def record(self) -> JobRecord:
        return self.jobs[0]


@dataclass(frozen=True)
class Repeat:
    """The key was seen before: nothing new was written or started; `first` is what the first ask came to."""

    first: AwaitingApproval | Starting

    @property
    def record(self) -> JobRecord:
        return self.first.record


Outcome = Refused | NotConnected | TooMany | AwaitingApproval | Starting | Repeat


def roughly(seconds: float) -> str:
    """A wait as people say it: "a few seconds", "about 40 seconds", "about a minute", "about 7 minutes"."""
    if seconds < 10:
        return "a few seconds"
    if seconds < 55:
        return f"about {round(seconds / 10) * 10} seconds"
    minutes = round(seconds / 60)
    return "about a minute" if minutes <= 1 else f"about {minutes} minutes"


def waiting(moves: int) -> str:
    """Moves waiting for Instantly to start them, counted: "1 move waiting for Instantly to start it"."""
    if moves == 1:
        return "1 move waiting for Instantly to start it"
    return f"{moves} moves waiting for Instantly to start them"


def too_many(limit: int, retry_in: float) -> str:
    """TooMany in words for the requester, with when to try again."""
    return (
        f"You have {waiting(limit)}, the most one person may have. Instantly is busy, so moves start in turns "
        f"across people. Try again in {roughly(max(retry_in, QUEUE_SECONDS))}, once the next of yours has started; "
        "the announcements in the channel show when."
    )


def ask_again_in(outcome: Outcome, *, otherwise: float) -> float | None:
    """How soon asking again may go otherwise, for a caller no one waits on (a schedule, a workflow): once the
    person's next queued move should have started (QUEUE_SECONDS at least), or `otherwise` when Instantly did not
    name the places in time or Slack could not confirm the person. None when asking again cannot help."""
    if isinstance(outcome, TooMany):
        return max(outcome.retry_in, QUEUE_SECONDS)
    if isinstance(outcome, Refused) and outcome.words in (NAMES_UNKNOWN, CANNOT_CHECK):
        return otherwise
    return None

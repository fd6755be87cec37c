"""Driving leadmover the way people do: `/leads move`, two picker searches and the modal's submission, on schedule,
and `/leads jobs` probes whose acks are timed. Each move's submission answer is sorted into what it came to (acked as
starting, asked to wait, refused, or failed before the app could say). Job `n` happens where `Driver.target(n)` says:
by default it is person n mod people's, in the one channel that person always works in, or anywhere in any workspace
(see bench/workspaces.py)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from enum import Enum
from typing import Any, NamedTuple, Protocol

from simulators.slack import FakeSlack

PICKER_QUERY = "bench"
# Block and action ids of the move modal (handlers/ids.py); spelled out so the bench imports nothing from handlers.
SOURCE_PICKER = "source"
DESTINATION_PICKER = "destination"
LIMIT_INPUT = "limit"
# Each job moves at most this many leads: with a limit the form starts the move at once, where a move of every lead
# would first ask its person to confirm (a step a bench of the job path has no use for).
MOVE_LIMIT = "50"
# How leadmover words "not now, later": a refusal with these words is a move asked to wait, not one that failed.
WAIT_WORDS = "try again in about"


class Outcome(Enum):
    """What one move's submission came to, as the person saw it."""

    STARTING = "acked as starting"  # the modal turned into "starting" (response_action update or push)
    ASKED_TO_WAIT = "asked to wait"  # refused with "Try again in about ..."
    REFUSED = "refused"  # refused for any other reason: it will not start
    FAILED = "failed"  # the driver never got an answer the app meant (HTTP error, no modal, empty picker, crash)


class Submission(NamedTuple):
    outcome: Outcome
    why: str = ""  # the app's words (refusals) or what went wrong (failures)


class Timeline(Protocol):
    """What the driver needs of a scenario."""

    @property
    def jobs(self) -> int: ...
    @property
    def spread(self) -> float: ...
    @property
    def starters(self) -> int: ...
    @property
    def probe_rate(self) -> float: ...


class Target(NamedTuple):
    """Where one action happens: a workspace (None: the fake's default one), a channel and a person."""

    team_id: str | None
    channel: str
    user: str


def wait_for_view(slack: FakeSlack, trigger: str, *, timeout: float = 5.0) -> dict[str, Any] | None:
    """The view the app opened with `trigger`, once it has (None if it never did within `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        view = slack.view_opened_by(trigger)
        if view is not None or time.monotonic() >= deadline:
            return view
        time.sleep(0.005)


def classify_submission(status: int, body: Any) -> Submission:
    """Sort the app's answer to the move modal's submission: its `response_action`, and for errors their words."""
    if status != 200:
        return Submission(Outcome.FAILED, f"submission answered {status}")
    action = body.get("response_action") if isinstance(body, dict) else None
    if action in ("update", "push"):
        return Submission(Outcome.STARTING)
    if action == "errors":
        errors = body.get("errors")
        words = [str(text) for text in errors.values()] if isinstance(errors, dict) else [str(errors)]
        text = " / ".join(words)
        waiting = any(WAIT_WORDS in word.casefold() for word in words)
        return Submission(Outcome.ASKED_TO_WAIT if waiting else Outcome.REFUSED, text)
    # A bare 200 closes the modal without a word: the person cannot tell whether anything started.
    return Submission(Outcome.FAILED, f"submission answered 200 with response_action {action!r}")


def move_through_modal(slack: FakeSlack, app_url: str, where: Target) -> Submission:
    """One move through the real path, and what its submission came to."""
    team, channel, user = where
    trigger = slack.issue_trigger_id(team_id=team)
    answer = slack.send_command(
        app_url, text="move", channel_id=channel, channel_name=channel.lower(), user_id=user, user_name=user.lower(),
        trigger_id=trigger, team_id=team,
    )  # fmt: skip
    if answer.status != 200:
        return Submission(Outcome.FAILED, f"/leads move answered {answer.status}")
    view = wait_for_view(slack, trigger)
    if view is None:
        return Submission(Outcome.FAILED, "the modal never opened")
    values: dict[str, Any] = {LIMIT_INPUT: MOVE_LIMIT}
    for action_id, prefix in ((SOURCE_PICKER, "campaign:"), (DESTINATION_PICKER, "list:")):
        loaded = slack.load_options(
            app_url, view_id=view["id"], action_id=action_id, value=PICKER_QUERY, user_id=user, team_id=team
        )
        body = loaded.json() if loaded.status == 200 else None
        groups = body.get("option_groups", []) if isinstance(body, dict) else []
        options = [o for g in groups for o in g["options"] if str(o["value"]).startswith(prefix)]
        if not options:
            return Submission(Outcome.FAILED, f"picker {action_id} offered nothing usable ({loaded.status})")
        values[action_id] = options[0]
    submitted = slack.submit_view(app_url, view_id=view["id"], values=values, user_id=user, team_id=team)
    try:
        body = submitted.json() if submitted.status == 200 else None
    except ValueError:
        return Submission(Outcome.FAILED, f"submission answered 200 with no JSON: {submitted.body[:120]!r}")
    return classify_submission(submitted.status, body)


class Driver:
    """Starts jobs through the real app path and probes acks; `target` and `probe_target` say where."""

    def __init__(self, scenario: Timeline, slack: FakeSlack, app_url: str, *, channels: list[str], users: list[str]):
        self.scenario = scenario
        self.slack = slack
        self.app_url = app_url
        self.failures: list[str] = []  # Outcome.FAILED, as "job n: why"
        self.moves: list[tuple[Target | None, Submission]] = []  # every move's outcome (no target: the driver crashed)
        self.lag_max = 0.0
        self.acks: list[tuple[int, float]] = []
        self._lock = threading.Lock()
        self._channels = channels
        self._users = users

    def target(self, number: int) -> Target:
        """Job `number` is made by person `number` mod people, who always works in the same channel."""
        person = number % len(self._users)
        return Target(None, self._channels[person % len(self._channels)], self._users[person])

    def probe_target(self, number: int) -> Target:
        return Target(None, self._channels[0], self._users[0])

    def _fail(self, number: int, why: str, where: Target | None = None) -> None:
        self._record(number, Submission(Outcome.FAILED, why), where)

    def _record(self, number: int, came_to: Submission, where: Target | None) -> None:
        with self._lock:
            self.moves.append((where, came_to))
            if came_to.outcome is Outcome.FAILED:
                self.failures.append(f"job {number}: {came_to.why}")

    def start_job(self, number: int) -> None:
        where = self.target(number)
        try:
            came_to = move_through_modal(self.slack, self.app_url, where)
        except Exception as exc:  # one move's crash is a failed move, not a lost one
            came_to = Submission(Outcome.FAILED, f"driver crashed: {exc!r}")
        self._record(number, came_to, where)

    def tally(self) -> Counter[Outcome]:
        """How many moves came to each outcome, in every workspace."""
        with self._lock:
            return Counter(came_to.outcome for _, came_to in self.moves)

    def tally_by_team(self) -> dict[str | None, Counter[Outcome]]:
        """`tally` per workspace (a crash before its move had a target counts nowhere)."""
        by_team: dict[str | None, Counter[Outcome]] = {}
        with self._lock:
            for where, came_to in self.moves:
                if where is not None:
                    by_team.setdefault(where.team_id, Counter())[came_to.outcome] += 1
        return by_team

    def will_not_start(self) -> int:
        """Moves that can never become an Instantly job: failed, refused, or asked to wait."""
        counts = self.tally()
        return counts[Outcome.FAILED] + counts[Outcome.REFUSED] + counts[Outcome.ASKED_TO_WAIT]

    def refusals(self) -> list[tuple[int, str]]:
        """The app's words for the moves it refused (other than asking to wait), commonest first, with counts."""
        with self._lock:
            words = Counter(came_to.why for _, came_to in self.moves if came_to.outcome is Outcome.REFUSED)
        return [(count, text) for text, count in words.most_common()]

    def run_starts(self, begin: float) -> None:
        """Start every job on schedule (evenly over the spread) on a pool of driver threads; wait for all."""
        jobs = self.scenario.jobs
        gap = self.scenario.spread / jobs if jobs else 0.0
        futures: list[Future[None]] = []
        with ThreadPoolExecutor(max_workers=self.scenario.starters, thread_name_prefix="bench-start") as pool:
            for number in range(jobs):
                due = begin + number * gap
                time.sleep(max(0.0, due - time.monotonic()))
                futures.append(pool.submit(self._timed_start, number, due))
            for future in futures:
                exc = future.exception()
                if exc is not None:
                    self._fail(-1, f"driver crashed: {exc!r}")

    def _timed_start(self, number: int, due: float) -> None:
        lag = time.monotonic() - due
        with self._lock:
            self.lag_max = max(self.lag_max, lag)
        self.start_job(number)

    def run_probes(self, until: Callable[[], bool]) -> None:
        """`/leads jobs` at a steady rate (a pool, so one slow answer does not delay the next probe)."""
        interval = 1.0 / self.scenario.probe_rate
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="bench-probe") as pool:
            next_at = time.monotonic()
            number = 0
            while not until():
                time.sleep(max(0.0, next_at - time.monotonic()))
                pool.submit(self._probe, self.probe_target(number))
                next_at += interval
                number += 1

    def _probe(self, where: Target) -> None:
        team, channel, user = where
        answer = self.slack.send_command(
            self.app_url, text="jobs", channel_id=channel, channel_name=channel.lower(), user_id=user,
            user_name=user.lower(), team_id=team,
        )  # fmt: skip
        with self._lock:
            self.acks.append((answer.status, answer.elapsed))

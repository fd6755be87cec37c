"""Driving leadmover the way people do: `/leads move`, two picker searches and the modal's submission, on schedule,
and `/leads jobs` probes whose acks are timed. Job `n` happens where `Driver.target(n)` says: one workspace's channels
and people by default, or any workspace's (see bench/workspaces.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
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


def move_through_modal(slack: FakeSlack, app_url: str, where: Target) -> str | None:
    """One move through the real path; None when it was submitted, else why not."""
    team, channel, user = where
    trigger = slack.issue_trigger_id(team_id=team)
    answer = slack.send_command(
        app_url, text="move", channel_id=channel, channel_name=channel.lower(), user_id=user, user_name=user.lower(),
        trigger_id=trigger, team_id=team,
    )  # fmt: skip
    if answer.status != 200:
        return f"/leads move answered {answer.status}"
    view = wait_for_view(slack, trigger)
    if view is None:
        return "the modal never opened"
    values: dict[str, Any] = {LIMIT_INPUT: MOVE_LIMIT}
    for action_id, prefix in ((SOURCE_PICKER, "campaign:"), (DESTINATION_PICKER, "list:")):
        loaded = slack.load_options(
            app_url, view_id=view["id"], action_id=action_id, value=PICKER_QUERY, user_id=user, team_id=team
        )
        body = loaded.json() if loaded.status == 200 else None
        groups = body.get("option_groups", []) if isinstance(body, dict) else []
        options = [o for g in groups for o in g["options"] if str(o["value"]).startswith(prefix)]
        if not options:
            return f"picker {action_id} offered nothing usable ({loaded.status})"
        values[action_id] = options[0]
    submitted = slack.submit_view(app_url, view_id=view["id"], values=values, user_id=user, team_id=team)
    if submitted.status != 200:
        return f"submission answered {submitted.status}"
    return None


class Driver:
    """Starts jobs through the real app path and probes acks; `target` and `probe_target` say where."""

    def __init__(self, scenario: Timeline, slack: FakeSlack, app_url: str, *, channels: list[str], users: list[str]):
        self.scenario = scenario
        self.slack = slack
        self.app_url = app_url
        self.failures: list[str] = []
        self.failed_targets: list[Target] = []
        self.lag_max = 0.0
        self.acks: list[tuple[int, float]] = []
        self._lock = threading.Lock()
        self._channels = channels
        self._users = users

    def target(self, number: int) -> Target:
        """Job `number` rotates over the default workspace's channels and people."""
        return Target(None, self._channels[number % len(self._channels)], self._users[number % len(self._users)])

    def probe_target(self, number: int) -> Target:
        return Target(None, self._channels[0], self._users[0])

    def _fail(self, number: int, why: str, where: Target | None = None) -> None:
        with self._lock:
            self.failures.append(f"job {number}: {why}")
            if where is not None:
                self.failed_targets.append(where)

    def start_job(self, number: int) -> None:
        where = self.target(number)
        why = move_through_modal(self.slack, self.app_url, where)
        if why is not None:
            self._fail(number, why, where)

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

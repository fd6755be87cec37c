"""The Instantly request budget: exact windows, people before polling, and a 429 halves it for a while; in memory
(RequestBudget) and shared by replicas through the database (SharedBudget, on SQLite and PostgreSQL)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.instantly.budget import Budget, Priority, RequestBudget, SharedBudget, Slot
from storage import grants
from storage.db import Database


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def time_() -> FakeTime:
    return FakeTime()


def _use(budget: Budget, *, priority: Priority, timeout: float | None = None) -> bool:
    """A request that is answered at once."""
    slot = budget.acquire(priority=priority, timeout=timeout)
    if slot is not None:
        budget.release(slot)
    return slot is not None


def _budget(time_: FakeTime, percent: float = 10) -> RequestBudget:
    return RequestBudget(percent=percent, clock=time_.clock, sleep=time_.sleep)


def test_ten_percent_is_ten_a_second_and_six_hundred_a_minute(time_: FakeTime) -> None:
    assert _budget(time_).limits == [(1.0, 10), (60.0, 600)]


def test_no_window_ever_holds_more_than_its_share(time_: FakeTime) -> None:
    budget = _budget(time_)
    stamps: list[float] = []
    for turn in range(1500):
        priority = Priority.INTERACTIVE if turn % 2 else Priority.BACKGROUND
        assert _use(budget, priority=priority)
        stamps.append(time_.now)
    for i, start in enumerate(stamps):
        assert sum(1 for t in stamps[i : i + 20] if t < start + 1.0) <= 10
        assert sum(1 for t in stamps[i : i + 700] if t < start + 60.0) <= 600
    assert budget.peak_per_second == 10
    assert 500 <= budget.peak_per_minute <= 600


def test_polling_leaves_a_reserve_for_people(time_: FakeTime) -> None:
    budget = _budget(time_)
    background = 0
    while _use(budget, priority=Priority.BACKGROUND, timeout=0):
        background += 1
    assert background == 8
    assert _use(budget, priority=Priority.INTERACTIVE, timeout=0)
    assert _use(budget, priority=Priority.INTERACTIVE, timeout=0)
    assert not _use(budget, priority=Priority.INTERACTIVE, timeout=0)


def test_people_leave_a_reserve_for_polling(time_: FakeTime) -> None:
    """A rush of new moves must not starve the polling that reports on them."""
    budget = _budget(time_)
    interactive = 0
    while _use(budget, priority=Priority.INTERACTIVE, timeout=0):
        interactive += 1
    assert interactive == 9
    assert _use(budget, priority=Priority.BACKGROUND, timeout=0)
    assert not _use(budget, priority=Priority.BACKGROUND, timeout=0)


def test_queued_moves_and_polling_together_leave_a_reserve_for_people(time_: FakeTime) -> None:
    budget = _budget(time_)
    queued = 0
    while _use(budget, priority=Priority.QUEUED, timeout=0):
        queued += 1
    polls = 0
    while _use(budget, priority=Priority.BACKGROUND, timeout=0):
        polls += 1

    assert (queued, polls) == (7, 2), "queued moves leave polling its room, and both leave room for people"
    assert _use(budget, priority=Priority.INTERACTIVE, timeout=0)


def test_under_a_steady_rush_of_people_polling_still_gets_its_share(time_: FakeTime) -> None:
    budget = _budget(time_)
    polls = 0
    for _ in range(600):  # a minute of people asking 20 times a second, and the poller asking in between
        for _ in range(2):
            _use(budget, priority=Priority.INTERACTIVE, timeout=0)
        if _use(budget, priority=Priority.BACKGROUND, timeout=0):
            polls += 1
        time_.now += 0.1
    assert polls >= 50


def test_a_429_halves_the_budget_for_a_while(time_: FakeTime) -> None:
    budget = _budget(time_)
    budget.slow_down(seconds=60)
    assert budget.limits == [(1.0, 5), (60.0, 300)]
    time_.now += 61
    assert budget.limits == [(1.0, 10), (60.0, 600)]


def test_a_full_budget_times_out_instead_of_sending(time_: FakeTime) -> None:
    budget = _budget(time_, percent=1)
    assert _use(budget, priority=Priority.INTERACTIVE, timeout=0)
    assert not _use(budget, priority=Priority.INTERACTIVE, timeout=0.5)
    assert _use(budget, priority=Priority.INTERACTIVE, timeout=2)


def test_a_request_counts_until_it_ends_so_late_arrivals_cannot_crowd_a_window(time_: FakeTime) -> None:
    """Requests granted on time may reach Instantly late; however late, no window may see more than the limit."""
    budget = _budget(time_)
    spans: list[tuple[float, float]] = []
    in_flight: list[tuple[float, Slot]] = []
    for turn in range(400):
        for ends_at, slot in [item for item in in_flight if item[0] <= time_.now]:
            budget.release(slot)
            in_flight.remove((ends_at, slot))
        slot = budget.acquire(priority=Priority.BACKGROUND if turn % 3 else Priority.INTERACTIVE, timeout=0)
        if slot is not None:
            duration = 0.05 + (turn % 7) * 0.15  # some answers take most of a second
            in_flight.append((time_.now + duration, slot))
            spans.append((time_.now, time_.now + duration))
        time_.now += 0.02
    for start, _ in spans:
        # Any arrival inside [start, start + 1] belongs to a request whose span touches that second.
        touching = sum(1 for s, e in spans if s <= start + 1 and e >= start)
        assert touching <= 10


# --- SharedBudget: one budget per Instantly workspace, kept in the database and spent by every replica ------------


def _shared(db: Database, time_: FakeTime, *, key: str = "workspace:w-1", percent: float = 10) -> SharedBudget:
    return SharedBudget(db=db, key=key, percent=percent, clock=time_.clock, sleep=time_.sleep)


def _burst(budget: SharedBudget, *, priority: Priority = Priority.INTERACTIVE) -> int:
    """How many requests, each answered at once, the budget grants without waiting."""
    count = 0
    while _use(budget, priority=priority, timeout=0):
        count += 1
    return count


def _most_in_any_window(stamps: list[float], window: float) -> int:
    stamps = sorted(stamps)
    return max(sum(1 for t in stamps[i:] if t < start + window) for i, start in enumerate(stamps))


def _two_replicas_spend(replicas: list[SharedBudget], time_: FakeTime, requests: int) -> dict[str, list[float]]:
    """The replicas take turns asking for a request (waiting as long as it takes); when each was granted."""
    stamps: dict[str, list[float]] = {"a": [], "b": []}
    for turn in range(requests):
        name, budget = ("a", replicas[0]) if turn % 2 else ("b", replicas[1])
        priority = Priority.INTERACTIVE if turn % 3 else Priority.BACKGROUND
        assert _use(budget, priority=priority)
        stamps[name].append(time_.now)
    return stamps


def test_two_replicas_together_never_exceed_the_per_second_share(db: Database, time_: FakeTime) -> None:
    stamps = _two_replicas_spend([_shared(db, time_), _shared(db, time_)], time_, 100)

    together = stamps["a"] + stamps["b"]
    assert _most_in_any_window(together, 1.0) == 10
    assert time_.now - 1000.0 < 12, "the share was used, not wasted: 100 requests in about 10 seconds"


def test_two_replicas_together_never_exceed_the_per_minute_share(db: Database, time_: FakeTime) -> None:
    """Half a percent is 1 a second but only 30 a minute, so the minute window is the one that binds."""
    replicas = [_shared(db, time_, percent=0.5), _shared(db, time_, percent=0.5)]
    stamps = _two_replicas_spend(replicas, time_, 40)

    together = stamps["a"] + stamps["b"]
    assert _most_in_any_window(together, 60.0) == 30
    assert _most_in_any_window(together, 1.0) == 1


def test_a_request_counts_for_every_replica_until_it_ends(db: Database, time_: FakeTime) -> None:
    a, b = _shared(db, time_, percent=1), _shared(db, time_, percent=1)
    slot = a.acquire(priority=Priority.INTERACTIVE, timeout=0)
    assert slot is not None
    time_.now += 0.5
    a.release(slot)

    time_.now += 0.7  # 1.2 s after it was granted, but only 0.7 s after it ended
    assert not _use(b, priority=Priority.INTERACTIVE, timeout=0)
    time_.now += 0.4
    assert _use(b, priority=Priority.INTERACTIVE, timeout=0)


def test_budgets_of_different_instantly_workspaces_are_independent(db: Database, time_: FakeTime) -> None:
    assert _burst(_shared(db, time_, key="workspace:w-1")) == 9
    assert _burst(_shared(db, time_, key="workspace:w-2")) == 9, "w-1's spending leaves w-2's budget whole"
    assert _burst(_shared(db, time_, key="workspace:w-1")) == 0, "but w-1's is spent, whichever replica asks"


def test_a_slowdown_by_one_replica_halves_what_the_other_gets_until_it_expires(db: Database, time_: FakeTime) -> None:
    a, b = _shared(db, time_), _shared(db, time_)
    a.slow_down(seconds=60)

    assert _burst(b) == 4, "90% of half of ten a second"
    time_.now += 30
    assert _burst(b) == 4, "still slowed"
    time_.now += 31
    assert _burst(b) == 9, "the slowdown is over"


def test_a_grant_its_process_never_ended_stops_counting_once_abandoned(db: Database, time_: FakeTime) -> None:
    dead, alive = _shared(db, time_, percent=1), _shared(db, time_, percent=1)
    assert dead.acquire(priority=Priority.INTERACTIVE, timeout=0) is not None  # and never released

    time_.now += grants.ABANDONED_SECONDS - 1
    assert not _use(alive, priority=Priority.INTERACTIVE, timeout=0), "in flight, it holds its place"
    time_.now += 2
    assert _use(alive, priority=Priority.INTERACTIVE, timeout=0)


def test_shared_polling_leaves_a_reserve_for_people(db: Database, time_: FakeTime) -> None:
    a, b = _shared(db, time_), _shared(db, time_)
    background = 0
    while True:
        granted = [_use(replica, priority=Priority.BACKGROUND, timeout=0) for replica in (a, b)]
        background += sum(granted)
        if not any(granted):
            break
    assert background == 8, "at most 80% of the window, across both replicas"
    assert _burst(a) + _burst(b) == 2, "the rest is for people"


def test_a_full_shared_budget_times_out_instead_of_sending(db: Database, time_: FakeTime) -> None:
    a, b = _shared(db, time_, percent=1), _shared(db, time_, percent=1)
    assert _use(a, priority=Priority.INTERACTIVE, timeout=0)
    assert not _use(b, priority=Priority.INTERACTIVE, timeout=0.5)
    assert _use(b, priority=Priority.INTERACTIVE, timeout=2)


def test_threads_of_one_process_ask_the_shared_ledger_one_at_a_time(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Waiting threads take turns: while one waits for room, the others wait for it, not for the ledger."""
    asked: list[float] = []
    take = grants.take

    def counted(*args: object, **kwargs: object) -> tuple[int | None, float]:
        asked.append(time.monotonic())
        return take(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(grants, "take", counted)
    budget = SharedBudget(db=db, key="workspace:w-1", percent=1)  # one request a second
    with ThreadPoolExecutor(max_workers=6) as pool:
        granted = list(pool.map(lambda _: _use(budget, priority=Priority.BACKGROUND, timeout=1.5), range(6)))

    assert sum(granted) == 2, "one at once and one a second later"
    assert len(asked) <= 10, f"{len(asked)} asks: without turns six threads ask four times a second each"

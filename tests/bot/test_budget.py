"""The Instantly request budget: exact windows, people before polling, and a 429 halves it for a while."""

from __future__ import annotations

import pytest

from bot.budget import Priority, RequestBudget, Slot


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


def _use(budget: RequestBudget, *, priority: Priority, timeout: float | None = None) -> bool:
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

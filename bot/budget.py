"""A request budget for one Instantly workspace: never more than a share of Instantly's limits, people first.

Instantly allows 100 requests a second and 6,000 a minute per workspace, shared with everything else the customer
runs. The budget keeps exact sliding windows, so no one-second or one-minute window ever holds more than its share.
People go first: polling may fill at most 80% of a window, so pickers and new moves always find room. Yet people
may fill at most 90%, so a rush of new moves never starves the polling that reports on them. A 429 halves the
budget for a while.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

INSTANTLY_PER_SECOND: Final = 100
INSTANTLY_PER_MINUTE: Final = 6000


class Priority(StrEnum):
    INTERACTIVE = "interactive"
    BACKGROUND = "background"


# The most of each window that one kind of work may fill.
SHARES: Final[dict[Priority, float]] = {Priority.INTERACTIVE: 0.9, Priority.BACKGROUND: 0.8}


@dataclass
class Slot:
    """One request's place in the budget: it counts from when it was granted until it ended."""

    priority: Priority
    start: float
    end: float | None = None


class RequestBudget:
    """Counts a request in every window its [granted, ended] span touches. However late a granted request is
    sent, or however long it takes, Instantly never sees more than the limit arrive within one window."""

    def __init__(
        self,
        *,
        percent: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # (window seconds, most requests in it)
        self._limits = [
            (1.0, max(1, int(INSTANTLY_PER_SECOND * percent / 100))),
            (60.0, max(1, int(INSTANTLY_PER_MINUTE * percent / 100))),
        ]
        self._clock = clock
        self._sleep = sleep
        self._slots: deque[Slot] = deque()
        self._factor = 1.0
        self._factor_until = 0.0
        self._lock = threading.Lock()
        self.granted = 0
        self.peak_per_second = 0
        self.peak_per_minute = 0

    @property
    def limits(self) -> list[tuple[float, int]]:
        """The windows in force now, a 429's slowdown included."""
        with self._lock:
            return self._current_limits(self._clock())

    def _current_limits(self, now: float) -> list[tuple[float, int]]:
        if self._factor_until and now >= self._factor_until:
            self._factor, self._factor_until = 1.0, 0.0
        return [(window, max(1, int(limit * self._factor))) for window, limit in self._limits]

    def _in_window(self, now: float, window: float, priority: Priority | None = None) -> list[Slot]:
        return [
            slot
            for slot in self._slots
            if (slot.end is None or slot.end > now - window) and (priority is None or slot.priority is priority)
        ]

    def _wait_needed(self, now: float, priority: Priority) -> float:
        """0 if a request may go now, else how long until one might."""
        while self._slots and self._slots[0].end is not None and self._slots[0].end <= now - 60.0:
            self._slots.popleft()
        wait = 0.0
        for window, limit in self._current_limits(now):
            mine_allowed = max(1, int(limit * SHARES[priority]))
            for slots, allowed in (
                (self._in_window(now, window), limit),
                (self._in_window(now, window, priority), mine_allowed),
            ):
                excess = len(slots) - allowed
                if excess < 0:
                    continue
                ends = sorted(slot.end for slot in slots if slot.end is not None)
                # The window frees up as ended requests leave it; requests still in flight hold their place.
                wait = max(wait, ends[excess] + window - now + 1e-3 if excess < len(ends) else 0.05)
        return wait

    def acquire(self, *, priority: Priority, timeout: float | None = None) -> Slot | None:
        """Wait for room for one request; None if none came within `timeout` seconds. Release the slot after."""
        deadline = None if timeout is None else self._clock() + timeout
        while True:
            with self._lock:
                now = self._clock()
                wait = self._wait_needed(now, priority)
                if wait == 0.0:
                    slot = Slot(priority=priority, start=now)
                    self._slots.append(slot)
                    self.granted += 1
                    self.peak_per_second = max(self.peak_per_second, len(self._in_window(now, 1.0)))
                    self.peak_per_minute = max(self.peak_per_minute, len(self._in_window(now, 60.0)))
                    return slot
            if deadline is not None and self._clock() + wait > deadline:
                return None
            self._sleep(min(wait, 0.25))

    def release(self, slot: Slot) -> None:
        """The request is over (answered or failed)."""
        with self._lock:
            slot.end = self._clock()

    def slow_down(self, *, seconds: float = 60.0) -> None:
        """Instantly answered 429: the customer's other tools are busy too, so take half for a while."""
        with self._lock:
            self._factor = 0.5
            self._factor_until = self._clock() + seconds

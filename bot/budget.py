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
from enum import Enum
from typing import Final

INSTANTLY_PER_SECOND: Final = 100
INSTANTLY_PER_MINUTE: Final = 6000
# The most of each window that one kind of work may fill.
SHARES: Final = {"interactive": 0.9, "background": 0.8}


class Priority(Enum):
    INTERACTIVE = "interactive"
    BACKGROUND = "background"


class RequestBudget:
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
        self._sent: deque[tuple[float, Priority]] = deque()
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

    def _wait_needed(self, now: float, priority: Priority) -> float:
        """0 if a request may go now, else how long until one might."""
        while self._sent and self._sent[0][0] <= now - 60.0:
            self._sent.popleft()
        wait = 0.0
        for window, limit in self._current_limits(now):
            everyone = [t for t, _ in self._sent if t > now - window]
            mine = [t for t, p in self._sent if t > now - window and p is priority]
            for stamps, allowed in ((everyone, limit), (mine, max(1, int(limit * SHARES[priority.value])))):
                if len(stamps) >= allowed:
                    # The request that must leave the window before another may enter.
                    wait = max(wait, stamps[len(stamps) - allowed] + window - now + 1e-3)
        return wait

    def acquire(self, *, priority: Priority, timeout: float | None = None) -> bool:
        """Wait for room for one request; False if none came within `timeout` seconds."""
        deadline = None if timeout is None else self._clock() + timeout
        while True:
            with self._lock:
                now = self._clock()
                wait = self._wait_needed(now, priority)
                if wait == 0.0:
                    self._sent.append((now, priority))
                    self.granted += 1
                    self.peak_per_second = max(self.peak_per_second, sum(1 for t, _ in self._sent if t > now - 1.0))
                    self.peak_per_minute = max(self.peak_per_minute, len(self._sent))
                    return True
            if deadline is not None and self._clock() + wait > deadline:
                return False
            self._sleep(min(wait, 0.25))

    def slow_down(self, *, seconds: float = 60.0) -> None:
        """Instantly answered 429: the customer's other tools are busy too, so take half for a while."""
        with self._lock:
            self._factor = 0.5
            self._factor_until = self._clock() + seconds

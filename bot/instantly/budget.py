"""A request budget for one Instantly workspace: never more than a share of Instantly's limits, people first.

Instantly allows 100 requests a second and 6,000 a minute per workspace, shared with everything else the customer
runs. The budget keeps exact sliding windows, so no one-second or one-minute window ever holds more than its share.
People go first: the work no one waits for at a screen (polling and queued moves) may fill at most 90% of a window
together, so pickers always find room. Queued moves alone may fill at most 70%, so a rush of moves leaves polling
at least 20%, to tell people soon how their moves ended. People may fill at most 90%, so a rush of new moves never
starves that polling either. Each kind of work asks in turn within a process, so a person's picker never waits
behind the queue of moves. A 429 halves the budget for a while.

RequestBudget counts one process's requests in memory. SharedBudget counts them in the database (storage.grants),
so every replica serving an Instantly workspace spends from the one budget of that workspace.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Protocol

from storage import grants
from storage.db import Database

INSTANTLY_PER_SECOND: Final = 100
INSTANTLY_PER_MINUTE: Final = 6000


class Priority(StrEnum):
    INTERACTIVE = "interactive"  # someone is looking at a screen for the answer: a picker, a preview, a button
    QUEUED = "queued"  # a move its person was told is queued (bot.starts): it may wait its turn
    BACKGROUND = "background"  # polling and other upkeep
    DISCOVERY = "discovery"  # listing a watched workspace's jobs (bot.watching): a few requests a round


# The most of each window that one kind of work may fill.
SHARES: Final[dict[Priority, float]] = {
    Priority.INTERACTIVE: 0.9,
    Priority.QUEUED: 0.7,
    Priority.BACKGROUND: 0.8,
    Priority.DISCOVERY: 0.3,
}
# The most of each window that the work no one waits for at a screen may fill together.
UNATTENDED: Final[frozenset[Priority]] = frozenset({Priority.QUEUED, Priority.BACKGROUND, Priority.DISCOVERY})
UNATTENDED_SHARE: Final = 0.9


class Spent(Protocol):
    """A request as a budget counts it: granted at `start`, over at `end` (None while in flight)."""

    @property
    def priority(self) -> str: ...
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float | None: ...


@dataclass
class Slot:
    """One request's place in the budget: it counts from when it was granted until it ended."""

    priority: Priority
    start: float
    end: float | None = None
    grant_id: int | None = None  # its row in the shared ledger


@dataclass(frozen=True)
class _Granted:
    priority: str
    start: float
    end: float | None


def share_limits(percent: float) -> list[tuple[float, int]]:
    """(window seconds, most requests in it) for `percent` of Instantly's limits."""
    return [
        (1.0, max(1, int(INSTANTLY_PER_SECOND * percent / 100))),
        (60.0, max(1, int(INSTANTLY_PER_MINUTE * percent / 100))),
    ]


def slowed(limits: list[tuple[float, int]], factor: float) -> list[tuple[float, int]]:
    return [(window, max(1, int(limit * factor))) for window, limit in limits]


def in_window(
    spent: Iterable[Spent], now: float, window: float, priorities: Collection[str] | None = None
) -> list[Spent]:
    return [
        slot
        for slot in spent
        if (slot.end is None or slot.end > now - window) and (priorities is None or slot.priority in priorities)
    ]


def wait_for_room(spent: Sequence[Spent], *, now: float, limits: list[tuple[float, int]], priority: Priority) -> float:
    """0 if a request of `priority` may go now, else how long until one might.

    A request counts in every window its [granted, ended] span touches: however late a granted request is sent, or
    however long it takes, Instantly never sees more than the limit arrive within one window.
    """
    wait = 0.0
    for window, limit in limits:
        shares: list[tuple[Collection[Priority] | None, float]] = [(None, 1.0), ({priority}, SHARES[priority])]
        if priority in UNATTENDED:
            shares.append((UNATTENDED, UNATTENDED_SHARE))
        for kinds, share in shares:
            slots = in_window(spent, now, window, kinds)
            allowed = limit if kinds is None else max(1, int(limit * share))
            excess = len(slots) - allowed
            if excess < 0:
                continue
            ends = sorted(slot.end for slot in slots if slot.end is not None)
            # The window frees up as ended requests leave it; requests still in flight hold their place.
            wait = max(wait, ends[excess] + window - now + 1e-3 if excess < len(ends) else 0.05)
    return wait


class Budget(Protocol):
    """What InstantlyClient asks of a budget."""

    def acquire(self, *, priority: Priority, timeout: float | None = None) -> Slot | None: ...
    def release(self, slot: Slot) -> None: ...
    def slow_down(self, *, seconds: float = 60.0) -> None: ...


class RequestBudget:
    """One process's budget, kept in memory."""

    def __init__(
        self,
        *,
        percent: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._limits = share_limits(percent)
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
        return slowed(self._limits, self._factor)

    def acquire(self, *, priority: Priority, timeout: float | None = None) -> Slot | None:
        """Wait for room for one request; None if none came within `timeout` seconds. Release the slot after."""
        deadline = None if timeout is None else self._clock() + timeout
        while True:
            with self._lock:
                now = self._clock()
                while self._slots and self._slots[0].end is not None and self._slots[0].end <= now - 60.0:
                    self._slots.popleft()
                wait = wait_for_room(list(self._slots), now=now, limits=self._current_limits(now), priority=priority)
                if wait == 0.0:
                    slot = Slot(priority=priority, start=now)
                    self._slots.append(slot)
                    self.granted += 1
                    self.peak_per_second = max(self.peak_per_second, len(in_window(self._slots, now, 1.0)))
                    self.peak_per_minute = max(self.peak_per_minute, len(in_window(self._slots, now, 60.0)))
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


class SharedBudget:
    """The budget of one Instantly workspace, kept in the database and spent by every replica that serves it.

    Replicas must agree on the time: `clock` is seconds since the epoch, which NTP keeps within milliseconds.
    """

    def __init__(
        self,
        *,
        db: Database,
        key: str,
        percent: float,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._db = db
        self.key = key
        self._limits = share_limits(percent)
        self._clock = clock
        self._sleep = sleep
        self._turns = {priority: threading.Lock() for priority in Priority}
        # This process's own grants of the last minute: a part of the ledger, so where they leave no room, the
        # ledger leaves none either, and the wait they give is never longer than the ledger's.
        self._mine: deque[Slot] = deque()
        self._mine_lock = threading.Lock()
        self._factor = 1.0
        self._factor_until = 0.0
        self.granted = 0

    def acquire(self, *, priority: Priority, timeout: float | None = None) -> Slot | None:
        """Wait for room for one request; None if none came within `timeout` seconds.

        Within one process, one thread at a time of each priority asks the ledger; the others wait their turn here.
        Asking is a write transaction that reads the whole minute's grants: a crowd of threads asking every few
        hundred milliseconds would spend more on asking than the requests cost. And while this process's own
        grants already fill a window, the ledger is not asked at all.
        """
        deadline = None if timeout is None else self._clock() + timeout
        turn = self._turns[priority]
        if not turn.acquire(timeout=-1 if deadline is None else max(0.0, deadline - self._clock())):
            return None
        try:
            return self._ask(priority=priority, deadline=deadline)
        finally:
            turn.release()

    def _ask(self, *, priority: Priority, deadline: float | None) -> Slot | None:
        while True:
            now = self._clock()
            wait = self._own_wait(priority, now)
            if wait == 0.0:

                def wait_needed(standing: grants.Standing, now: float = now) -> float:
                    factor = standing.factor if standing.factor_until > now else 1.0
                    self._factor, self._factor_until = standing.factor, standing.factor_until
                    spent = [_Granted(g.priority, g.started, g.ended) for g in standing.grants]
                    return wait_for_room(spent, now=now, limits=slowed(self._limits, factor), priority=priority)

                grant_id, wait = grants.take(
                    self._db, key=self.key, priority=priority, now=now, wait_needed=wait_needed
                )
                if grant_id is not None:
                    self.granted += 1
                    slot = Slot(priority=priority, start=now, grant_id=grant_id)
                    with self._mine_lock:
                        self._mine.append(slot)
                    return slot
            if deadline is not None and self._clock() + wait > deadline:
                return None
            # The wait is exact for the ledger as read (grants are only ever added): no need to ask again sooner.
            self._sleep(min(wait, 1.0))

    def _own_wait(self, priority: Priority, now: float) -> float:
        """How long this process's own grants alone say to wait (0: ask the ledger)."""
        with self._mine_lock:
            while self._mine and self._mine[0].end is not None and self._mine[0].end <= now - 60.0:
                self._mine.popleft()
            factor = self._factor if self._factor_until > now else 1.0
            return wait_for_room(list(self._mine), now=now, limits=slowed(self._limits, factor), priority=priority)

    def release(self, slot: Slot) -> None:
        now = self._clock()
        with self._mine_lock:
            slot.end = now
        if slot.grant_id is not None:
            grants.end(self._db, grant_id=slot.grant_id, now=now)

    def slow_down(self, *, seconds: float = 60.0) -> None:
        grants.slow_down(self._db, key=self.key, factor=0.5, until=self._clock() + seconds)

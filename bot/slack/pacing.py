"""Rate limiting in one process: token buckets that can be slowed down for a while, and per-key spacing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """`rate` tokens a second, at most `capacity` saved up. In any window of T seconds it grants at most
    capacity + rate * T, which is how the limits below are kept with room to spare.
    """

    def __init__(self, *, rate: float, capacity: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._base_rate = rate
        self._rate = rate
        self._capacity = capacity
        self._tokens = capacity
        self._clock = clock
        self._updated = clock()
        self._slow_until = 0.0
        self._lock = threading.Lock()

    def _refill(self, now: float) -> None:
        if self._slow_until and now >= self._slow_until:
            self._rate, self._slow_until = self._base_rate, 0.0
        self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
        self._updated = now

    def try_take(self, tokens: float = 1.0, *, keep: float = 0.0) -> bool:
        """Take `tokens` if that leaves at least `keep` behind (a reserve for more urgent callers)."""
        with self._lock:
            self._refill(self._clock())
            if self._tokens - tokens >= keep - 1e-9:
                self._tokens -= tokens
                return True
            return False

    def available(self) -> int:
        """How many whole tokens could be taken now."""
        with self._lock:
            self._refill(self._clock())
            return int(self._tokens + 1e-9)

    def within(self, seconds: float) -> float:
        """How many tokens could be taken from now until `seconds` from now, at the rate in force."""
        with self._lock:
            self._refill(self._clock())
            return self._tokens + self._rate * seconds

    def wait_time(self, tokens: float = 1.0, *, keep: float = 0.0) -> float:
        """Seconds until try_take(tokens, keep=keep) could succeed."""
        with self._lock:
            self._refill(self._clock())
            missing = tokens + keep - self._tokens
            return max(0.0, missing / self._rate) if missing > 0 else 0.0

    def slow_down(self, *, factor: float, seconds: float, drain: bool = True) -> None:
        """Run at rate * factor for `seconds` (a 429 or `ratelimited` says we were too fast)."""
        with self._lock:
            now = self._clock()
            self._refill(now)
            self._rate = self._base_rate * factor
            self._slow_until = now + seconds
            if drain:
                self._tokens = 0.0

    @property
    def rate(self) -> float:
        with self._lock:
            self._refill(self._clock())
            return self._rate


class Spacing:
    """At most one event per key every `interval` seconds (Slack: about one post a second per channel)."""

    def __init__(self, *, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval
        self._clock = clock
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def try_take(self, key: str) -> bool:
        with self._lock:
            now = self._clock()
            if self._next.get(key, 0.0) > now:
                return False
            self._next[key] = now + self._interval
            if len(self._next) > 10_000:
                self._next = {k: t for k, t in self._next.items() if t > now}
            return True

    def hold(self, key: str, seconds: float) -> None:
        """Keep `key` closed for `seconds` (Slack asked us to wait)."""
        with self._lock:
            self._next[key] = max(self._next.get(key, 0.0), self._clock() + seconds)

    def busy(self) -> set[str]:
        """The keys that cannot be taken right now."""
        with self._lock:
            now = self._clock()
            return {key for key, at in self._next.items() if at > now}

    def wait_time(self, key: str) -> float:
        with self._lock:
            return max(0.0, self._next.get(key, 0.0) - self._clock())

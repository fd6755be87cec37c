"""Fault injection for the fake Slack's Web API: scripted error answers, and Slack's rate limits when switched on."""

from __future__ import annotations

import collections
import math
import threading
import time

from bot.simulators.slack.protocol import JSON, ApiError

# conversations.history and .replies for apps outside Slack's Marketplace (2025): one a minute, at most 15 messages.
HISTORY_METHODS = frozenset({"conversations.history", "conversations.replies"})
HISTORY_SPACING_SECONDS = 60.0
HISTORY_MAX_MESSAGES = 15


class Faults:
    """Decides, before a Web API method runs, whether Slack answers with an error instead."""

    def __init__(
        self,
        *,
        update_limit_per_minute: int | None,
        post_rate_per_channel: float | None,
        post_burst: float,
        history_limits: bool = False,
    ) -> None:
        self._lock = threading.Lock()
        self._history_limits = history_limits
        self._history_read_at: float | None = None
        self.rate_limited: collections.Counter[str] = collections.Counter()
        self._failures: dict[str, list[tuple[str, int | None]]] = {}
        self._update_limit = update_limit_per_minute
        self._updates_sent: collections.deque[float] = collections.deque()
        self._post_rate = post_rate_per_channel
        self._post_burst = max(1.0, post_burst)
        self._post_tokens: dict[str, tuple[float, float]] = {}  # channel -> (tokens, when counted)

    def fail_next(self, method: str, error: str, *, times: int = 1, retry_after: int | None = None) -> None:
        """Answer the next ``times`` calls of ``method`` with ``error`` ("ratelimited" -> HTTP 429)."""
        with self._lock:
            self._failures.setdefault(method, []).extend([(error, retry_after)] * times)

    def clear_failures(self, method: str) -> None:
        """Forget the failures still queued for ``method`` (the fault is over)."""
        with self._lock:
            self._failures.pop(method, None)

    def check(self, method: str, args: JSON) -> None:
        """Raise the ApiError Slack answers this call with, if any: a scripted failure first, then a rate limit."""
        self._injected_failure(method)
        self._rate_limit(method, args)

    def _injected_failure(self, method: str) -> None:
        with self._lock:
            queue = self._failures.get(method)
            if not queue:
                return
            error, retry_after = queue.pop(0)
        if error == "ratelimited":
            raise ApiError(error, status=429, retry_after=1 if retry_after is None else retry_after)
        raise ApiError(error)

    def _rate_limit(self, method: str, args: JSON) -> None:
        """Slack's limits, when switched on: a call over them uses up nothing and is answered `ratelimited`."""
        if method in HISTORY_METHODS and self._history_limits:
            self._history_limit(method, args)
        elif method == "chat.update" and self._update_limit is not None:
            with self._lock:
                now = time.monotonic()
                while self._updates_sent and self._updates_sent[0] <= now - 60.0:
                    self._updates_sent.popleft()
                if len(self._updates_sent) >= self._update_limit:
                    self.rate_limited[method] += 1
                    wait = self._updates_sent[0] + 60.0 - now
                    raise ApiError("ratelimited", status=429, retry_after=max(1, math.ceil(wait)))
                self._updates_sent.append(now)
        elif method == "chat.postMessage" and self._post_rate is not None:
            channel = str(args.get("channel") or "")
            with self._lock:
                now = time.monotonic()
                tokens, counted = self._post_tokens.get(channel, (self._post_burst, now))
                tokens = min(self._post_burst, tokens + (now - counted) * self._post_rate)
                if tokens < 1.0:
                    self._post_tokens[channel] = (tokens, now)
                    self.rate_limited[method] += 1
                    wait = (1.0 - tokens) / self._post_rate
                    raise ApiError("ratelimited", status=429, retry_after=max(1, math.ceil(wait)))
                self._post_tokens[channel] = (tokens - 1.0, now)

    def _history_limit(self, method: str, args: JSON) -> None:
        """Slack's 2025 limits for apps outside its Marketplace: one history read a minute, of at most 15."""
        try:
            limit = int(args.get("limit", 100))
        except (TypeError, ValueError):
            limit = 100
        if limit > HISTORY_MAX_MESSAGES:
            raise ApiError(
                "invalid_limit",
                violation=f"{method}: limit {limit} is over the {HISTORY_MAX_MESSAGES} messages Slack allows "
                "apps outside its Marketplace",
            )
        with self._lock:
            now = time.monotonic()
            if self._history_read_at is not None and now - self._history_read_at < HISTORY_SPACING_SECONDS:
                self.rate_limited[method] += 1
                wait = self._history_read_at + HISTORY_SPACING_SECONDS - now
                raise ApiError("ratelimited", status=429, retry_after=max(1, math.ceil(wait)))
            self._history_read_at = now

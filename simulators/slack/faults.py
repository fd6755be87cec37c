"""Fault injection for the fake Slack's Web API: scripted error answers, and Slack's rate limits when switched on.

Slack applies its limits per app per workspace, so each workspace has its own budget: chat.update a minute,
chat.postMessage per channel, and the history reads.
"""

from __future__ import annotations

import collections
import math
import threading
import time

from simulators.slack.protocol import JSON, ApiError

# conversations.history and .replies for apps outside Slack's Marketplace (2025): one a minute, at most 15 messages.
HISTORY_METHODS = frozenset({"conversations.history", "conversations.replies"})
HISTORY_SPACING_SECONDS = 60.0
HISTORY_MAX_MESSAGES = 15


class Faults:
    """Decides, before a Web API method runs, whether Slack answers with an error instead."""

    # Scripted failures for any workspace are queued under this key.
    _ANY_TEAM = ""

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
        self._history_read_at: dict[str, float] = {}  # team -> when its last history read was let through
        self.rate_limited: collections.Counter[str] = collections.Counter()
        self.rate_limited_by_team: dict[str, collections.Counter[str]] = {}
        self._failures: dict[tuple[str, str], list[tuple[str, int | None]]] = {}  # (method, team or "") -> queue
        self._update_limit = update_limit_per_minute
        self._updates_sent: dict[str, collections.deque[float]] = {}  # team -> when its recent updates went through
        self._post_rate = post_rate_per_channel
        self._post_burst = max(1.0, post_burst)
        # (team, channel) -> (tokens, when counted); DM ids repeat across workspaces, so the team is in the key.
        self._post_tokens: dict[tuple[str, str], tuple[float, float]] = {}

    def fail_next(
        self, method: str, error: str, *, times: int = 1, retry_after: int | None = None, team_id: str | None = None
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (made with `team_id`'s token, or any) with ``error``
        ("ratelimited" -> HTTP 429)."""
        with self._lock:
            self._failures.setdefault((method, team_id or self._ANY_TEAM), []).extend([(error, retry_after)] * times)

    def clear_failures(self, method: str, *, team_id: str | None = None) -> None:
        """Forget the failures still queued for ``method`` (for `team_id` only, if given): the fault is over."""
        with self._lock:
            for key in [k for k in self._failures if k[0] == method and team_id in (None, k[1])]:
                del self._failures[key]

    def check(self, method: str, args: JSON, *, team_id: str = "") -> None:
        """Raise the ApiError Slack answers this call with, if any: a scripted failure first, then a rate limit."""
        if self._failures:
            self._injected_failure(method, team_id)
        self._rate_limit(method, args, team_id)

    def _injected_failure(self, method: str, team_id: str) -> None:
        with self._lock:
            queue = self._failures.get((method, team_id)) or self._failures.get((method, self._ANY_TEAM))
            if not queue:
                return
            error, retry_after = queue.pop(0)
        if error == "ratelimited":
            raise ApiError(error, status=429, retry_after=1 if retry_after is None else retry_after)
        raise ApiError(error)

    def _rate_limit(self, method: str, args: JSON, team_id: str) -> None:
        """Slack's limits, when switched on: a call over them uses up nothing and is answered `ratelimited`."""
        if method in HISTORY_METHODS and self._history_limits:
            self._history_limit(method, args, team_id)
        elif method == "chat.update" and self._update_limit is not None:
            with self._lock:
                now = time.monotonic()
                sent = self._updates_sent.setdefault(team_id, collections.deque())
                while sent and sent[0] <= now - 60.0:
                    sent.popleft()
                if len(sent) >= self._update_limit:
                    self._limited(method, team_id, wait=sent[0] + 60.0 - now)
                sent.append(now)
        elif method == "chat.postMessage" and self._post_rate is not None:
            key = (team_id, str(args.get("channel") or ""))
            with self._lock:
                now = time.monotonic()
                tokens, counted = self._post_tokens.get(key, (self._post_burst, now))
                tokens = min(self._post_burst, tokens + (now - counted) * self._post_rate)
                if tokens < 1.0:
                    self._post_tokens[key] = (tokens, now)
                    self._limited(method, team_id, wait=(1.0 - tokens) / self._post_rate)
                self._post_tokens[key] = (tokens - 1.0, now)

    def _limited(self, method: str, team_id: str, *, wait: float) -> None:
        """Count a call over a limit and answer it (lock held)."""
        self.rate_limited[method] += 1
        self.rate_limited_by_team.setdefault(team_id, collections.Counter())[method] += 1
        raise ApiError("ratelimited", status=429, retry_after=max(1, math.ceil(wait)))

    def _history_limit(self, method: str, args: JSON, team_id: str) -> None:
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
            last = self._history_read_at.get(team_id)
            if last is not None and now - last < HISTORY_SPACING_SECONDS:
                self._limited(method, team_id, wait=last + HISTORY_SPACING_SECONDS - now)
            self._history_read_at[team_id] = now

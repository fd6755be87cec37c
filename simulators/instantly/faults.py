"""Fault injection for the fake Instantly: scripted error answers, and Instantly's rate limits when switched on."""

from __future__ import annotations

import collections
import http
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class _Fault:
    method: str
    path_prefix: str
    status: int
    message: str
    remaining: int
    retry_after: float | None
    body: str | None


@dataclass(frozen=True)
class FaultAnswer:
    """An error to answer with: status, Instantly's message, extra headers, and a raw body that replaces the JSON."""

    status: int
    message: str
    headers: dict[str, str]
    raw: str | None


class Faults:
    """Scripted failures (`fail_next`) and rate-limit windows (`rate_limits`), consulted for every valid request."""

    def __init__(self, *, rate_limits: Sequence[tuple[float, int]]) -> None:
        if any(window <= 0 or limit < 1 for window, limit in rate_limits):
            raise ValueError("rate_limits need positive windows and limits")
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []
        self._windows = [(float(window), int(limit), collections.deque[float]()) for window, limit in rate_limits]
        self.rate_limited = 0

    def fail_next(
        self,
        method: str,
        path_prefix: str,
        *,
        status: int,
        message: str = "",
        times: int = 1,
        retry_after: float | None = None,
        body: str | None = None,
    ) -> None:
        """Answer the next `times` valid requests matching `method path_prefix` with an Instantly error."""
        http.HTTPStatus(status)  # fail here, in the test, rather than inside the server thread
        fault = _Fault(method.upper(), path_prefix, status, message, times, retry_after, body)
        with self._lock:
            self._faults.append(fault)

    def within_rate_limits(self) -> bool:
        """Count this request against every window, or say it is one too many (a 429 uses up nothing)."""
        if not self._windows:
            return True
        with self._lock:
            now = time.monotonic()
            for window, limit, sent in self._windows:
                while sent and sent[0] <= now - window:
                    sent.popleft()
                if len(sent) >= limit:
                    self.rate_limited += 1
                    return False
            for _, _, sent in self._windows:
                sent.append(now)
            return True

    def take(self, method: str, path: str) -> FaultAnswer | None:
        """The scripted failure for this request, if one is due (using it up)."""
        with self._lock:
            for fault in self._faults:
                if fault.method in (method, "*") and path.startswith(fault.path_prefix):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    break
            else:
                return None
        headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
        return FaultAnswer(fault.status, fault.message or http.HTTPStatus(fault.status).phrase, headers, fault.body)

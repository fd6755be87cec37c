"""What the fake Instantly's parts share: a validated call, a recorded request, the error answer, cursors and pages,
timestamps."""

from __future__ import annotations

import http
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

DEFAULT_LIMIT = 10
MOVE_PATH = "/api/v2/leads/move"


@dataclass(frozen=True)
class Call:
    """A request that passed the contract checks: path parameters, typed query, parsed JSON body."""

    params: dict[str, str]
    query: dict[str, Any]
    body: Any


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake saw it, with the status it answered."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    status: int
    at: float = 0.0  # time.monotonic() when the fake answered
    workspace_id: str | None = None  # the workspace whose key it carried; None when no live key did

    @property
    def api_key(self) -> str | None:
        """The Bearer key it carried, revoked or unknown ones included."""
        authorization = self.headers.get("authorization", "")
        return authorization.removeprefix("Bearer ") if authorization.startswith("Bearer ") else None


class ApiError(Exception):
    """An error answer; `violation` says whether it also means our client broke the contract."""

    def __init__(self, status: int, message: str, *, violation: bool = False, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.violation = violation
        self.detail = detail


def error_body(status: int, message: str) -> dict[str, Any]:
    """Instantly's (Fastify's) error body."""
    return {"statusCode": status, "error": http.HTTPStatus(status).phrase, "message": message}


def csv(value: Any) -> set[str] | None:
    """A comma-separated query value as a set (None when absent)."""
    if value is None:
        return None
    return {part.strip() for part in str(value).split(",") if part.strip()}


def after(items: Sequence[dict[str, Any]], cursor: str | None, key: str) -> list[dict[str, Any]]:
    """Items following the one whose `key` equals the cursor; an unknown cursor has nothing after it."""
    if cursor is None:
        return list(items)
    for index, item in enumerate(items):
        if item[key] == cursor:
            return list(items[index + 1 :])
    return []


def page(items: list[dict[str, Any]], limit: int, cursor_key: str) -> dict[str, Any]:
    """The first `limit` items, with `next_starting_after` when more follow."""
    answer: dict[str, Any] = {"items": items[:limit]}
    if len(items) > limit and limit > 0:
        answer["next_starting_after"] = items[limit - 1][cursor_key]
    return answer


class Clock:
    """Millisecond ISO timestamps that never repeat, so timestamp cursors and sort orders stay exact."""

    def __init__(self) -> None:
        self._last = datetime(1970, 1, 1, tzinfo=UTC)
        self._lock = threading.Lock()

    def stamp(self) -> str:
        with self._lock:
            now = datetime.now(UTC)
            now = now.replace(microsecond=now.microsecond // 1000 * 1000)
            self._last = max(now, self._last + timedelta(milliseconds=1))
            return self._last.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self._last.microsecond // 1000:03d}Z"

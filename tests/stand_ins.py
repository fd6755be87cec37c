"""In-process stand-ins for unit tests: a Slack WebClient without HTTP, Instantly through httpx.MockTransport, a
start queue that only records, and a clock a test moves by hand.

The end-to-end tests use the loopback simulators in simulators/; these are for testing one core class at a time.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

from bot.instantly.client import InstantlyClient
from bot.starts import Then
from storage.records import JobRecord

JSON = dict[str, Any]


@dataclass(frozen=True)
class SlackCall:
    method: str
    args: JSON


@dataclass
class _Failure:
    error: str
    retry_after: int | None
    times: int


class SlackStandIn(WebClient):
    """A WebClient whose Web API lives in memory: posts are kept per channel, and failures are scripted.

    Answers have the fields leadmover reads (channel, ts, message metadata); anything else gets {"ok": true}. A
    post to a user id lands in that user's DM, `D<user id>`, as conversations.open names it.
    """

    def __init__(self, *, team_id: str = "T1") -> None:
        super().__init__(token="xoxb-stand-in", base_url="http://stand-in.invalid/api/")
        self.team_id = team_id
        self.calls: list[SlackCall] = []
        self.posted: dict[str, list[JSON]] = defaultdict(list)
        self.before_call: Callable[[str, JSON], None] | None = None  # sees each call before Slack acts on it
        self._failures: dict[str, deque[_Failure]] = defaultdict(deque)
        self.lost_answers: dict[str, int] = defaultdict(int)  # calls whose answer will be lost
        self._ts = itertools.count(1)
        # users.info: people with a role or a team of their own; anyone else is a plain full member of team_id.
        self.people: dict[str, JSON] = {}
        self.usergroups: dict[str, list[str]] = {}  # usergroups.users.list

    def fail(self, method: str, error: str, *, times: int = 1, retry_after: int | None = None) -> None:
        """The next `times` calls of `method` answer {"ok": false, "error": error}."""
        self._failures[method].append(_Failure(error, retry_after, times))

    def lose_answer(self, method: str, *, times: int = 1) -> None:
        """The next `times` calls of `method` reach Slack, then the connection drops before the answer arrives."""
        self.lost_answers[method] += times

    def calls_to(self, method: str) -> list[SlackCall]:
        return [call for call in self.calls if call.method == method]

    def thread(self, channel: str, thread_ts: str) -> list[JSON]:
        return [m for m in self.posted[channel] if m.get("thread_ts") == thread_ts]

    def api_call(  # type: ignore[override]
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        params: JSON | None = None,
        json: JSON | None = None,
        data: JSON | None = None,
        **_: Any,
    ) -> SlackResponse:
        args = {**(params or {}), **(data or {}), **(json or {})}
        if self.before_call is not None:
            self.before_call(api_method, args)
        self.calls.append(SlackCall(api_method, args))
        queued = self._failures.get(api_method)
        if queued:
            failure = queued[0]
            failure.times -= 1
            if failure.times <= 0:
                queued.popleft()
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            status = 429 if failure.error == "ratelimited" else 200
            return self._answer(api_method, http_verb, {"ok": False, "error": failure.error}, status, headers)
        response = self._answer(api_method, http_verb, {"ok": True, **self._serve(api_method, args)}, 200, {})
        if self.lost_answers[api_method] > 0:
            self.lost_answers[api_method] -= 1
            raise ConnectionResetError(f"connection reset after {api_method} reached Slack")
        return response

    def _answer(self, method: str, verb: str, body: JSON, status: int, headers: dict[str, str]) -> SlackResponse:
        response = SlackResponse(
            client=self,
            http_verb=verb,
            api_url=f"{self.base_url}{method}",
            req_args={},
            data=body,
            headers=headers,
            status_code=status,
        )
        return response.validate()  # raises SlackApiError for ok: false, as the real client does

    def _serve(self, method: str, args: JSON) -> JSON:
        if method == "chat.postMessage":
            channel = str(args["channel"])
            if channel.startswith(("U", "W")):
                channel = f"D{channel}"
            ts = f"1700000000.{next(self._ts):06d}"
            message = {"ts": ts, "text": args.get("text", ""), "blocks": _decoded(args.get("blocks"))}
            if args.get("thread_ts"):
                message["thread_ts"] = args["thread_ts"]
            if args.get("metadata"):
                message["metadata"] = _decoded(args["metadata"])
            self.posted[channel].append(message)
            return {"channel": channel, "ts": ts, "message": message}
        if method == "chat.postEphemeral":
            return {"message_ts": f"1700000000.{next(self._ts):06d}"}
        if method == "conversations.open":
            return {"channel": {"id": "D" + str(args["users"])}}
        if method == "conversations.history":
            return {"messages": list(reversed(self.posted[str(args["channel"])])), "has_more": False}
        if method == "conversations.replies":
            return {"messages": self.thread(str(args["channel"]), str(args["ts"])), "has_more": False}
        if method == "auth.test":
            return {"team_id": self.team_id, "user_id": "UBOT", "bot_id": "BBOT"}
        if method == "users.info":
            user = str(args["user"])
            # Without a team of their own, a person is a member of this stand-in's workspace (Slack always says).
            return {"user": {"id": user, "team_id": self.team_id, "deleted": False, **self.people.get(user, {})}}
        if method == "usergroups.users.list":
            return {"users": self.usergroups.get(str(args["usergroup"]), [])}
        return {}


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


InstantlyHandler = Callable[[httpx.Request], httpx.Response]


def instantly_client(handler: InstantlyHandler, *, max_attempts: int = 3) -> InstantlyClient:
    """An InstantlyClient whose every request `handler` answers in process; retries don't sleep."""
    return InstantlyClient(
        api_key="test-key",
        base_url="https://instantly.invalid/api/v2",
        transport=httpx.MockTransport(handler),
        sleep=lambda _seconds: None,
        max_attempts=max_attempts,
    )


def instantly_job(job_id: str = "a" * 24, *, status: str = "pending", progress: float = 0, **extra: Any) -> JSON:
    """A background job as Instantly's API returns it."""
    return {
        "id": job_id,
        "workspace_id": "w-1",
        "type": "move-leads",
        "progress": progress,
        "status": status,
        "created_at": "2026-11-26T09:30:00.000Z",
        "updated_at": "2026-11-26T09:30:00.000Z",
        **extra,
    }


def instantly_error(status: int, message: str = "nope", **headers: str) -> httpx.Response:
    """An error as Instantly answers it: {statusCode, error, message}."""
    body = {"statusCode": status, "error": httpx.codes.get_reason_phrase(status), "message": message}
    return httpx.Response(status, json=body, headers=headers)


MOVE_JOB_ID = "0190a1b2c3d4e5f6a7b8c9d0"  # the job InstantlyMoves starts unless told another


# What InstantlyMoves calls the campaigns and lists the submission tests pick, by id.
INSTANTLY_NAMES: dict[str, str] = {"c-1": "Acme Q1", "l-2": "Acme <warm>", "l-9": "Old list", "c-7": "New campaign"}


class InstantlyMoves:
    """An Instantly for the submission listeners: a campaign or list by id (named by `names`, 404 for others), one
    workspace member (u-1, Ann Lee), campaign analytics (the confirmation's count) and POST /leads/move, answered
    with `analytics` and `answer`, which a test may change; every request is kept."""

    def __init__(self, job_id: str = MOVE_JOB_ID) -> None:
        self.requests: list[httpx.Request] = []
        self.answer: httpx.Response = httpx.Response(200, json=instantly_job(job_id))
        self.analytics = httpx.Response(200, json=[{"campaign_id": "c-1", "leads_count": 1240, "extra": 1}])
        self.names = dict(INSTANTLY_NAMES)
        # Set, each move starts a job of its own (numbered from 1); else every move answers `answer`.
        self.numbered = False
        # Seconds a campaign or list takes to be named (a slow Instantly), and the error status it is answered with
        # instead of its name, if any (an Instantly in trouble).
        self.naming_seconds = 0.0
        self.naming_error: int | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path.endswith("/campaigns/analytics"):
            return self.analytics
        kind, _, item_id = path.removeprefix("/api/v2/").partition("/")
        if request.method == "GET" and kind == "workspace-members":
            member = {
                "id": "m-1",
                "user_id": "u-1",
                "email": "ann@example.com",
                "name": {"first": "Ann", "last": "Lee"},
            }
            return httpx.Response(200, json={"items": [member]})
        if request.method == "GET" and kind in ("campaigns", "lead-lists") and item_id:
            time.sleep(self.naming_seconds)
            if self.naming_error is not None:
                return instantly_error(self.naming_error)
            name = self.names.get(item_id)
            return httpx.Response(200, json={"id": item_id, "name": name}) if name else instantly_error(404)
        if self.numbered and (request.method, path) == ("POST", "/api/v2/leads/move"):
            return httpx.Response(200, json=instantly_job(f"{len(self.moves()):024x}"))
        return self.answer

    def moves(self) -> list[JSON]:
        moves = [r for r in self.requests if (r.method, r.url.path) == ("POST", "/api/v2/leads/move")]
        return [json.loads(r.content) for r in moves]


@dataclass
class RecordingStarts:
    """Stands in for the StartQueue: keeps what it was asked to start, and starts nothing."""

    started: list[JobRecord] = field(default_factory=list)

    def submit(self, record: JobRecord, *, then: Then) -> bool:
        self.started.append(record)
        return True


@dataclass
class Clock:
    """A monotonic clock that moves only when the test sets or advances `now`."""

    now: float = 0.0

    def __call__(self) -> float:
        return self.now

"""The fake Slack's Web API front door: reads a call, checks its token, records it, and runs the method it names.

Only the methods leadmover (and the Bolt / slack_sdk code under it) calls are served; any other is an app bug.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from bot.simulators.loopback import Reply, Request
from bot.simulators.slack.conversations import Conversations
from bot.simulators.slack.faults import Faults
from bot.simulators.slack.protocol import JSON, ApiError, Workspace
from bot.simulators.slack.socket_mode import SocketModeServer
from bot.simulators.slack.views import Views

# Slack reads these methods' arguments from the query string or a form, never from a JSON body.
_READ_METHODS = frozenset({"conversations.history", "conversations.replies"})


@dataclass(frozen=True)
class ApiCall:
    """One Web API call the app made (token removed from args)."""

    method: str
    args: dict[str, Any]
    at: float


@dataclass(frozen=True)
class Tokens:
    """The credentials the fake accepts: the bot token for methods, the app token for Socket Mode."""

    bot: str
    app: str


class WebApi:
    """Serves ``/api/<method>``: records every call, answers like Slack, reports app bugs as violations."""

    def __init__(
        self,
        *,
        workspace: Workspace,
        tokens: Tokens,
        conversations: Conversations,
        views: Views,
        faults: Faults,
        socket: SocketModeServer,
        report: Callable[[str], None],
        record_calls: bool = True,
        on_call: Callable[[ApiCall, int, JSON], None] | None = None,
    ) -> None:
        self._ws = workspace
        self._tokens = tokens
        self._faults = faults
        self._socket = socket
        self._report = report
        self._record_calls = record_calls
        self._on_call = on_call
        self._lock = threading.Lock()
        self.calls: list[ApiCall] = []
        self.call_count = 0
        self.delay: dict[str, float] = {}  # method -> seconds to wait before answering
        self._methods: dict[str, Callable[[JSON], JSON]] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "chat.postMessage": conversations.chat_post_message,
            "chat.update": conversations.chat_update,
            "chat.postEphemeral": conversations.chat_post_ephemeral,
            "conversations.history": conversations.conversations_history,
            "conversations.replies": conversations.conversations_replies,
            "conversations.open": conversations.conversations_open,
            "views.open": views.views_open,
            "views.update": views.views_update,
        }

    def calls_to(self, method: str) -> list[ApiCall]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def respond(self, method: str, query: str, request: Request) -> Reply:
        """Answer one call of `method` (query string and body as they arrived)."""
        args, json_token, bad_json = self._arguments(method, query, request)
        authorization = request.headers.get("authorization", "")
        token = authorization[len("Bearer ") :].strip() if authorization.startswith("Bearer ") else None
        token = token or args.pop("token", None)
        args.pop("token", None)
        call = ApiCall(method=method, args=copy.deepcopy(args) if self._record_calls else args, at=time.monotonic())
        with self._lock:
            self.call_count += 1
            if self._record_calls:
                self.calls.append(call)
            delay = self.delay.get(method, 0.0)
        status, headers, payload = self._dispatch(method, args, token, json_token=json_token, bad_json=bad_json)
        if self._on_call is not None:
            self._on_call(call, status, payload)
        headers = {"Content-Type": "application/json; charset=utf-8", **headers}
        # The delay comes after handling: Slack was slow to answer, not slow to act.
        return Reply(status, json.dumps(payload).encode(), headers, delay)

    def _arguments(self, method: str, query: str, request: Request) -> tuple[JSON, bool, bool]:
        """(args, whether a JSON body carried a token, whether the JSON body was not an object)."""
        args: JSON = dict(parse_qsl(query, keep_blank_values=True))
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        json_token, bad_json = False, False
        if content_type == "application/json" and request.body:
            try:
                body = json.loads(request.body)
            except ValueError:
                body = None
            bad_json = not isinstance(body, dict)
            if isinstance(body, dict):
                json_token = body.pop("token", None) is not None
                if method in _READ_METHODS and body:
                    self._report(f"{method}: Slack ignores JSON bodies for this method; send form or query args")
                else:
                    args.update(body)
        elif request.body:
            args.update(parse_qsl(request.body.decode(), keep_blank_values=True))
        return args, json_token, bad_json

    def _dispatch(
        self, method: str, args: JSON, token: str | None, *, json_token: bool, bad_json: bool
    ) -> tuple[int, dict[str, str], JSON]:
        try:
            if bad_json:
                raise ApiError("invalid_json", violation=f"{method}: request body is not a JSON object")
            self._check_token(method, token, json_token=json_token)
            self._faults.check(method, args)
            handler = self._methods.get(method)
            if handler is None:
                raise ApiError("unknown_method", violation=f"{method}: unknown or unsupported Web API method")
            return 200, {}, {"ok": True, **handler(args)}
        except ApiError as exc:
            payload: JSON = {"ok": False, "error": exc.error}
            if exc.messages:
                payload["response_metadata"] = {"messages": exc.messages}
            if exc.violation:
                self._report(exc.violation)
            headers = {} if exc.retry_after is None else {"Retry-After": str(exc.retry_after)}
            return exc.status, headers, payload

    def _check_token(self, method: str, token: str | None, *, json_token: bool) -> None:
        wanted = self._tokens.app if method == "apps.connections.open" else self._tokens.bot
        if not token:
            hint = " (a token in a JSON body is ignored; use the Authorization header)" if json_token else ""
            raise ApiError("invalid_auth", violation=f"{method}: called without a token{hint}")
        if token in (self._tokens.app, self._tokens.bot) and token != wanted:
            raise ApiError("not_allowed_token_type", violation=f"{method}: called with the wrong kind of token")
        if token != wanted:
            raise ApiError("invalid_auth")

    # ------------------------------------------------------------------ methods of the app's own identity

    def _auth_test(self, args: JSON) -> JSON:
        return {
            "url": f"https://{self._ws.team_domain}.slack.com/",
            "team": "LeadMover Test",
            "user": "leadmover",
            "team_id": self._ws.team_id,
            "user_id": self._ws.bot_user_id,
            "bot_id": self._ws.bot_id,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, args: JSON) -> JSON:
        try:
            return {"url": self._socket.open_url()}
        except ImportError:
            raise ApiError("internal_error", violation="apps.connections.open: websockets is not installed") from None
        except RuntimeError:  # stopping
            raise ApiError("internal_error") from None

"""The fake Slack's Web API front door: reads a call, checks its token, records it, and runs the method it names.

Only the methods leadmover (and the Bolt / slack_sdk code under it) calls are served; any other is an app bug. Each
method runs in the workspace the token belongs to; an org-wide token acts in the workspace the call points at.
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

from simulators.loopback import Reply, Request
from simulators.slack.faults import Faults
from simulators.slack.oauth import OAuth
from simulators.slack.protocol import JSON, ApiError, Workspace
from simulators.slack.socket_mode import SocketModeServer
from simulators.slack.teams import Teams
from simulators.slack.tokens import Grant, TokenBook
from simulators.slack.usergroups import UserGroups
from simulators.slack.users import Users
from simulators.slack.views import Views

# Slack reads these methods' arguments from the query string or a form, never from a JSON body.
_READ_METHODS = frozenset({"conversations.history", "conversations.members", "conversations.replies", "users.info"})
_NO_TOKEN_METHODS = frozenset({"oauth.v2.access"})  # authenticated by the app's client id and secret instead

Handler = Callable[[JSON, Workspace, Grant], JSON]


@dataclass(frozen=True)
class ApiCall:
    """One Web API call the app made (token and client secret removed from args)."""

    method: str
    args: dict[str, Any]
    at: float
    team_id: str = ""  # whose token it was: a team id, an enterprise id (org-wide install), or "" (no known token)


class WebApi:
    """Serves ``/api/<method>``: records every call, answers like Slack, reports app bugs as violations."""

    def __init__(
        self,
        *,
        teams: Teams,
        tokens: TokenBook,
        users: Users,
        usergroups: UserGroups,
        views: Views,
        faults: Faults,
        oauth: OAuth,
        socket: SocketModeServer,
        report: Callable[[str], None],
        record_calls: bool = True,
        on_call: Callable[[ApiCall, int, JSON], None] | None = None,
    ) -> None:
        self._teams = teams
        self._tokens = tokens
        self._views = views
        self._faults = faults
        self._oauth = oauth
        self._socket = socket
        self._report = report
        self._record_calls = record_calls
        self._on_call = on_call
        self._lock = threading.Lock()
        self.calls: list[ApiCall] = []
        self.call_count = 0
        self.delay: dict[str, float] = {}  # method -> seconds to wait before answering
        chats = teams.conversations

        def users_info(args: JSON, ws: Workspace, grant: Grant) -> JSON:
            visible = teams.visible(ws.team_id)
            return users.users_info(args, ws=ws, teams=visible, bots=teams.bots(visible))

        self._methods: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "chat.postMessage": lambda args, ws, _: chats(ws.team_id).chat_post_message(args),
            "chat.update": lambda args, ws, _: chats(ws.team_id).chat_update(args),
            "chat.postEphemeral": lambda args, ws, _: chats(ws.team_id).chat_post_ephemeral(args),
            "conversations.history": lambda args, ws, _: chats(ws.team_id).conversations_history(args),
            "conversations.replies": lambda args, ws, _: chats(ws.team_id).conversations_replies(args),
            "conversations.open": lambda args, ws, _: chats(ws.team_id).conversations_open(args),
            "conversations.members": lambda args, ws, grant: chats(ws.team_id).conversations_members(
                args, scopes=oauth.granted(grant)
            ),
            "conversations.info": lambda args, ws, grant: chats(ws.team_id).conversations_info(
                args, scopes=oauth.granted(grant)
            ),
            "views.open": lambda args, ws, _: views.views_open(args, ws=ws),
            "views.update": lambda args, ws, _: views.views_update(args, ws=ws),
            "users.info": users_info,
            "usergroups.users.list": lambda args, ws, grant: usergroups.usergroups_users_list(
                args, ws=ws, org_token=grant.team_id is None
            ),
            "usergroups.list": lambda args, ws, grant: usergroups.usergroups_list(
                args, ws=ws, org_token=grant.team_id is None
            ),
        }

    def add_method(self, method: str, handler: Handler) -> None:
        """Serve one more method (a part built after the Web API, such as the Home tabs, brings its own)."""
        self._methods[method] = handler

    def calls_to(self, method: str, *, team_id: str | None = None) -> list[ApiCall]:
        """The recorded calls of `method` (made with `team_id`'s token, if given)."""
        with self._lock:
            return [c for c in self.calls if c.method == method and team_id in (None, c.team_id)]

    def respond(self, method: str, query: str, request: Request) -> Reply:
        """Answer one call of `method` (query string and body as they arrived)."""
        args, json_token, bad_json = self._arguments(method, query, request)
        authorization = request.headers.get("authorization", "")
        token = authorization[len("Bearer ") :].strip() if authorization.startswith("Bearer ") else None
        token = token or args.pop("token", None)
        args.pop("token", None)
        grant = self._tokens.get(token)
        recorded = args
        if self._record_calls or "client_secret" in args:
            recorded = {k: v for k, v in args.items() if k != "client_secret"}
        if self._record_calls:
            recorded = copy.deepcopy(recorded)
        call = ApiCall(method=method, args=recorded, at=time.monotonic(), team_id=grant.owner if grant else "")
        with self._lock:
            self.call_count += 1
            if self._record_calls:
                self.calls.append(call)
            delay = self.delay.get(method, 0.0)
        status, headers, payload = self._dispatch(
            method, args, token, grant, authorization=authorization, json_token=json_token, bad_json=bad_json
        )
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
        self,
        method: str,
        args: JSON,
        token: str | None,
        grant: Grant | None,
        *,
        authorization: str,
        json_token: bool,
        bad_json: bool,
    ) -> tuple[int, dict[str, str], JSON]:
        try:
            if bad_json:
                raise ApiError("invalid_json", violation=f"{method}: request body is not a JSON object")
            if method in _NO_TOKEN_METHODS:
                self._faults.check(method, args)
                return 200, {}, {"ok": True, **self._oauth.access(args, authorization=authorization)}
            grant = self._check_token(method, token, grant, json_token=json_token)
            ws = self._acting_workspace(grant, args)
            self._faults.check(method, args, team_id=ws.team_id)
            handler = self._methods.get(method)
            if handler is None:
                raise ApiError("unknown_method", violation=f"{method}: unknown or unsupported Web API method")
            return 200, {}, {"ok": True, **handler(args, ws, grant)}
        except ApiError as exc:
            payload: JSON = {"ok": False, "error": exc.error, **exc.fields}
            if exc.messages:
                payload["response_metadata"] = {"messages": exc.messages}
            if exc.violation:
                self._report(exc.violation)
            headers = {} if exc.retry_after is None else {"Retry-After": str(exc.retry_after)}
            return exc.status, headers, payload

    def _check_token(self, method: str, token: str | None, grant: Grant | None, *, json_token: bool) -> Grant:
        if not token:
            hint = " (a token in a JSON body is ignored; use the Authorization header)" if json_token else ""
            raise ApiError("invalid_auth", violation=f"{method}: called without a token{hint}")
        if grant is None:
            raise ApiError("invalid_auth")
        if (grant.kind == "app") != (method == "apps.connections.open"):
            raise ApiError("not_allowed_token_type", violation=f"{method}: called with the wrong kind of token")
        self._tokens.check(grant)
        return grant

    def _acting_workspace(self, grant: Grant, args: JSON) -> Workspace:
        """The workspace a call acts in: the token's, or for an org-wide token the one the call points at (its
        `team_id` argument, or the owner of the channel, trigger or view it names), else the first one."""
        if grant.team_id is not None:
            return self._teams.workspace(grant.team_id)
        members = self._teams.in_enterprise(grant.enterprise_id or "")
        if not members:
            raise ApiError("team_access_not_granted")
        candidates = (
            str(args.get("team_id") or ""),
            self._teams.directory.owner(str(args.get("channel") or "")),
            self._views.trigger_team(str(args.get("trigger_id") or "")),
            self._views.view_team(str(args.get("view_id") or "")),
        )
        chosen = next((c for c in candidates if c in members), members[0])
        return self._teams.workspace(chosen)

    # ------------------------------------------------------------------ methods of the app's own identity

    def _auth_test(self, args: JSON, ws: Workspace, grant: Grant) -> JSON:
        answer: JSON = {
            "url": ws.url,
            "team": ws.team_name,
            "user": "leadmover",
            "team_id": ws.team_id,
            "user_id": ws.bot_user_id,
            "bot_id": ws.bot_id,
        }
        if grant.is_enterprise_install:
            # An org-wide token speaks for the organization, not for one of its workspaces.
            domain = "".join(ch for ch in (ws.enterprise_name or "org").lower() if ch.isalnum())
            answer |= {"url": f"https://{domain}.enterprise.slack.com/", "team": ws.enterprise_name}
            answer |= {"team_id": grant.enterprise_id}
        if ws.enterprise_id:
            answer["enterprise_id"] = ws.enterprise_id
        answer["is_enterprise_install"] = grant.is_enterprise_install
        if grant.expires_at is not None:
            answer["expires_in"] = self._tokens.expires_in(grant)
        return answer

    def _apps_connections_open(self, args: JSON, ws: Workspace, grant: Grant) -> JSON:
        try:
            return {"url": self._socket.open_url()}
        except ImportError:
            raise ApiError("internal_error", violation="apps.connections.open: websockets is not installed") from None
        except RuntimeError:  # stopping
            raise ApiError("internal_error") from None

"""A loopback fake Slack for the demo and end-to-end tests.

Serves the Web API the app calls, sends the app signed requests and Socket Mode envelopes, and records app bugs.
"""

from __future__ import annotations

import base64
import collections
import copy
import json
import math
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from bot.simulators.slack_client import (
    AppResponse,
    Workspace,
    block_suggestion_payload,
    build_state_values,
    check_submittable,
    command_fields,
    element_options,
    find_action,
    form_body,
    post_signed,
    sign,
    username_for,
    view_submission_payload,
)
from bot.simulators.slack_socket import SocketModeServer

__all__ = ["ApiCall", "AppResponse", "FakeSlack", "Message"]

JSON = dict[str, Any]
_SLACK_DEADLINE = 3.0  # seconds Slack waits for an app's answer / ack
_READ_METHODS = {"conversations.history", "conversations.replies", "conversations.info", "users.info"}
_BLOCK_TYPES = {
    "actions", "context", "divider", "file", "header", "image", "input", "markdown",
    "rich_text", "section", "table", "video", "call",
}  # fmt: skip
_INPUT_ELEMENTS = {
    "checkboxes", "channels_select", "conversations_select", "datepicker", "datetimepicker",
    "email_text_input", "external_select", "file_input", "multi_channels_select",
    "multi_conversations_select", "multi_external_select", "multi_static_select", "multi_users_select",
    "number_input", "plain_text_input", "radio_buttons", "rich_text_input", "static_select", "timepicker",
    "url_text_input", "users_select",
}  # fmt: skip
_ELEMENTS = _INPUT_ELEMENTS | {"button", "image", "overflow", "workflow_button"}


@dataclass
class Message:
    """A message as Slack stores it."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None
    user: str
    metadata: dict[str, Any] | None = None
    edits: int = 0
    history: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)


@dataclass(frozen=True)
class ApiCall:
    """One Web API call the app made (token removed from args)."""

    method: str
    args: dict[str, Any]
    at: float


@dataclass
class _Channel:
    id: str
    name: str
    bot_is_member: bool
    is_im: bool = False


@dataclass
class _Trigger:
    issued: float
    used: bool = False


class _ApiError(Exception):
    def __init__(
        self,
        error: str,
        *,
        messages: list[str] | None = None,
        violation: str | None = None,
        status: int = 200,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []
        self.violation = violation
        self.status = status
        self.retry_after = retry_after


# ============================================================================ Block Kit validation


class _Checker:
    """Light Block Kit validation with Slack-style error messages."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def err(self, pointer: str, message: str) -> None:
        self.errors.append(f"[ERROR] {message} [json-pointer:{pointer}]")

    def text(self, obj: Any, pointer: str, *, limit: int, plain: bool = False) -> None:
        if not isinstance(obj, dict) or obj.get("type") not in ({"plain_text"} if plain else {"plain_text", "mrkdwn"}):
            kinds = "plain_text" if plain else "plain_text or mrkdwn"
            self.err(pointer, f"must be a {kinds} text object")
            return
        value = obj.get("text")
        if not isinstance(value, str) or not value:
            self.err(pointer + "/text", "must be more than 0 characters")
        elif len(value) > limit:
            self.err(pointer + "/text", f"must be less than {limit + 1} characters")

    def length(self, value: Any, pointer: str, limit: int) -> None:
        if value is not None and len(str(value)) > limit:
            self.err(pointer, f"must be less than {limit + 1} characters")

    def option(self, option: Any, pointer: str, *, plain: bool) -> None:
        if not isinstance(option, dict):
            self.err(pointer, "must be an option object")
            return
        self.text(option.get("text"), pointer + "/text", limit=75, plain=plain)
        if not isinstance(option.get("value"), str) or not option["value"]:
            self.err(pointer + "/value", "must provide a string value")
        self.length(option.get("value"), pointer + "/value", 150)

    def element(self, el: Any, pointer: str, action_ids: set[str]) -> None:
        if not isinstance(el, dict) or el.get("type") not in _ELEMENTS:
            self.err(pointer + "/type", f"unknown element type {el.get('type') if isinstance(el, dict) else el!r}")
            return
        kind = el["type"]
        action_id = el.get("action_id")
        if action_id is not None:
            self.length(action_id, pointer + "/action_id", 255)
            if action_id in action_ids:
                self.err(pointer + "/action_id", f"action_id {action_id!r} already exists")
            action_ids.add(action_id)
        if "placeholder" in el:
            self.text(el["placeholder"], pointer + "/placeholder", limit=150, plain=True)
        if kind in {"button", "workflow_button"}:
            self.text(el.get("text"), pointer + "/text", limit=75, plain=True)
            self.length(el.get("value"), pointer + "/value", 2000)
            self.length(el.get("url"), pointer + "/url", 3000)
            if el.get("style") not in (None, "primary", "danger"):
                self.err(pointer + "/style", "must be one of primary, danger")
        elif kind in {"static_select", "multi_static_select", "radio_buttons", "checkboxes", "overflow"}:
            self._options(el, pointer)
        elif kind == "number_input" and not isinstance(el.get("is_decimal_allowed"), bool):
            self.err(pointer + "/is_decimal_allowed", "must provide a boolean value")
        elif kind == "plain_text_input":
            for key in ("max_length", "min_length"):
                if key in el and not (isinstance(el[key], int) and 0 <= el[key] <= 3000):
                    self.err(f"{pointer}/{key}", "must be an integer between 0 and 3000")

    def _options(self, el: JSON, pointer: str) -> None:
        kind = el["type"]
        has_options, has_groups = "options" in el, "option_groups" in el
        if has_options == has_groups and kind in {"static_select", "multi_static_select"}:
            self.err(pointer, "must provide exactly one of options or option_groups")
            return
        plain = kind in {"static_select", "multi_static_select", "overflow"}
        limit = {"radio_buttons": 10, "checkboxes": 10, "overflow": 5}.get(kind, 100)
        options = el.get("options") if has_options else None
        if has_options and (not isinstance(options, list) or not 1 <= len(options) <= limit):
            self.err(pointer + "/options", f"must provide between 1 and {limit} options")
        for i, option in enumerate(options or []):
            self.option(option, f"{pointer}/options/{i}", plain=plain)
        for g, group in enumerate(el.get("option_groups") or []):
            self.text(group.get("label"), f"{pointer}/option_groups/{g}/label", limit=75, plain=True)
            for i, option in enumerate(group.get("options") or []):
                self.option(option, f"{pointer}/option_groups/{g}/options/{i}", plain=plain)
        values = {o.get("value") for o in element_options(el)}
        initial = [el["initial_option"]] if isinstance(el.get("initial_option"), dict) else []
        initial += [o for o in el.get("initial_options") or [] if isinstance(o, dict)]
        for option in initial:
            if option.get("value") not in values:
                self.err(pointer + "/initial_option", "must match one of the provided options")

    def blocks(self, blocks: Any, pointer: str, *, limit: int, action_ids: set[str] | None = None) -> None:
        if not isinstance(blocks, list):
            self.err(pointer, "must be an array")
            return
        if len(blocks) > limit:
            self.err(pointer, f"must contain at most {limit} items")
        block_ids: set[str] = set()
        for i, block in enumerate(blocks):
            self.block(block, f"{pointer}/{i}", block_ids, set() if action_ids is None else action_ids)

    def block(self, block: Any, pointer: str, block_ids: set[str], action_ids: set[str]) -> None:
        if not isinstance(block, dict) or block.get("type") not in _BLOCK_TYPES:
            kind = block.get("type") if isinstance(block, dict) else block
            self.err(pointer + "/type", f"unknown block type {kind!r}")
            return
        kind = block["type"]
        block_id = block.get("block_id")
        if block_id is not None:
            self.length(block_id, pointer + "/block_id", 255)
            if block_id in block_ids:
                self.err(pointer + "/block_id", f"block_id {block_id!r} already exists")
            block_ids.add(block_id)
        if kind == "section":
            if "text" not in block and "fields" not in block:
                self.err(pointer, "must provide text or fields")
            if "text" in block:
                self.text(block["text"], pointer + "/text", limit=3000)
            fields = block.get("fields") or []
            if len(fields) > 10:
                self.err(pointer + "/fields", "must contain at most 10 items")
            for i, item in enumerate(fields):
                self.text(item, f"{pointer}/fields/{i}", limit=2000)
            if "accessory" in block:
                self.element(block["accessory"], pointer + "/accessory", action_ids)
        elif kind == "header":
            self.text(block.get("text"), pointer + "/text", limit=150, plain=True)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
                self.err(pointer + "/elements", "must provide between 1 and 10 elements")
            for i, item in enumerate(elements or []):
                if isinstance(item, dict) and item.get("type") != "image":
                    self.text(item, f"{pointer}/elements/{i}", limit=3000)
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= 25:
                self.err(pointer + "/elements", "must provide between 1 and 25 elements")
            for i, item in enumerate(elements or []):
                self.element(item, f"{pointer}/elements/{i}", action_ids)
        elif kind == "input":
            self.text(block.get("label"), pointer + "/label", limit=2000, plain=True)
            element = block.get("element")
            if not isinstance(element, dict) or element.get("type") not in _INPUT_ELEMENTS:
                self.err(pointer + "/element", "must provide an input element")
            else:
                self.element(element, pointer + "/element", action_ids)
            if "hint" in block:
                self.text(block["hint"], pointer + "/hint", limit=2000, plain=True)
        elif kind == "image":
            self.length(block.get("alt_text"), pointer + "/alt_text", 2000)

    def view(self, view: Any) -> None:
        if not isinstance(view, dict):
            self.err("/view", "must be an object")
            return
        if view.get("type") != "modal":
            self.err("/view/type", "must be modal")
        self.text(view.get("title"), "/view/title", limit=24, plain=True)
        for key in ("submit", "close"):
            if key in view and view[key] is not None:
                self.text(view[key], f"/view/{key}", limit=24, plain=True)
        blocks = view.get("blocks")
        self.blocks(blocks, "/view/blocks", limit=100, action_ids=set())
        has_input = isinstance(blocks, list) and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        if has_input and not view.get("submit"):
            self.err("/view/submit", "must provide submit when the view contains input blocks")
        self.length(view.get("callback_id"), "/view/callback_id", 255)
        self.length(view.get("private_metadata"), "/view/private_metadata", 3000)
        self.length(view.get("external_id"), "/view/external_id", 255)


def _check_view(view: Any) -> list[str]:
    checker = _Checker()
    checker.view(view)
    return checker.errors


def _check_message_blocks(blocks: Any) -> list[str]:
    checker = _Checker()
    checker.blocks(blocks, "/blocks", limit=50)
    return checker.errors


# ============================================================================ helpers


def _truthy(value: Any) -> bool:
    return value is True or value == 1 or str(value).lower() in {"1", "true"}


def _as_int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _decode(args: JSON, key: str, error: str) -> Any:
    """Form-encoded calls carry blocks/view/metadata as JSON strings; JSON calls as objects."""
    value = args.get(key)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise _ApiError(error) from None
    return value


def _cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _offset(cursor: Any) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(str(cursor)).decode().split(":", 1)[1])
    except (ValueError, IndexError):
        raise _ApiError("invalid_cursor") from None


def _page(items: list[JSON], args: JSON, default_limit: int) -> JSON:
    start = _offset(args.get("cursor"))
    limit = max(1, min(_as_int(args.get("limit"), default_limit), 1000))
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    return {
        "messages": chunk,
        "has_more": more,
        "response_metadata": {"next_cursor": _cursor(start + limit) if more else ""},
    }


class _Handler(BaseHTTPRequestHandler):
    """Routes /api/<method> and /response/<id> to the FakeSlack instance; never logs."""

    server: _HttpServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def _route(self) -> None:
        parts = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        fake = self.server.fake
        if parts.path.startswith("/api/"):
            status, headers, payload = fake._web_api(
                method=parts.path[len("/api/") :],
                query=parts.query,
                content_type=content_type,
                raw=raw,
                authorization=self.headers.get("Authorization") or "",
            )
            body = json.dumps(payload).encode()
            headers = {"Content-Type": "application/json; charset=utf-8", **headers}
        elif parts.path.startswith("/response/"):
            status, text = fake._response_url(parts.path[len("/response/") :], content_type, raw)
            body, headers = text.encode(), {"Content-Type": "text/plain; charset=utf-8"}
        else:
            status, body, headers = 404, b"Not Found", {"Content-Type": "text/plain"}
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], fake: FakeSlack) -> None:
        self.fake = fake
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # clients hanging up mid-request are not interesting


# ============================================================================ the fake


class FakeSlack:
    """Loopback stand-in for Slack: Web API server, request sender and Socket Mode endpoint in one."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test-token",  # noqa: S107 - fake credentials for tests
        app_token: str = "xapp-test-token",  # noqa: S107
        signing_secret: str = "test-signing-secret",  # noqa: S107
        team_id: str = "T0LEADMOVR",
        bot_user_id: str = "U0LEADBOT",
        host: str = "127.0.0.1",
        port: int = 0,
        trigger_ttl: float = 3.0,
        app_id: str = "A0LEADMOVR",
        bot_id: str = "B0LEADBOT",
        socket_ack_timeout: float = 5.0,
        record_calls: bool = True,
        keep_history: bool = True,
        on_call: Callable[[ApiCall, int, JSON], None] | None = None,
        update_limit_per_minute: int | None = None,
        post_rate_per_channel: float | None = None,
        post_burst: float = 3.0,
        keep_alive: bool = False,
    ) -> None:
        """The defaults suit tests. Opt-in knobs, for benchmarks:

        - `record_calls=False`: keep no `calls` list (only `call_count`); `keep_history=False`: keep no
          per-message edit history. Long runs then stay small.
        - `on_call(call, http_status, answer)`: called after every Web API call (from the server's threads).
        - `update_limit_per_minute`: chat.update calls allowed in any 60 s (Slack: ~50 per workspace);
          `post_rate_per_channel` and `post_burst`: chat.postMessage per second per channel, with a short burst
          (Slack: ~1/s). Beyond them Slack answers HTTP 429 `ratelimited` with Retry-After; counted in
          `rate_limited` by method.
        - `keep_alive=True`: send requests to the app over one pooled HTTP client with kept-alive connections, so
          `AppResponse.elapsed` is the app's answer alone, not also building a client (~30 ms each).
        """
        self.bot_token = bot_token
        self.app_token = app_token
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.trigger_ttl = trigger_ttl
        self.socket_ack_timeout = socket_ack_timeout
        self._host, self._port = host, port
        verification = "fake-verification-token"  # the deprecated `token` field of payloads
        self._ws = Workspace(
            team_id=team_id, team_domain="leadmover-test", app_id=app_id, verification_token=verification
        )
        self._lock = threading.RLock()
        self.calls: list[ApiCall] = []
        self.violations: list[str] = []
        self.responses: list[dict[str, Any]] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.delay: dict[str, float] = {}
        self.call_count = 0
        self.rate_limited: collections.Counter[str] = collections.Counter()
        self._record_calls = record_calls
        self._keep_history = keep_history
        self._on_call = on_call
        self._update_limit = update_limit_per_minute
        self._updates_sent: collections.deque[float] = collections.deque()
        self._post_rate = post_rate_per_channel
        self._post_burst = max(1.0, post_burst)
        self._post_tokens: dict[str, tuple[float, float]] = {}  # channel -> (tokens, when counted)
        self._views_by_trigger: dict[str, str] = {}
        self._keep_alive = keep_alive
        self._app_client: httpx.Client | None = None
        self._failures: dict[str, list[tuple[str, int | None]]] = {}
        self._channels: dict[str, _Channel] = {}
        self._messages: dict[str, list[Message]] = {}
        self._replies: dict[tuple[str, str], list[Message]] = {}
        self._edited_ts: dict[tuple[str, str], str] = {}
        self._users: dict[str, JSON] = {}
        self._last_ts = 0
        self._triggers: dict[str, _Trigger] = {}
        self._response_urls: dict[str, int] = {}
        self._views: dict[str, JSON] = {}
        self._opened: list[str] = []
        self._closed: set[str] = set()
        self._loaded_options: dict[str, dict[str, list[JSON]]] = {}
        self._tickets: set[str] = set()
        self._server: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._socket = SocketModeServer(host=host, app_id=app_id, ticket_ok=self._ticket_ok, report=self._violation)
        self._methods: dict[str, Callable[[JSON], JSON]] = {
            "api.test": lambda args: {"args": args},
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "conversations.info": self._conversations_info,
            "conversations.open": self._conversations_open,
            "users.info": self._users_info,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
        }

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeSlack:
        """Start the Web API server (Socket Mode starts on the first apps.connections.open)."""
        with self._lock:
            if self._server is None:
                self._socket.enable()
                self._server = _HttpServer((self._host, self._port), self)
                self._thread = threading.Thread(
                    target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
                )
                self._thread.start()
        return self

    def stop(self) -> None:
        """Shut everything down (idempotent)."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        self._socket.stop()
        with self._lock:
            app_client, self._app_client = self._app_client, None
        if app_client is not None:
            app_client.close()
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        with self._lock:
            if self._server is None:
                raise RuntimeError("FakeSlack is not started")
            return f"http://{self._host}:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        """Web API base URL in slack_sdk's ``base_url`` form (trailing slash)."""
        return f"{self.base_url}/api/"

    # ------------------------------------------------------------------ inspection and setup

    def calls_to(self, method: str) -> list[ApiCall]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def add_channel(self, channel_id: str, name: str, *, bot_is_member: bool = True) -> None:
        with self._lock:
            self._channels[channel_id] = _Channel(channel_id, name, bot_is_member, is_im=channel_id.startswith("D"))
            self._messages.setdefault(channel_id, [])

    def add_user(self, user_id: str, *, name: str, real_name: str, tz: str = "Europe/Berlin") -> None:
        """Override the user users.info reports (any U…/W… id gets a generated one otherwise)."""
        with self._lock:
            self._users[user_id] = self._user_json(user_id, name=name, real_name=real_name, tz=tz)

    def messages(self, channel: str) -> list[Message]:
        """Snapshot of the top-level messages of a channel (or a user's DM), oldest first."""
        with self._lock:
            channel_id = self._lookup_channel(channel)
            return copy.deepcopy(self._messages.get(channel_id or "", []))

    def replies(self, channel: str, thread_ts: str) -> list[Message]:
        """Snapshot of the replies in a thread (not the parent), oldest first."""
        with self._lock:
            channel_id = self._lookup_channel(channel) or ""
            return copy.deepcopy(self._replies.get((channel_id, thread_ts), []))

    def opened_views(self) -> list[dict[str, Any]]:
        """Views opened with views.open, in order, as currently stored (with ``id`` and ``hash``)."""
        with self._lock:
            return [copy.deepcopy(self._views[view_id]) for view_id in self._opened]

    def view_opened_by(self, trigger_id: str) -> dict[str, Any] | None:
        """The view that views.open opened with this trigger_id, if it did (copies only that view)."""
        with self._lock:
            view_id = self._views_by_trigger.get(trigger_id)
            return copy.deepcopy(self._views[view_id]) if view_id is not None else None

    def view(self, view_id: str) -> dict[str, Any]:
        """The stored view with this id (opened, pushed or updated)."""
        with self._lock:
            return copy.deepcopy(self._views[view_id])

    def wait_for(self, predicate: Callable[[], bool], *, timeout: float = 10.0, interval: float = 0.02) -> bool:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                return False
            time.sleep(interval)
        return True

    def fail_next(self, method: str, error: str, *, times: int = 1, retry_after: int | None = None) -> None:
        """Answer the next ``times`` calls of ``method`` with ``error`` ("ratelimited" -> HTTP 429)."""
        with self._lock:
            self._failures.setdefault(method, []).extend([(error, retry_after)] * times)

    def clear_failures(self, method: str) -> None:
        """Forget the failures still queued for ``method`` (the fault is over)."""
        with self._lock:
            self._failures.pop(method, None)

    def issue_trigger_id(self) -> str:
        """A fresh trigger_id, valid once for ``trigger_ttl`` seconds (as Slack puts into interactions)."""
        trigger_id = f"{secrets.randbelow(10**11)}.{secrets.randbelow(10**9)}.{secrets.token_hex(16)}"
        with self._lock:
            self._triggers[trigger_id] = _Trigger(issued=time.monotonic())
        return trigger_id

    def _violation(self, text: str) -> None:
        with self._lock:
            self.violations.append(text)

    # ------------------------------------------------------------------ Slack -> app (HTTP)

    def send_command(
        self,
        app_url: str,
        *,
        text: str,
        command: str = "/leads",
        user_id: str = "U0ALICE",
        user_name: str = "alice",
        channel_id: str = "C0SALES",
        channel_name: str = "sales",
        trigger_id: str | None = None,
    ) -> AppResponse:
        """POST a signed slash command to the app, like Slack does when a user types it.

        `trigger_id` (from issue_trigger_id) lets the caller find the view it opens with view_opened_by().
        """
        fields = self._command_fields(text, command, user_id, user_name, channel_id, channel_name, trigger_id)
        response = self._post_to_app(app_url, urlencode(fields))
        self._check_command_answer(command, response)
        return response

    def submit_view(
        self, app_url: str, *, view_id: str, values: Mapping[str, Any], user_id: str = "U0ALICE"
    ) -> AppResponse:
        """POST a signed view_submission for a stored view, with ``values`` keyed by block_id (or action_id)."""
        payload = self._submission_payload(view_id, values, user_id)
        response = self._post_to_app(app_url, form_body(payload))
        self._after_submission(view_id, response)
        return response

    def load_options(
        self, app_url: str, *, view_id: str, action_id: str, value: str, user_id: str = "U0ALICE"
    ) -> AppResponse:
        """POST a signed block_suggestion (an external select's options load) for a stored view."""
        payload = self._suggestion_payload(view_id, action_id, value, user_id)
        response = self._post_to_app(app_url, form_body(payload))
        self._after_suggestion(view_id, action_id, response)
        return response

    def _post_to_app(self, app_url: str, body: str) -> AppResponse:
        if not self._keep_alive:
            return post_signed(app_url=app_url, body=body, signing_secret=self.signing_secret)
        with self._lock:
            if self._app_client is None:
                limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
                self._app_client = httpx.Client(trust_env=False, timeout=10.0, limits=limits)
            client = self._app_client
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": sign(signing_secret=self.signing_secret, timestamp=timestamp, body=body),
        }
        started = time.monotonic()
        try:
            response = client.post(app_url, content=body.encode(), headers=headers)
        except httpx.TimeoutException:
            return AppResponse(status=504, body="", elapsed=time.monotonic() - started)
        return AppResponse(status=response.status_code, body=response.text, elapsed=time.monotonic() - started)

    # ------------------------------------------------------------------ Slack -> app (Socket Mode)

    def wait_for_socket(self, *, timeout: float = 10.0) -> bool:
        """True once an app is connected over Socket Mode."""
        return self._socket.wait_for_connection(timeout=timeout)

    def socket_send_command(
        self,
        *,
        text: str,
        command: str = "/leads",
        user_id: str = "U0ALICE",
        user_name: str = "alice",
        channel_id: str = "C0SALES",
        channel_name: str = "sales",
    ) -> AppResponse:
        """Deliver a slash_commands envelope over Socket Mode and wait for the app's ack."""
        fields = self._command_fields(text, command, user_id, user_name, channel_id, channel_name)
        response = self._deliver("slash_commands", dict(fields))
        if response.status == 200:
            self._check_command_answer(command, response)
        return response

    def socket_submit_view(self, *, view_id: str, values: Mapping[str, Any], user_id: str = "U0ALICE") -> AppResponse:
        """submit_view, delivered as an ``interactive`` Socket Mode envelope."""
        response = self._deliver("interactive", self._submission_payload(view_id, values, user_id))
        if response.status == 200:
            self._after_submission(view_id, response)
        return response

    def socket_load_options(self, *, view_id: str, action_id: str, value: str, user_id: str = "U0ALICE") -> AppResponse:
        """load_options, delivered as an ``interactive`` Socket Mode envelope."""
        response = self._deliver("interactive", self._suggestion_payload(view_id, action_id, value, user_id))
        if response.status == 200:
            self._after_suggestion(view_id, action_id, response)
        return response

    def _deliver(self, envelope_type: str, payload: JSON) -> AppResponse:
        response = self._socket.deliver(
            envelope_type=envelope_type, payload=payload, ack_timeout=self.socket_ack_timeout
        )
        if response.status != 200:
            self._violation(f"socket mode: {envelope_type} envelope not acked within {self.socket_ack_timeout}s")
        return response

    # ------------------------------------------------------------------ payload building / answer checks

    def _command_fields(
        self,
        text: str,
        command: str,
        user_id: str,
        user_name: str,
        channel_id: str,
        channel_name: str,
        trigger_id: str | None = None,
    ) -> dict[str, str]:
        response_id = secrets.token_hex(12)
        with self._lock:
            self._response_urls[response_id] = 0
        return command_fields(
            ws=self._ws,
            command=command,
            text=text,
            user_id=user_id,
            user_name=user_name,
            channel_id=channel_id,
            channel_name=channel_name,
            response_url=f"{self.base_url}/response/{response_id}",
            trigger_id=trigger_id or self.issue_trigger_id(),
        )

    def _check_command_answer(self, command: str, response: AppResponse) -> None:
        if response.elapsed > _SLACK_DEADLINE:
            self._violation(f"{command}: app answered after {response.elapsed:.2f}s (Slack gives up after 3 s)")
        if response.status != 200:
            self._violation(f"{command}: app answered HTTP {response.status}: {response.body[:200]}")
            return
        try:
            answer = response.json()
        except ValueError:
            return  # a plain-text answer is shown as-is
        if isinstance(answer, dict):
            self._check_response_message(answer, f"{command} response")

    def _check_response_message(self, body: JSON, where: str) -> list[str]:
        errors = _check_message_blocks(body["blocks"]) if "blocks" in body else []
        if body.get("response_type") not in (None, "in_channel", "ephemeral"):
            errors.append(f"unknown response_type {body.get('response_type')!r}")
        for error in errors:
            self._violation(f"{where}: {error}")
        return errors

    def _submission_payload(self, view_id: str, values: Mapping[str, Any], user_id: str) -> JSON:
        with self._lock:
            if view_id not in self._views:
                raise ValueError(f"unknown view {view_id!r}")
            if view_id in self._closed:
                raise ValueError(f"view {view_id!r} is closed; Slack cannot submit it")
            view = copy.deepcopy(self._views[view_id])
            known = copy.deepcopy(self._loaded_options.get(view_id, {}))
        state = build_state_values(view, values, known)
        check_submittable(view, state)
        with self._lock:
            self._views[view_id]["state"] = {"values": copy.deepcopy(state)}
        return view_submission_payload(
            ws=self._ws, view=view, state=state, user_id=user_id, trigger_id=self.issue_trigger_id()
        )

    def _after_submission(self, view_id: str, response: AppResponse) -> None:
        where = f"view_submission {view_id}"
        if response.elapsed > _SLACK_DEADLINE:
            self._violation(f"{where}: app answered after {response.elapsed:.2f}s (Slack allows 3 s)")
        if response.status != 200:
            self._violation(f"{where}: app answered HTTP {response.status}: {response.body[:200]}")
            return
        try:
            answer = response.json()
        except ValueError:
            self._violation(f"{where}: answer is neither empty nor JSON: {response.body[:200]!r}")
            return
        with self._lock:
            self._apply_submission_answer(view_id, answer, where)

    def _apply_submission_answer(self, view_id: str, answer: Any, where: str) -> None:
        if not answer:
            self._closed.add(view_id)
            return
        action = answer.get("response_action") if isinstance(answer, dict) else None
        if action == "errors":
            inputs = {b.get("block_id") for b in self._views[view_id]["blocks"] if b.get("type") == "input"}
            errors = answer.get("errors")
            if not isinstance(errors, dict) or not errors:
                self._violation(f"{where}: response_action errors needs a non-empty errors object")
            else:
                for block_id in errors:
                    if block_id not in inputs:
                        self._violation(f"{where}: errors names {block_id!r}, which is not an input block")
        elif action in ("update", "push"):
            problems = _check_view(answer.get("view"))
            for problem in problems:
                self._violation(f"{where}: response_action {action}: {problem}")
            if not problems and action == "update":
                self._store_view(answer["view"], view_id=view_id)
            elif not problems:
                self._store_view(answer["view"], previous_view_id=view_id)
        elif action == "clear":
            self._closed.update(self._views)
        else:
            self._violation(f"{where}: unknown response_action in {answer!r:.200}")

    def _suggestion_payload(self, view_id: str, action_id: str, value: str, user_id: str) -> JSON:
        with self._lock:
            if view_id not in self._views:
                raise ValueError(f"unknown view {view_id!r}")
            view = copy.deepcopy(self._views[view_id])
        _, element = find_action(view, action_id)
        if element.get("type") not in {"external_select", "multi_external_select"}:
            raise ValueError(f"{action_id!r} is a {element.get('type')}, not an external select")
        min_length = int(element.get("min_query_length", 3))
        if len(value) < min_length:
            raise ValueError(f"Slack only loads options after {min_length} typed characters, got {value!r}")
        state = build_state_values(view, {}, {})
        return block_suggestion_payload(
            ws=self._ws, view=view, state=state, action_id=action_id, value=value, user_id=user_id
        )

    def _after_suggestion(self, view_id: str, action_id: str, response: AppResponse) -> None:
        where = f"block_suggestion {action_id}"
        if response.elapsed > _SLACK_DEADLINE:
            self._violation(f"{where}: app answered after {response.elapsed:.2f}s (Slack allows 3 s)")
        try:
            answer = response.json() if response.status == 200 else None
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or not ("options" in answer or "option_groups" in answer):
            self._violation(f"{where}: expected HTTP 200 with options or option_groups, got {response.status}")
            return
        checker = _Checker()
        # "No results" is an empty `options` list; only a non-empty answer is held to static_select's rules.
        if answer.get("options") != []:
            checker.element({"type": "static_select", **answer}, "", set())
        for error in checker.errors:
            self._violation(f"{where}: {error}")
        with self._lock:
            self._loaded_options.setdefault(view_id, {})[action_id] = element_options(answer)

    # ------------------------------------------------------------------ response_url

    def _response_url(self, response_id: str, content_type: str, raw: bytes) -> tuple[int, str]:
        with self._lock:
            uses = self._response_urls.get(response_id)
            if uses is None or uses >= 5:
                self._violation(f"response_url: unknown or used more than 5 times ({response_id})")
                return 404, "used_url" if uses is not None else "no_service"
            self._response_urls[response_id] = uses + 1
        try:
            if content_type == "application/x-www-form-urlencoded":
                body = json.loads(dict(parse_qsl(raw.decode())).get("payload", "{}"))
            else:
                body = json.loads(raw or b"{}")
        except ValueError:
            self._violation("response_url: body is not JSON")
            return 400, "invalid_payload"
        if not isinstance(body, dict):
            return 400, "invalid_payload"
        with self._lock:
            self.responses.append(body)
        if not any(k in body for k in ("text", "blocks", "attachments", "delete_original")):
            self._violation("response_url: body has neither text nor blocks")
            return 400, "no_text"
        if self._check_response_message(body, "response_url"):
            return 400, "invalid_blocks"
        return 200, "ok"

    # ------------------------------------------------------------------ Web API plumbing

    def _web_api(
        self, *, method: str, query: str, content_type: str, raw: bytes, authorization: str
    ) -> tuple[int, dict[str, str], JSON]:
        args: JSON = dict(parse_qsl(query, keep_blank_values=True))
        json_token, bad_json = False, False
        if content_type == "application/json" and raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            bad_json = not isinstance(body, dict)
            if isinstance(body, dict):
                json_token = body.pop("token", None) is not None
                if method in _READ_METHODS and body:
                    self._violation(f"{method}: Slack ignores JSON bodies for this method; send form or query args")
                else:
                    args.update(body)
        elif raw:
            args.update(parse_qsl(raw.decode(), keep_blank_values=True))
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
        if delay:
            time.sleep(delay)  # after handling: Slack was slow to answer, not slow to act
        return status, headers, payload

    def _dispatch(
        self, method: str, args: JSON, token: str | None, *, json_token: bool, bad_json: bool
    ) -> tuple[int, dict[str, str], JSON]:
        try:
            if bad_json:
                raise _ApiError("invalid_json", violation=f"{method}: request body is not a JSON object")
            self._check_token(method, token, json_token)
            self._injected_failure(method)
            self._rate_limit(method, args)
            handler = self._methods.get(method)
            if handler is None:
                raise _ApiError("unknown_method", violation=f"{method}: unknown or unsupported Web API method")
            return 200, {}, {"ok": True, **handler(args)}
        except _ApiError as exc:
            payload: JSON = {"ok": False, "error": exc.error}
            if exc.messages:
                payload["response_metadata"] = {"messages": exc.messages}
            if exc.violation:
                self._violation(exc.violation)
            headers = {} if exc.retry_after is None else {"Retry-After": str(exc.retry_after)}
            return exc.status, headers, payload

    def _check_token(self, method: str, token: str | None, json_token: bool) -> None:
        wanted = self.app_token if method == "apps.connections.open" else self.bot_token
        if not token:
            hint = " (a token in a JSON body is ignored; use the Authorization header)" if json_token else ""
            raise _ApiError("invalid_auth", violation=f"{method}: called without a token{hint}")
        if token in (self.app_token, self.bot_token) and token != wanted:
            raise _ApiError("not_allowed_token_type", violation=f"{method}: called with the wrong kind of token")
        if token != wanted:
            raise _ApiError("invalid_auth")

    def _injected_failure(self, method: str) -> None:
        with self._lock:
            queue = self._failures.get(method)
            if not queue:
                return
            error, retry_after = queue.pop(0)
        if error == "ratelimited":
            raise _ApiError(error, status=429, retry_after=1 if retry_after is None else retry_after)
        raise _ApiError(error)

    def _rate_limit(self, method: str, args: JSON) -> None:
        """Slack's limits, when switched on: a call over them uses up nothing and is answered `ratelimited`."""
        if method == "chat.update" and self._update_limit is not None:
            with self._lock:
                now = time.monotonic()
                while self._updates_sent and self._updates_sent[0] <= now - 60.0:
                    self._updates_sent.popleft()
                if len(self._updates_sent) >= self._update_limit:
                    self.rate_limited[method] += 1
                    wait = self._updates_sent[0] + 60.0 - now
                    raise _ApiError("ratelimited", status=429, retry_after=max(1, math.ceil(wait)))
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
                    raise _ApiError("ratelimited", status=429, retry_after=max(1, math.ceil(wait)))
                self._post_tokens[channel] = (tokens - 1.0, now)

    # ------------------------------------------------------------------ channels and messages (lock held)

    def _lookup_channel(self, channel: str) -> str | None:
        if channel in self._channels:
            return channel
        if channel[:1] in ("U", "W") and f"D{channel}" in self._channels:
            return f"D{channel}"
        name = channel.lstrip("#")
        return next((c.id for c in self._channels.values() if c.name == name and not c.is_im), None)

    def _channel_for_post(self, channel: Any) -> _Channel:
        """Resolve a chat.* target: known channels, auto-created C/G ids, user ids -> DM ``D<user>``."""
        raw = str(channel or "")
        found = self._lookup_channel(raw) if raw else None
        if found is None:
            if _is_id(raw, "UW"):
                self.add_channel(f"D{raw}", raw)
                found = f"D{raw}"
            elif _is_id(raw, "CG"):
                self.add_channel(raw, raw.lower())
                found = raw
            else:
                raise _ApiError("channel_not_found")
        result = self._channels[found]
        if not result.bot_is_member:
            raise _ApiError("not_in_channel")
        return result

    def _channel_for_read(self, channel: Any) -> _Channel:
        found = self._lookup_channel(str(channel or ""))
        if found is None:
            raise _ApiError("channel_not_found")
        if not self._channels[found].bot_is_member:
            raise _ApiError("not_in_channel")
        return self._channels[found]

    def _next_ts(self) -> str:
        self._last_ts = max(self._last_ts + 1, int(time.time() * 1_000_000))
        return f"{self._last_ts // 1_000_000}.{self._last_ts % 1_000_000:06d}"

    def _find(self, channel_id: str, ts: str) -> Message:
        for message in self._messages.get(channel_id, []):
            if message.ts == ts:
                return message
        for (chan, _), replies in self._replies.items():
            for message in replies:
                if chan == channel_id and message.ts == ts:
                    return message
        raise _ApiError("message_not_found")

    def _content(self, args: JSON, method: str) -> tuple[str | None, list[JSON] | None, JSON | None]:
        """(text, blocks, metadata) of a chat.* call; each None when not given."""
        blocks = _decode(args, "blocks", "invalid_blocks_format")
        if blocks is not None:
            errors = _check_message_blocks(blocks)
            if errors:
                raise _ApiError("invalid_blocks", messages=errors, violation=f"{method}: invalid_blocks: {errors}")
        attachments = _decode(args, "attachments", "invalid_attachments")
        text = None if args.get("text") is None else str(args["text"])
        if not text and not blocks and not attachments:
            raise _ApiError("no_text", violation=f"{method}: neither text nor blocks given")
        if text is not None and len(text) > 40_000:
            raise _ApiError("msg_too_long", violation=f"{method}: text longer than 40000 characters")
        metadata = _decode(args, "metadata", "invalid_metadata_format")
        if metadata is not None and not (
            isinstance(metadata, dict)
            and isinstance(metadata.get("event_type"), str)
            and isinstance(metadata.get("event_payload"), dict)
        ):
            raise _ApiError(
                "invalid_metadata_format", violation=f"{method}: metadata needs event_type and event_payload"
            )
        return text, blocks, metadata

    def _message_json(self, message: Message, *, metadata: bool) -> JSON:
        out: JSON = {
            "type": "message",
            "user": message.user,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "text": message.text,
            "ts": message.ts,
            "team": self.team_id,
            "blocks": copy.deepcopy(message.blocks),
        }
        if message.thread_ts:
            out["thread_ts"] = message.thread_ts
            out["parent_user_id"] = self._find(message.channel, message.thread_ts).user
        elif replies := self._replies.get((message.channel, message.ts)):
            users = sorted({reply.user for reply in replies})
            out.update(
                thread_ts=message.ts,
                reply_count=len(replies),
                reply_users=users,
                reply_users_count=len(users),
                latest_reply=replies[-1].ts,
            )
        if edited := self._edited_ts.get((message.channel, message.ts)):
            out["edited"] = {"user": message.user, "ts": edited}
        if metadata and message.metadata is not None:
            out["metadata"] = copy.deepcopy(message.metadata)
        return out

    def _user_json(self, user_id: str, *, name: str, real_name: str, tz: str = "Europe/Berlin") -> JSON:
        return {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": False,
            "real_name": real_name,
            "tz": tz,
            "tz_label": "Central European Time",
            "tz_offset": 3600,
            "is_bot": user_id == self.bot_user_id,
            "is_admin": False,
            "profile": {
                "real_name": real_name,
                "display_name": name,
                "email": f"{name}@leadmover.test",
                "team": self.team_id,
            },
        }

    # ------------------------------------------------------------------ Web API methods

    def _auth_test(self, args: JSON) -> JSON:
        return {
            "url": f"https://{self._ws.team_domain}.slack.com/",
            "team": "LeadMover Test",
            "user": "leadmover",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, args: JSON) -> JSON:
        try:
            self._socket.start()
        except ImportError:
            raise _ApiError("internal_error", violation="apps.connections.open: websockets is not installed") from None
        except RuntimeError:  # stopping
            raise _ApiError("internal_error") from None
        ticket = secrets.token_hex(16)
        with self._lock:
            self._tickets.add(ticket)
        return {"url": self._socket.url(ticket)}

    def _ticket_ok(self, ticket: str) -> bool:
        with self._lock:
            return ticket in self._tickets

    def _chat_post_message(self, args: JSON) -> JSON:
        with self._lock:
            channel = self._channel_for_post(args.get("channel"))
            text, blocks, metadata = self._content(args, "chat.postMessage")
            thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
            if thread_ts and thread_ts not in {m.ts for m in self._messages[channel.id]}:
                raise _ApiError(
                    "thread_not_found",
                    violation=f"chat.postMessage: thread_ts {thread_ts} is not a top-level message in {channel.id}",
                )
            message = Message(
                channel=channel.id,
                ts=self._next_ts(),
                text=text or "",
                blocks=blocks or [],
                thread_ts=thread_ts,
                user=self.bot_user_id,
                metadata=metadata,
            )
            if self._keep_history:
                message.history.append((message.text, copy.deepcopy(message.blocks)))
            if thread_ts:
                self._replies.setdefault((channel.id, thread_ts), []).append(message)
            else:
                self._messages[channel.id].append(message)
            return {"channel": channel.id, "ts": message.ts, "message": self._message_json(message, metadata=True)}

    def _chat_update(self, args: JSON) -> JSON:
        with self._lock:
            channel = self._channel_for_read(args.get("channel"))
            message = self._find(channel.id, str(args.get("ts") or ""))
            text, blocks, metadata = self._content(args, "chat.update")
            if text is not None:
                message.text = text
            if blocks is not None:
                message.blocks = blocks
            if metadata is not None:
                message.metadata = metadata
            message.edits += 1
            if self._keep_history:
                message.history.append((message.text, copy.deepcopy(message.blocks)))
            self._edited_ts[(channel.id, message.ts)] = self._next_ts()
            return {
                "channel": channel.id,
                "ts": message.ts,
                "text": message.text,
                "message": self._message_json(message, metadata=True),
            }

    def _chat_delete(self, args: JSON) -> JSON:
        with self._lock:
            channel = self._channel_for_read(args.get("channel"))
            message = self._find(channel.id, str(args.get("ts") or ""))
            if message.thread_ts:
                self._replies[(channel.id, message.thread_ts)].remove(message)
            else:
                self._messages[channel.id].remove(message)
            return {"channel": channel.id, "ts": message.ts}

    def _chat_post_ephemeral(self, args: JSON) -> JSON:
        with self._lock:
            channel = self._channel_for_post(args.get("channel"))
            if not args.get("user"):
                raise _ApiError("user_not_found", violation="chat.postEphemeral: no user given")
            text, blocks, _ = self._content(args, "chat.postEphemeral")
            ts = self._next_ts()
            self.ephemerals.append(
                {
                    "channel": channel.id,
                    "user": str(args["user"]),
                    "text": text or "",
                    "blocks": blocks or [],
                    "thread_ts": args.get("thread_ts"),
                    "message_ts": ts,
                }
            )
            return {"message_ts": ts}

    def _chat_get_permalink(self, args: JSON) -> JSON:
        with self._lock:
            channel = self._channel_for_read(args.get("channel"))
            message = self._find(channel.id, str(args.get("message_ts") or ""))
            link = f"https://{self._ws.team_domain}.slack.com/archives/{channel.id}/p{message.ts.replace('.', '')}"
            return {"channel": channel.id, "permalink": link}

    def _conversations_history(self, args: JSON) -> JSON:
        with self._lock:
            channel = self._channel_for_read(args.get("channel"))
            metadata = _truthy(args.get("include_all_metadata"))
            inclusive = _truthy(args.get("inclusive"))
            oldest = float(args.get("oldest") or 0)
            latest = float(args.get("latest") or "inf")

            def in_range(ts: float) -> bool:
                if inclusive:
                    return oldest <= ts <= latest
                return oldest < ts < latest or (ts == oldest == 0)

            found = [
                self._message_json(m, metadata=metadata)
                for m in reversed(self._messages[channel.id])
                if in_range(float(m.ts))
            ]
            return _page(found, args, 100)

    def _conversations_replies(self, args: JSON) -> JSON:
        with self._lock:
            channel = self._channel_for_read(args.get("channel"))
            ts = str(args.get("ts") or "")
            try:
                parent = self._find(channel.id, ts)
            except _ApiError:
                raise _ApiError("thread_not_found") from None
            if parent.thread_ts:
                parent = self._find(channel.id, parent.thread_ts)
            metadata = _truthy(args.get("include_all_metadata"))
            thread = [parent, *self._replies.get((channel.id, parent.ts), [])]
            return _page([self._message_json(m, metadata=metadata) for m in thread], args, 1000)

    def _conversations_info(self, args: JSON) -> JSON:
        with self._lock:
            found = self._lookup_channel(str(args.get("channel") or ""))
            if found is None:
                raise _ApiError("channel_not_found")
            channel = self._channels[found]
            return {
                "channel": {
                    "id": channel.id,
                    "name": channel.name,
                    "is_channel": not channel.is_im,
                    "is_im": channel.is_im,
                    "is_private": False,
                    "is_member": channel.bot_is_member,
                    "is_archived": False,
                }
            }

    def _conversations_open(self, args: JSON) -> JSON:
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if len(users) != 1 or not _is_id(users[0], "UW"):
            raise _ApiError("invalid_arguments" if not users else "user_not_found")
        with self._lock:
            channel = self._channel_for_post(users[0])
            return {"channel": {"id": channel.id, "is_im": True, "user": users[0]}}

    def _users_info(self, args: JSON) -> JSON:
        user_id = str(args.get("user") or "")
        with self._lock:
            if user_id in self._users:
                return {"user": copy.deepcopy(self._users[user_id])}
        if not _is_id(user_id, "UW"):
            raise _ApiError("user_not_found")
        name = username_for(user_id)
        return {"user": self._user_json(user_id, name=name, real_name=name.replace("_", " ").title())}

    def _check_trigger(self, trigger_id: str, method: str) -> _Trigger:
        trigger = self._triggers.get(trigger_id)
        if trigger is None:
            raise _ApiError("invalid_trigger_id", violation=f"{method}: trigger_id {trigger_id!r} was never issued")
        if trigger.used:
            raise _ApiError("exchanged_trigger_id", violation=f"{method}: trigger_id used twice")
        age = time.monotonic() - trigger.issued
        if age > self.trigger_ttl:
            raise _ApiError(
                "expired_trigger_id",
                violation=f"{method}: trigger_id used {age:.2f}s after issue (limit {self.trigger_ttl:g}s): too slow",
            )
        return trigger

    def _checked_view(self, args: JSON, method: str) -> JSON:
        view = _decode(args, "view", "invalid_arguments")
        errors = _check_view(view)
        if errors:
            raise _ApiError("invalid_arguments", messages=errors, violation=f"{method}: invalid view: {errors}")
        return cast(JSON, view)

    def _views_open(self, args: JSON) -> JSON:
        with self._lock:
            trigger = self._check_trigger(str(args.get("trigger_id") or ""), "views.open")
            view = self._checked_view(args, "views.open")
            trigger.used = True
            stored = self._store_view(view)
            self._opened.append(stored["id"])
            self._views_by_trigger[str(args.get("trigger_id"))] = stored["id"]
            return {"view": copy.deepcopy(stored)}

    def _views_push(self, args: JSON) -> JSON:
        with self._lock:
            trigger = self._check_trigger(str(args.get("trigger_id") or ""), "views.push")
            view = self._checked_view(args, "views.push")
            open_views = [v for v in self._views if v not in self._closed]
            if not open_views:
                raise _ApiError("not_found", violation="views.push: no modal is open to push onto")
            trigger.used = True
            return {"view": copy.deepcopy(self._store_view(view, previous_view_id=open_views[-1]))}

    def _views_update(self, args: JSON) -> JSON:
        with self._lock:
            view_id = str(args.get("view_id") or "")
            if not view_id and args.get("external_id"):
                matches = [v for v, s in self._views.items() if s.get("external_id") == args["external_id"]]
                view_id = matches[-1] if matches else ""
            if view_id not in self._views:
                raise _ApiError("not_found", violation=f"views.update: no view {view_id or args.get('external_id')!r}")
            if args.get("hash") and args["hash"] != self._views[view_id]["hash"]:
                raise _ApiError("hash_conflict")
            view = self._checked_view(args, "views.update")
            return {"view": copy.deepcopy(self._store_view(view, view_id=view_id))}

    def _store_view(self, view: JSON, *, view_id: str | None = None, previous_view_id: str | None = None) -> JSON:
        """Store a view the way Slack echoes it back (ids assigned, defaults filled in). Lock held."""
        old = self._views.get(view_id or "")
        new_id = view_id or "V" + _random_id(10, upper=True)
        blocks = copy.deepcopy(view.get("blocks") or [])
        for block in blocks:
            block.setdefault("block_id", _random_id(5))
            for element in _elements(block):
                element.setdefault("action_id", _random_id(5))
        previous = old["previous_view_id"] if old else previous_view_id
        root = old["root_view_id"] if old else (self._views[previous]["root_view_id"] if previous else new_id)
        stored: JSON = {
            "id": new_id,
            "team_id": self.team_id,
            "type": view.get("type", "modal"),
            "blocks": blocks,
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "title": copy.deepcopy(view.get("title")),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": copy.deepcopy(view.get("close")),
            "submit": copy.deepcopy(view.get("submit")),
            "previous_view_id": previous,
            "root_view_id": root,
            "app_id": self.app_id,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        self._views[new_id] = stored
        return stored


def _is_id(value: str, prefixes: str) -> bool:
    return len(value) > 2 and value[0] in prefixes and value.isalnum() and value.isupper()


def _random_id(length: int, *, upper: bool = False) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    alphabet += "" if upper else "abcdefghijklmnopqrstuvwxyz"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _elements(block: JSON) -> list[JSON]:
    """The interactive elements of a block (those that carry an action_id)."""
    kind = block.get("type")
    found: list[Any] = []
    if kind == "input":
        found = [block.get("element")]
    elif kind == "actions":
        found = list(block.get("elements") or [])
    elif kind == "section":
        found = [block.get("accessory")]
    return [e for e in found if isinstance(e, dict) and e.get("type") in _ELEMENTS and e.get("type") != "image"]

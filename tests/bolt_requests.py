"""Slack's side of the app's HTTP endpoint, in process: bodies in the shapes Slack sends, signed as Slack signs them.

`SlackSends` builds a slash command (form fields), a view_submission or a block_suggestion (a `payload=` form field
holding JSON), signs it with the v0 scheme (HMAC-SHA256 of `v0:{timestamp}:{body}`) and hands it to
`App.dispatch` as a BoltRequest, the way Bolt's HTTP adapters do. `ListenerWork` is a listener executor whose work
a test can wait for. Two loopback HTTP servers stand where Slack's servers would be for the calls Bolt makes with
clients of its own: `SlackWebApi` serves a SlackStandIn's Web API, `ResponseUrl` keeps what is posted to a
response_url.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlencode

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.errors import SlackApiError

from simulators.loopback import LoopbackServer, Reply, Request
from tests.stand_ins import SlackStandIn

JSON = dict[str, Any]

TEAM = "T1"
TEAM_DOMAIN = "acme-sales"
APP_ID = "A0LEADMOVER"
BOT_ID = "B0LEADMOVER"
VERIFICATION_TOKEN = "legacy-verification-token"
USER = "U1"
CHANNEL = "C1"
TRIGGER_ID = "1337.4242.6f1c2c3a7d9b0e5a"
RESPONSE_URL = "https://hooks.slack.invalid/commands/T1/1337/abcdef"

# Element type -> the key Slack puts its value under in view.state.values.
_STATE_KEYS: Mapping[str, str] = {
    "plain_text_input": "value",
    "number_input": "value",
    "static_select": "selected_option",
    "external_select": "selected_option",
    "radio_buttons": "selected_option",
    "checkboxes": "selected_options",
}


def sign(*, secret: str, timestamp: str, body: str) -> str:
    """Slack's v0 request signature."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(body: str, *, secret: str, timestamp: float | None = None) -> dict[str, str]:
    """The headers Slack sends with a request: its content type, timestamp and signature."""
    stamp = str(int(time.time() if timestamp is None else timestamp))
    return {
        "content-type": "application/x-www-form-urlencoded",
        "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": sign(secret=secret, timestamp=stamp, body=body),
    }


def option(value: str, label: str) -> JSON:
    """An option as Slack echoes it in state: plain_text label and value."""
    return {"text": {"type": "plain_text", "text": label, "emoji": True}, "value": value}


def as_slack_keeps_it(view: JSON, *, view_id: str = "V0MOVE", team_id: str = TEAM) -> JSON:
    """A view the app opened, as Slack stores and echoes it back: with its id, hash and the app's identity."""
    return {
        **copy.deepcopy(view),
        "id": view_id,
        "team_id": team_id,
        "state": {"values": {}},
        "hash": "1700000000.a1b2c3d4",
        "clear_on_close": False,
        "notify_on_close": False,
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": APP_ID,
        "external_id": "",
        "app_installed_team_id": team_id,
        "bot_id": BOT_ID,
    }


def state_values(view: JSON, chosen: Mapping[str, Any]) -> dict[str, dict[str, JSON]]:
    """view.state.values as Slack builds it: every input block, with its `type`, the chosen value or empty.

    `chosen` maps block_id to the element's value: an option dict for selects and radio buttons, a list of them
    for checkboxes, a string for text and number inputs.
    """
    values: dict[str, dict[str, JSON]] = {}
    for block in view.get("blocks") or []:
        if block.get("type") != "input":
            continue
        element = block["element"]
        kind = element["type"]
        key = _STATE_KEYS[kind]
        if block["block_id"] in chosen:
            value = chosen[block["block_id"]]
        elif kind == "radio_buttons":
            value = element.get("initial_option")
        else:
            value = [] if key == "selected_options" else None
        values[block["block_id"]] = {element["action_id"]: {"type": kind, key: copy.deepcopy(value)}}
    return values


def _user(user_id: str, team_id: str) -> JSON:
    name = user_id.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def command_body(
    text: str,
    *,
    command: str = "/leads",
    team_id: str = TEAM,
    user_id: str = USER,
    channel_id: str = CHANNEL,
    response_url: str = RESPONSE_URL,
    trigger_id: str = TRIGGER_ID,
) -> str:
    """A slash command invocation: form fields in Slack's order."""
    return urlencode(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel_id,
            "channel_name": "sales",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def view_submission_body(
    view: JSON, chosen: Mapping[str, Any], *, team_id: str = TEAM, user_id: str = USER, trigger_id: str = TRIGGER_ID
) -> str:
    """A view_submission of `view` (as Slack keeps it) with the `chosen` values."""
    submitted = copy.deepcopy(view)
    submitted["state"] = {"values": state_values(view, chosen)}
    payload = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": _user(user_id, team_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return urlencode({"payload": json.dumps(payload)})


def block_suggestion_body(view: JSON, action_id: str, value: str, *, team_id: str = TEAM, user_id: str = USER) -> str:
    """An external select in `view` (as Slack keeps it) asking for options while the person types `value`."""
    current = copy.deepcopy(view)
    current["state"] = {"values": state_values(view, {})}
    payload = {
        "type": "block_suggestion",
        "user": _user(user_id, team_id),
        "container": {"type": "view", "view_id": view["id"]},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "action_id": action_id,
        "block_id": action_id,  # leadmover's input blocks are named after their element
        "value": value,
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": current,
    }
    return urlencode({"payload": json.dumps(payload)})


def button_click_body(
    view: JSON, *, action_id: str, block_id: str, value: str, label: str, team_id: str = TEAM, user_id: str = USER
) -> str:
    """A block_actions of a button in `view` (as Slack keeps it, with its state), clicked by `user_id`."""
    action = {
        "type": "button",
        "block_id": block_id,
        "action_id": action_id,
        "value": value,
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "action_ts": "1700000000.000100",
    }
    payload = {
        "type": "block_actions",
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": _user(user_id, team_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {"type": "view", "view_id": view["id"]},
        "trigger_id": TRIGGER_ID,
        "view": view,
        "actions": [action],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return urlencode({"payload": json.dumps(payload)})


def answer(response: BoltResponse) -> Any:
    """The app's answer parsed as JSON; None for an empty body."""
    body = response.body if isinstance(response.body, str) else json.dumps(response.body)
    return json.loads(body) if body.strip() else None


class SlackSends:
    """Delivers requests to a Bolt app signed with `secret`, as Slack's servers would."""

    def __init__(self, app: App, *, secret: str) -> None:
        self.app = app
        self.secret = secret

    def deliver(self, body: str, headers: Mapping[str, str] | None = None) -> BoltResponse:
        """Dispatch `body` with the given headers, or signed correctly when none are given."""
        sent: dict[str, str | Sequence[str]] = {
            **(headers if headers is not None else signed_headers(body, secret=self.secret))
        }
        return self.app.dispatch(BoltRequest(body=body, headers=sent))

    def command(self, text: str, **fields: str) -> BoltResponse:
        return self.deliver(command_body(text, **fields))

    def submit(self, view: JSON, chosen: Mapping[str, Any], **fields: str) -> BoltResponse:
        return self.deliver(view_submission_body(view, chosen, **fields))

    def suggest(self, view: JSON, action_id: str, value: str, **fields: str) -> BoltResponse:
        return self.deliver(block_suggestion_body(view, action_id, value, **fields))


class ListenerWork(ThreadPoolExecutor):
    """A listener executor that remembers its work, so a test can wait for what listeners do after their ack,
    and for the work they hand on (`also_wait_for`, e.g. the start queue that sends moves)."""

    def __init__(self) -> None:
        super().__init__(max_workers=4, thread_name_prefix="test-listener")
        self._submitted: list[Future[Any]] = []
        self._lock = threading.Lock()
        self._handed_on: list[Callable[..., bool]] = []

    def also_wait_for(self, wait_idle: Callable[..., bool]) -> None:
        """`wait_idle(timeout=…)` is called after the listeners' own work, and must say True in time."""
        self._handed_on.append(wait_idle)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self._submitted.append(future)
        return future

    def wait(self, timeout: float = 5.0) -> list[BaseException]:
        """Wait until every piece of listener work so far has ended; the exceptions that escaped it, if any."""
        with self._lock:
            submitted = list(self._submitted)
        _done, running = wait(submitted, timeout=timeout)
        assert not running, f"{len(running)} listener(s) still running after {timeout}s"
        for wait_idle in self._handed_on:
            assert wait_idle(timeout=timeout), f"work handed on by listeners still running after {timeout}s"
        return [exc for future in submitted if (exc := future.exception()) is not None]

    def join(self, timeout: float = 5.0) -> None:
        """Wait like `wait`, and fail if an exception escaped a listener's work (Bolt would drop it silently)."""
        escaped = self.wait(timeout)
        assert not escaped, f"an exception escaped the listener executor: {escaped!r}"


Route = Callable[[str, Mapping[str, str], bytes], tuple[int, JSON]]


def _json_server(route: Route, *, name: str) -> LoopbackServer:
    """A loopback server that answers every request with `route(path, headers, body)` as JSON."""

    def respond(request: Request) -> Reply:
        status, body = route(request.target, request.headers, request.body)
        return Reply(status, json.dumps(body).encode(), {"Content-Type": "application/json; charset=utf-8"})

    return LoopbackServer(respond, name=name)


class SlackWebApi:
    """Serves a SlackStandIn's Web API over loopback HTTP while in use.

    Bolt hands listeners a WebClient of its own making, per request, with the app client's base_url and token; it
    never calls the app's client object. Pointing the stand-in's base_url here makes those calls land in the same
    stand-in (recorded, scripted failures and all) as the calls the services make in process.
    """

    def __init__(self, stand_in: SlackStandIn) -> None:
        self._stand_in = stand_in
        self._loopback = _json_server(self._call, name="Slack Web API stand-in")

    def _call(self, path: str, headers: Mapping[str, str], body: bytes) -> tuple[int, JSON]:
        method = path.rsplit("/", 1)[-1]
        kind = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        if kind.startswith("application/json"):
            args: JSON = json.loads(body or b"{}")
        else:
            args = {key: values[-1] for key, values in parse_qs(body.decode()).items()}
        try:
            response = self._stand_in.api_call(method, json=args)
        except SlackApiError as exc:
            response = exc.response
        data = response.data
        return int(response.status_code), data if isinstance(data, dict) else {}

    def __enter__(self) -> SlackWebApi:
        self._loopback.start()
        self._stand_in.base_url = f"{self._loopback.base_url}/api/"
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._loopback.stop()


class ResponseUrl:
    """A loopback HTTP server standing in for a response_url: it keeps every JSON body posted to it."""

    def __init__(self) -> None:
        self.received: list[JSON] = []
        self._arrived = threading.Condition()
        self._loopback = _json_server(self._keep, name="response_url stand-in")
        self.url = ""

    def _keep(self, path: str, headers: Mapping[str, str], body: bytes) -> tuple[int, JSON]:
        with self._arrived:
            self.received.append(json.loads(body or b"{}"))
            self._arrived.notify_all()
        return 200, {"ok": True}

    def wait_for(self, count: int, timeout: float = 5.0) -> list[JSON]:
        """The first `count` bodies, once they have arrived (fewer if they did not arrive in time)."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            return list(self.received[:count])

    def __enter__(self) -> ResponseUrl:
        self._loopback.start()
        self.url = f"{self._loopback.base_url}/commands/{TEAM}/1337/abcdef"
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._loopback.stop()

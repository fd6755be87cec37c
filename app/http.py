"""Serving Slack over HTTP: POST /slack/events for Bolt, GET /healthz, /readyz and /metrics (app.ops) and, installed
by OAuth, GET /slack/install and /slack/oauth_redirect, on waitress, a production WSGI server.

Requests that could hurt are refused cheaply: waitress answers 413 to a body over the limit before reading it,
the signature is checked before anything is parsed, and a signed body that cannot be parsed gets 400 and one log
line. Slow clients cost no thread: waitress reads requests asynchronously and hands over only complete ones.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request.internals import build_context
from slack_sdk.signature import SignatureVerifier
from waitress.server import BaseWSGIServer, create_server
from waitress.wasyncore import close_all

from app.ops import Operations, json_answer, run_on_loop
from app.slack_body import parse_body
from bot.settings import Settings

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
# Slack's largest requests (a view submission of a full modal) are a few tens of kilobytes.
DEFAULT_MAX_BODY_BYTES = 1_000_000
# Slow or idle clients hold a connection, never a thread; enough connections keep them from crowding Slack out.
CONNECTION_LIMIT = 2000
IDLE_SECONDS = 30


class _SlackRequestHandler(SlackRequestHandler):
    """Bolt's WSGI handler, checking the signature before anything is parsed, and parsing the body itself
    (app.slack_body): faster than Bolt, and without its slip of taking any form that contains the word "payload"
    for an interaction."""

    def __init__(self, app: App, *, path: str, signing_secret: str) -> None:
        super().__init__(app, path=path)
        self._verifier = SignatureVerifier(signing_secret)

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        raw = request.get_body()
        headers = request.get_headers()
        timestamp, signature = _header(headers, "x-slack-request-timestamp"), _header(headers, "x-slack-signature")
        if not (timestamp.isascii() and timestamp.isdigit() and self._verifier.is_valid(raw, timestamp, signature)):
            return BoltResponse(status=401, body=json.dumps({"error": "invalid request"}))
        # Bolt parses the body itself when it is given one: it is given none, then the one parsed here.
        bolt_request = BoltRequest(body="", query=request.query_string, headers=headers)
        try:
            body = parse_body(raw, content_type=bolt_request.content_type)
        except ValueError as exc:  # json.JSONDecodeError is one
            log.warning("a signed request to %s could not be parsed (%s); answered 400", EVENTS_PATH, exc)
            return BoltResponse(status=400, body=json.dumps({"error": "malformed body"}))
        bolt_request.raw_body, bolt_request.body = raw, body
        bolt_request.context = build_context(BoltContext(), body)
        return self.app.dispatch(bolt_request)


def _header(headers: Mapping[str, str | Sequence[str]], name: str) -> str:
    value = next((v for k, v in headers.items() if k.lower() == name), "")
    return value if isinstance(value, str) else next(iter(value), "")


class SlackWsgi:
    """Routes the public paths; /healthz turns 200 only once `ready` is set (and /readyz, with `ops`, only once every
    check passes too). Counts requests in flight."""

    def __init__(self, app: App, *, signing_secret: str, ops: Operations | None = None) -> None:
        self._ops = ops
        self._bolt = _SlackRequestHandler(app, path=EVENTS_PATH, signing_secret=signing_secret)
        flow = app.oauth_flow
        # "Add to Slack" and Slack's redirect back are a person's browser, not Slack: they carry no signature.
        self._oauth_paths = frozenset({flow.install_path, flow.redirect_uri_path}) if flow is not None else frozenset()
        self.ready = threading.Event()
        self._in_flight = 0
        self._idle = threading.Condition()

    def wait_idle(self, *, timeout: float) -> bool:
        """Wait until no request is being handled; False if some still were after `timeout` seconds."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        with self._idle:
            self._in_flight += 1
        try:
            return self._route(environ, start_response)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def _route(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if self._ops is not None:
            answer = self._ops.answer(environ, start_response, serving=self.ready.is_set())
            if answer is not None:
                return answer
        elif path == HEALTH_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            ok = self.ready.is_set()
            return json_answer(start_response, "200 OK" if ok else "503 Service Unavailable", {"ok": ok})
        if path == EVENTS_PATH or (path in self._oauth_paths and environ.get("REQUEST_METHOD") == "GET"):
            return self._bolt(environ, start_response)
        return json_answer(start_response, "404 Not Found", {"ok": False, "error": "not_found"})


class HttpServer:
    """A waitress server on host:port (port 0 picks a free one), runnable in the foreground or a thread.

    Picker searches may wait up to their time box for Instantly; enough threads keep acks from queueing behind them.
    """

    def __init__(
        self,
        app: App,
        *,
        host: str,
        port: int,
        signing_secret: str,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        threads: int = 24,
        ops: Operations | None = None,
    ) -> None:
        self.wsgi = SlackWsgi(app, signing_secret=signing_secret, ops=ops)
        server = create_server(
            self.wsgi,
            host=host,
            port=port,
            threads=threads,
            ident="leadmover",
            max_request_body_size=max_body_bytes,
            connection_limit=CONNECTION_LIMIT,
            channel_timeout=IDLE_SECONDS,
            expose_tracebacks=False,
        )
        assert isinstance(server, BaseWSGIServer)  # one bound address gives a single-socket server
        # waitress's loop internals (trigger, map, task dispatcher) are untyped in its stubs.
        self._server: Any = server
        self.port: int = int(server.socket.getsockname()[1]) if server.socket is not None else port
        self.url = f"http://{host}:{self.port}"
        self._thread: threading.Thread | None = None

    def serve_forever(self, *, on_ready: Callable[[], None] | None = None) -> None:
        self.wsgi.ready.set()
        if on_ready is not None:
            on_ready()
        self._server.run()

    def start(self) -> HttpServer:
        self._thread = threading.Thread(target=self.serve_forever, name="leadmover-http", daemon=True)
        self._thread.start()
        return self

    def stop(self, *, grace: float = 5.0) -> bool:
        """Stop accepting, let requests in flight finish (up to `grace` seconds), then close. True if all did."""
        self.wsgi.ready.clear()
        # The listening socket belongs to the server's loop thread: close it there.
        closed = threading.Event()

        def stop_listening() -> None:
            self._server.accepting = False
            self._server.del_channel()
            self._server.socket.close()
            closed.set()

        if run_on_loop(self._server, stop_listening):
            closed.wait(1.0)
        finished = self.wsgi.wait_idle(timeout=grace)
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=1.0)
        # Waking the loop after emptying its map ends run().
        run_on_loop(self._server, lambda: close_all(self._server._map))
        if self._thread is not None:
            self._thread.join(5)
        return finished


def http_server(app: App, settings: Settings, *, host: str, port: int, ops: Operations | None = None) -> HttpServer:
    """The HTTP server for `app` as the settings configure it, answering the operator's paths with `ops`; Slack's
    signing secret is required."""
    settings.require("slack_signing_secret")
    assert settings.slack_signing_secret is not None
    return HttpServer(
        app,
        host=host,
        port=port,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        max_body_bytes=settings.leadmover_max_body_bytes,
        ops=ops,
    )

"""Serving Slack over HTTP: POST /slack/events for Bolt and GET /healthz, on waitress, a production WSGI server."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import BaseWSGIServer, create_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


class SlackWsgi:
    """Routes the two public paths; /healthz turns 200 only once `ready` is set."""

    def __init__(self, app: App) -> None:
        self._bolt = SlackRequestHandler(app, path=EVENTS_PATH)
        self.ready = threading.Event()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == HEALTH_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            ok = self.ready.is_set()
            return _json(start_response, "200 OK" if ok else "503 Service Unavailable", {"ok": ok})
        if path == EVENTS_PATH:
            return self._bolt(environ, start_response)
        return _json(start_response, "404 Not Found", {"ok": False, "error": "not_found"})


def _json(start_response: StartResponse, status: str, payload: dict[str, Any]) -> Iterable[bytes]:
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


class HttpServer:
    """A waitress server on host:port (port 0 picks a free one), runnable in the foreground or a thread."""

    def __init__(self, app: App, *, host: str, port: int, threads: int = 8) -> None:
        self.wsgi = SlackWsgi(app)
        server = create_server(self.wsgi, host=host, port=port, threads=threads, ident="leadmover")
        # One bound address gives a single-socket server, which knows the port it got.
        self._server = cast(BaseWSGIServer, server)
        assert self._server.socket is not None
        self.port: int = int(self._server.socket.getsockname()[1])
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

    def stop(self) -> None:
        self.wsgi.ready.clear()
        self._server.close()
        if self._thread is not None:
            self._thread.join(5)

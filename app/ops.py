"""What an operator's tools ask a process: GET /healthz (alive), /readyz (ready, per check) and /metrics
(Prometheus). `serve --http` answers them beside /slack/events; Socket Mode `serve` and `poll` on a port of their
own (LEADMOVER_HEALTH_PORT), through HealthServer."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from waitress.server import BaseWSGIServer, create_server
from waitress.wasyncore import close_all

from bot import scrape
from bot.health import Check, Readiness
from bot.services import Services
from bot.settings import Settings

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

HEALTH_PATH: Final = "/healthz"
READY_PATH: Final = "/readyz"
METRICS_PATH: Final = "/metrics"


class Operations:
    """Readiness and metrics of one process."""

    def __init__(self, *, readiness: Readiness, registry: CollectorRegistry) -> None:
        self.readiness = readiness
        self.registry = registry

    def answer(
        self, environ: WSGIEnvironment, start_response: StartResponse, *, serving: bool = True
    ) -> Iterable[bytes] | None:
        """The answer to a GET of one of the operator's paths; None for any other request. `serving` False (the
        process is starting or stopping) makes /healthz and /readyz say 503."""
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        path = environ.get("PATH_INFO", "")
        if path == HEALTH_PATH:
            return json_answer(start_response, "200 OK" if serving else "503 Service Unavailable", {"ok": serving})
        if path == READY_PATH:
            return self._ready(start_response, serving=serving)
        if path == METRICS_PATH:
            body = generate_latest(self.registry)
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST), ("Content-Length", str(len(body)))])
            return [body]
        return None

    def _ready(self, start_response: StartResponse, *, serving: bool) -> Iterable[bytes]:
        checks = self.readiness.checks()
        if not serving:
            checks.append(Check("serving", False, "starting or shutting down"))
        ready = all(check.ok for check in checks)
        for check in checks:
            if not check.ok:
                log.debug("not ready: %s: %s", check.name, check.detail)
        payload = {"ready": ready, "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in checks}}
        return json_answer(start_response, "200 OK" if ready else "503 Service Unavailable", payload)


def json_answer(start_response: StartResponse, status: str, payload: dict[str, Any]) -> Iterable[bytes]:
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def operations(settings: Settings, services: Services, *, slack_token_ok: bool | None) -> Operations:
    """Readiness and metrics for a process built from `services`; `slack_token_ok` is what auth.test said at start
    (None when installed by OAuth)."""
    readiness = Readiness(
        db=services.db,
        heartbeat=services.heartbeat,
        poller=services.poller,
        outbox_seconds=settings.leadmover_ready_outbox_seconds,
        slack_token_ok=slack_token_ok,
    )
    registry = scrape.registry(db=services.db, per_workspace=settings.leadmover_metrics_per_workspace)
    return Operations(readiness=readiness, registry=registry)


def run_on_loop(server: Any, thunk: Callable[[], None]) -> bool:
    """Run `thunk` on the thread of waitress's loop, at its next turn; True then. When the loop can no longer be woken
    (its trigger is closed), `thunk` runs here instead, so that stopping still closes what it must; False then."""
    try:
        server.trigger.pull_trigger(thunk)
    except OSError as exc:
        log.warning("could not wake the HTTP server's loop (%s); stopping it from this thread", exc)
        thunk()
        return False
    return True


class HealthServer:
    """/healthz, /readyz and /metrics alone on their port, for processes that serve Slack no HTTP of their own."""

    def __init__(self, ops: Operations, *, host: str, port: int) -> None:
        self._ops = ops
        self.serving = threading.Event()
        server = create_server(self._wsgi, host=host, port=port, threads=2, ident="leadmover", expose_tracebacks=False)
        assert isinstance(server, BaseWSGIServer)
        self._server: Any = server  # waitress's loop internals are untyped in its stubs
        self.port: int = int(server.socket.getsockname()[1]) if server.socket is not None else port
        self.url = f"http://{host}:{self.port}"
        self._thread: threading.Thread | None = None

    def _wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        answer = self._ops.answer(environ, start_response, serving=self.serving.is_set())
        if answer is not None:
            return answer
        return json_answer(start_response, "404 Not Found", {"ok": False, "error": "not_found"})

    def start(self, *, on_ready: Callable[[], None] | None = None) -> HealthServer:
        self.serving.set()
        self._thread = threading.Thread(target=self._server.run, name="leadmover-health", daemon=True)
        self._thread.start()
        if on_ready is not None:
            on_ready()
        return self

    def stop(self) -> None:
        self.serving.clear()
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=1.0)
        # Waking the loop after emptying its map (the listening socket with it) ends run().
        run_on_loop(self._server, lambda: close_all(self._server._map))
        if self._thread is not None:
            self._thread.join(5)

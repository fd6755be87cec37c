"""`leadmover serve` and `leadmover poll`: the checks before start-up, then the process itself, with its health
and metrics on the HTTP port (`serve --http`) or on LEADMOVER_HEALTH_PORT (Socket Mode `serve`, and `poll`)."""

from __future__ import annotations

import gc
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Final

from slack_bolt.adapter.socket_mode import SocketModeHandler

from app import checks
from app.bolt_app import build_app
from app.checks import Finding
from app.http import http_server
from app.ops import HealthServer, Operations, operations
from app.wiring import build_services, resume_workspace
from bot.services import Services
from bot.settings import Settings

log = logging.getLogger("leadmover")
# Python's default is 700: a collection of the young every few requests.
YOUNG_OBJECTS_PER_COLLECTION: Final = 5000


class StartupError(Exception):
    """Start-up cannot go on; the message is one line that names what to fix."""

    def __init__(self, message: str, *, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def run_process(settings: Settings, *, command: str, http: bool, host: str, port: int) -> int:
    """Check what `command` needs (every missing setting at once, the tokens' kinds, the database driver, Slack and
    Instantly), then run until SIGTERM or SIGINT."""
    _stop_unless(checks.settings_for(settings, command=command, http=http), code=2)
    if command == "serve" and settings.installs_by_oauth and not http:
        raise StartupError("installing by OAuth needs `serve --http` (Slack sends installers to a URL)", code=2)
    _stop_unless(checks.database_driver(settings))
    team_id = _check_outside_world(settings)
    services = build_services(settings)
    stop = threading.Event()

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    if team_id is not None:
        resume_workspace(services, team_id=team_id)
    ops = operations(settings, services, slack_token_ok=True if team_id is not None else None)
    _settle_heap()
    services.start_loops()
    try:
        if http:
            _serve_http(settings, services, ops, host=host, port=port, stop=stop)
        else:
            _with_health_port(settings, ops, command, lambda: _serve(settings, services, command, stop))
    finally:
        services.close()
    return 0


def _settle_heap() -> None:
    """What start-up made (modules, the app, its services) lives as long as the process: the garbage collector is
    told so, and collects the young less often, since a serving process makes and drops many objects a second and
    the collector's rounds were a measurable share of its CPU (docs/performance.md)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS_PER_COLLECTION, *gc.get_threshold()[1:])


def _stop_unless(finding: Finding, *, code: int = 1) -> None:
    if not finding.ok:
        if finding.fatal:
            raise StartupError(finding.words, code=code)
        log.warning("%s", finding.words)


def _check_outside_world(settings: Settings) -> str | None:
    """With one workspace: Slack must take the bot token and Instantly the key. Returns the Slack team id."""
    if settings.installs_by_oauth:
        return None
    assert settings.slack_bot_token is not None
    found, team_id = checks.slack_token(settings, token=settings.slack_bot_token.get_secret_value())
    _stop_unless(found)
    if settings.instantly_api_key is not None:
        _stop_unless(checks.instantly_key(settings, api_key=settings.instantly_api_key.get_secret_value()))
    return team_id


def _serve(settings: Settings, services: Services, command: str, stop: threading.Event) -> None:
    if command == "poll":
        log.info("polling, with no Slack listener (a poller replica)")
        stop.wait()
    else:
        _serve_socket(settings, services, stop=stop)


def _with_health_port(settings: Settings, ops: Operations, command: str, run: Callable[[], None]) -> None:
    """Run `run` with /healthz, /readyz and /metrics on LEADMOVER_HEALTH_PORT (unless it is 0)."""
    port = settings.leadmover_health_port
    if port == 0:
        run()
        return
    try:
        server = HealthServer(ops, host="0.0.0.0", port=port).start()  # noqa: S104 - probes come from outside
    except OSError as exc:
        raise StartupError(
            f"cannot answer health checks on port {port} ({exc.strerror}): set LEADMOVER_HEALTH_PORT to a free port, "
            "or 0 for none"
        ) from None
    log.info("%s: health and metrics on %s (/healthz, /readyz, /metrics)", command, server.url)
    try:
        run()
    finally:
        server.stop()


def _serve_http(
    settings: Settings, services: Services, ops: Operations, *, host: str, port: int, stop: threading.Event
) -> None:
    try:
        server = http_server(build_app(settings, services), settings, host=host, port=port, ops=ops).start()
    except OSError as exc:
        raise StartupError(f"cannot listen on {host}:{port} ({exc.strerror}): choose another --port") from None
    log.info("serving Slack on %s/slack/events (health and metrics beside it)", server.url)
    stop.wait()
    # SIGTERM: finish the requests in flight, then (in _run) the work they started, within about 10 s.
    if not server.stop(grace=4.0):
        log.warning("some requests were still running at shutdown")


def _serve_socket(settings: Settings, services: Services, *, stop: threading.Event) -> None:
    assert settings.slack_app_token is not None
    app = build_app(settings, services, socket_mode=True)
    handler = SocketModeHandler(app, settings.slack_app_token.get_secret_value(), web_client=services.slack)
    handler.connect()  # type: ignore[no-untyped-call]
    log.info("connected to Slack over Socket Mode")
    stop.wait()
    handler.close()  # type: ignore[no-untyped-call]

"""Slack's Socket Mode endpoint: hands out connection tickets, delivers envelopes to the app and waits for acks.

``websockets`` is imported lazily, so the rest of the fake works without it.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from simulators.slack.delivery import AppResponse

if TYPE_CHECKING:
    from websockets.http11 import Request, Response
    from websockets.sync.server import Server, ServerConnection

JSON = dict[str, Any]

# websockets logs "server listening" etc. at INFO; keep the demo terminal quiet.
_WS_LOGGER = logging.getLogger("simulators.slack.socket_mode.websockets")
_WS_LOGGER.setLevel(logging.WARNING)


class _Pending:
    def __init__(self) -> None:
        self.event = threading.Event()
        self.ack: JSON | None = None
        self.acked_at = 0.0


class SocketModeServer:
    """Slack's Socket Mode endpoint: ``ws://host:port/link/?ticket=...``."""

    def __init__(self, *, host: str, app_id: str, report: Callable[[str], None]) -> None:
        self._host = host
        self._app_id = app_id
        self._report = report
        self._tickets: set[str] = set()
        self._lock = threading.Condition()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: list[ServerConnection] = []
        self._pending: dict[str, _Pending] = {}
        self._send_lock = threading.Lock()
        self._enabled = True

    # ------------------------------------------------------------------ lifecycle

    def enable(self) -> None:
        """Allow start() again after stop()."""
        with self._lock:
            self._enabled = True

    def start(self) -> None:
        """Start listening (idempotent). ImportError without ``websockets``; RuntimeError after stop()."""
        with self._lock:
            if self._server is not None:
                return
            if not self._enabled:
                raise RuntimeError("the fake Slack is stopped")
            from websockets.sync.server import serve

            self._server = serve(
                self._handle,
                self._host,
                0,
                process_request=self._check_request,
                compression=None,
                open_timeout=5,
                close_timeout=0.5,
                # Frequent pings (answered by every client) wake up slack_sdk's blocking recv(), so an app's
                # SocketModeHandler.close() returns in well under a second instead of its 3 s socket timeout.
                ping_interval=0.5,
                ping_timeout=10,
                logger=_WS_LOGGER,
            )
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="fake-slack-socket-mode", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Close every connection and stop listening."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
            self._enabled = False  # an app reconnecting during shutdown must not restart the server
            for pending in self._pending.values():
                pending.event.set()
        if server is not None:
            server.shutdown()
        if thread is not None:
            thread.join(timeout=5)

    @property
    def port(self) -> int:
        with self._lock:
            if self._server is None:
                raise RuntimeError("Socket Mode server is not running")
            return int(self._server.socket.getsockname()[1])

    def open_url(self) -> str:
        """Start listening if need be and hand out a URL with a fresh ticket, as apps.connections.open does.

        ImportError without ``websockets``; RuntimeError after stop().
        """
        self.start()
        ticket = secrets.token_hex(16)
        with self._lock:
            self._tickets.add(ticket)
        return f"ws://{self._host}:{self.port}/link/?ticket={ticket}&app_id={self._app_id}"

    def wait_for_connection(self, *, timeout: float) -> bool:
        """True once at least one app connection is open."""
        with self._lock:
            return self._lock.wait_for(lambda: bool(self._connections), timeout=timeout)

    # ------------------------------------------------------------------ delivery

    def deliver(
        self, *, envelope_type: str, payload: JSON, ack_timeout: float, accepts_response_payload: bool = True
    ) -> AppResponse:
        """Send one envelope to the newest connection and wait for its ack (status 200, else 504)."""
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": envelope_type,
            "accepts_response_payload": accepts_response_payload,
        }
        pending = _Pending()
        with self._lock:
            if not self._connections:
                raise RuntimeError("no app is connected over Socket Mode (call wait_for_socket first)")
            connection = self._connections[-1]
            self._pending[envelope_id] = pending
        started = time.monotonic()
        try:
            with self._send_lock:
                connection.send(json.dumps(envelope))
            pending.event.wait(ack_timeout)
        except Exception as exc:  # the socket went away mid-delivery
            return AppResponse(status=504, body=f"delivery failed: {exc}", elapsed=time.monotonic() - started)
        finally:
            with self._lock:
                self._pending.pop(envelope_id, None)
        if not pending.acked_at:
            return AppResponse(status=504, body="", elapsed=time.monotonic() - started)
        ack = pending.ack or {}
        body = json.dumps(ack["payload"]) if ack.get("payload") is not None else ""
        return AppResponse(status=200, body=body, elapsed=pending.acked_at - started)

    # ------------------------------------------------------------------ websockets callbacks

    def _check_request(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        tickets = parse_qs(parts.query).get("ticket", [])
        with self._lock:
            known = bool(tickets) and tickets[0] in self._tickets
        if parts.path.rstrip("/") != "/link" or not known:
            self._report("socket mode: connection attempt without a ticket from apps.connections.open")
            return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid ticket\n")
        return None

    def _handle(self, connection: ServerConnection) -> None:
        from websockets.exceptions import ConnectionClosed

        with self._lock:
            self._connections.append(connection)
            count = len(self._connections)
            self._lock.notify_all()
        try:
            hello = {
                "type": "hello",
                "num_connections": count,
                "connection_info": {"app_id": self._app_id},
                "debug_info": {},
            }
            with self._send_lock:
                connection.send(json.dumps(hello))
            for raw in connection:
                self._on_frame(raw)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                self._connections.remove(connection)
                self._lock.notify_all()

    def _on_frame(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            self._report(f"socket mode: app sent a non-JSON frame: {raw!r:.200}")
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        if not envelope_id:
            self._report(f"socket mode: app sent a frame that is not an ack: {raw!r:.200}")
            return
        with self._lock:
            pending = self._pending.get(envelope_id)
            if pending is None or pending.acked_at:
                self._report(f"socket mode: ack for unknown, late or already acked envelope {envelope_id}")
                return
            pending.ack = message
            pending.acked_at = time.monotonic()
            pending.event.set()

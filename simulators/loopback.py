"""A loopback HTTP server for the simulators: one responder function served on 127.0.0.1 in a daemon thread.

Both fakes describe only what to answer; this module reads requests, writes answers, starts and stops the server.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self, cast


@dataclass(frozen=True)
class Request:
    """One request as it arrived: method, target (path and query), headers with lower-case names, raw body."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Reply:
    """What to answer; `delay` seconds pass before it is sent (the server was slow to answer, not to act)."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Responder = Callable[[Request], Reply]


class _Server(ThreadingHTTPServer):
    """Remembers open connections, so that stopping can end kept-alive ones too."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], respond: Responder) -> None:
        super().__init__(address, handler)
        self.respond = respond
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any) -> None:
        if isinstance(request, socket.socket):
            with self._connections_lock:
                self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket | tuple[bytes, socket.socket]) -> None:
        if isinstance(request, socket.socket):
            with self._connections_lock:
                self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # clients hanging up mid-request are not interesting

    def drop_connections(self) -> None:
        """End kept-alive connections, so a stopped server looks dead to pooled clients."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    """Hands every request to the server's responder; never logs."""

    def log_message(self, format: str, *args: Any) -> None:
        return  # the simulators run inside test and demo output, which must stay readable

    def _dispatch(self) -> None:
        length = self.headers.get("Content-Length")
        try:
            raw = self.rfile.read(int(length)) if length else b""
        except ValueError:
            raw, self.close_connection = b"", True
        if self.headers.get("Transfer-Encoding"):
            # Chunked uploads are not decoded; drop the connection rather than misread the next request.
            self.close_connection = True
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = cast(_Server, self.server).respond(Request(self.command, self.path, headers, raw))
        if reply.delay > 0:
            time.sleep(reply.delay)
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (e.g. its timeout fired during `delay`); that is the scenario, not an error.
            self.close_connection = True

    # http.server looks handlers up as `do_<METHOD>`, so these names are not ours to choose.
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch  # noqa: N815


class _KeepAliveHandler(_Handler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real clients expect of a JSON API
    timeout = 30  # an idle keep-alive connection must not pin a handler thread forever
    # Headers and body go out as separate writes; with Nagle on, delayed ACKs add ~40 ms to every call.
    disable_nagle_algorithm = True


class Startable:
    """A `with` block around start() and stop(), for the servers and the fakes built on them."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class LoopbackServer(Startable):
    """Serves `respond` on host:port (0: any free port) from a daemon thread; start() again after stop() is fine."""

    def __init__(
        self, respond: Responder, *, host: str = "127.0.0.1", port: int = 0, keep_alive: bool = False, name: str
    ) -> None:
        self._respond = respond
        self._address = (host, port)
        self._handler = _KeepAliveHandler if keep_alive else _Handler
        self._name = name
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        with self._lock:
            return self._server is not None

    def start(self) -> Self:
        """Start serving (a no-op while running)."""
        with self._lock:
            if self._server is None:
                self._server = _Server(self._address, self._handler, self._respond)
                # A short poll interval is what makes stop() quick: shutdown() waits for the loop to notice.
                self._thread = threading.Thread(
                    target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name=self._name, daemon=True
                )
                self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and end open connections (idempotent)."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.drop_connections()
        if thread is not None:
            thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        """``http://host:port``; RuntimeError while stopped."""
        with self._lock:
            if self._server is None:
                raise RuntimeError(f"{self._name} is not running; call start() first")
            host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

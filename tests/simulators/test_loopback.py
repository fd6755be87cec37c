"""The loopback HTTP server both simulators stand on: one responder, started and stopped in a thread."""

from __future__ import annotations

import time

import httpx
import pytest

from simulators.loopback import LoopbackServer, Reply, Request


def _echo(seen: list[Request]) -> LoopbackServer:
    def respond(request: Request) -> Reply:
        seen.append(request)
        delay = 0.3 if request.target.startswith("/slow") else 0.0
        return Reply(201, b"echo:" + request.body, {"Content-Type": "text/plain", "X-Seen": request.method}, delay)

    return LoopbackServer(respond, name="echo", keep_alive=True)


def test_requests_reach_the_responder_and_replies_go_back() -> None:
    seen: list[Request] = []
    with _echo(seen) as server:
        answer = httpx.post(f"{server.base_url}/path?q=1", content=b"hello", headers={"X-Name": "a"}, timeout=5)
    assert (answer.status_code, answer.text, answer.headers["x-seen"]) == (201, "echo:hello", "POST")
    [request] = seen
    assert (request.method, request.target, request.body) == ("POST", "/path?q=1", b"hello")
    assert request.headers["x-name"] == "a"  # header names arrive in lower case


def test_delay_holds_the_answer_back() -> None:
    with _echo([]) as server:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"{server.base_url}/slow", timeout=0.1)
        assert time.monotonic() - started < 0.3


def test_stop_is_quick_ends_kept_alive_connections_and_start_works_again() -> None:
    server = _echo([]).start()
    with httpx.Client(base_url=server.base_url) as pooled:
        assert pooled.get("/").status_code == 201
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 0.5
        assert not server.running
        with pytest.raises(httpx.TransportError):
            pooled.get("/")
    with pytest.raises(RuntimeError, match="echo is not running"):
        _ = server.base_url
    server.stop()  # idempotent
    with server.start():
        assert httpx.get(f"{server.base_url}/", timeout=5).status_code == 201


def test_without_keep_alive_the_server_speaks_http_1_0_and_closes_each_connection() -> None:
    with LoopbackServer(lambda request: Reply(200, b"ok"), name="plain") as server:
        answer = httpx.get(f"{server.base_url}/", timeout=5)
    assert (answer.status_code, answer.text, answer.http_version) == (200, "ok", "HTTP/1.0")

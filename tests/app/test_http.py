"""The HTTP face: /healthz tells a load balancer when to send traffic, /slack/events reaches Bolt, nothing else."""

from __future__ import annotations

import hashlib
import hmac
import logging
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest
from slack_bolt import Ack, App

from app.http import EVENTS_PATH, HEALTH_PATH, HttpServer
from tests.stand_ins import SlackStandIn

SECRET = "test-signing-secret"


def _app() -> App:
    app = App(signing_secret=SECRET, client=SlackStandIn())

    @app.command("/leads")
    def answer(ack: Ack, command: dict[str, str]) -> None:
        ack(text=f"heard {command['text']!r} in {command['channel_name']}")

    return app


def _signed(body: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


@pytest.fixture
def server() -> Iterator[HttpServer]:
    running = HttpServer(_app(), host="127.0.0.1", port=0, signing_secret=SECRET, threads=4).start()
    assert running.wsgi.ready.wait(5)
    yield running
    running.stop(grace=1.0)


def test_health_is_ok_once_serving_and_503_once_stopping(server: HttpServer) -> None:
    assert httpx.get(server.url + HEALTH_PATH).json() == {"ok": True}

    server.wsgi.ready.clear()

    answer = httpx.get(server.url + HEALTH_PATH)
    assert (answer.status_code, answer.json()) == (503, {"ok": False})


def test_an_unknown_path_is_a_json_404(server: HttpServer) -> None:
    answer = httpx.get(server.url + "/admin")

    assert (answer.status_code, answer.json()) == (404, {"ok": False, "error": "not_found"})


def test_a_signed_command_reaches_bolt_and_an_unsigned_one_does_not(server: HttpServer) -> None:
    body = urlencode({"command": "/leads", "text": "help", "channel_name": "sales", "team_id": "T1", "user_id": "U1"})

    signed = httpx.post(server.url + EVENTS_PATH, content=body, headers=_signed(body))
    unsigned = httpx.post(
        server.url + EVENTS_PATH, content=body, headers={"Content-Type": _signed(body)["Content-Type"]}
    )

    assert signed.text == "heard 'help' in sales"
    assert unsigned.status_code == 401


def test_a_command_that_mentions_payload_is_still_a_command(server: HttpServer) -> None:
    body = urlencode({"command": "/leads", "text": "payload", "channel_name": "payload-team", "team_id": "T1"})

    answer = httpx.post(server.url + EVENTS_PATH, content=body, headers=_signed(body))

    assert answer.text == "heard 'payload' in payload-team"


def test_stop_waits_for_requests_in_flight_and_says_whether_they_finished() -> None:
    server = HttpServer(_app(), host="127.0.0.1", port=0, signing_secret=SECRET, threads=2).start()
    assert server.wsgi.ready.wait(5)

    assert server.stop(grace=1.0) is True
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + HEALTH_PATH, timeout=1)


def test_stop_still_closes_the_server_whose_loop_can_no_longer_be_woken() -> None:
    server = HttpServer(_app(), host="127.0.0.1", port=0, signing_secret=SECRET, threads=2).start()
    assert server.wsgi.ready.wait(5)
    server._server.trigger.close()  # as when its descriptor was closed under it

    assert server.stop(grace=1.0) is True
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + HEALTH_PATH, timeout=1)
    assert server._thread is not None
    assert not server._thread.is_alive()


def _raw_exchange(server: HttpServer, request: bytes, *, timeout: float = 3.0) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as connection:
        connection.sendall(request)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(4096)
            if not chunk:
                break
            received += chunk
        return received


def test_a_body_over_the_limit_is_refused_with_413_before_it_is_sent(server: HttpServer) -> None:
    # Only the headers go out: the answer must come without the 64 MB they announce.
    headers = (
        f"POST {EVENTS_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {64 * 1024 * 1024}\r\n\r\n"
    )

    answer = _raw_exchange(server, headers.encode())

    assert answer.startswith(b"HTTP/1.1 413")


def test_a_body_just_under_the_limit_is_read_and_judged_by_its_signature() -> None:
    server = HttpServer(_app(), host="127.0.0.1", port=0, signing_secret=SECRET, max_body_bytes=20_000).start()
    try:
        body = "command=%2Fleads&channel_name=sales&text=" + "x" * 19_000
        assert httpx.post(server.url + EVENTS_PATH, content=body, headers=_signed(body)).status_code == 200
        too_big = body + "x" * 2_000
        assert httpx.post(server.url + EVENTS_PATH, content=too_big, headers=_signed(too_big)).status_code == 413
    finally:
        server.stop(grace=1.0)


def test_an_unsigned_body_is_refused_before_it_is_parsed(server: HttpServer, caplog: pytest.LogCaptureFixture) -> None:
    body = "payload=%7Bthis is not json"

    answer = httpx.post(server.url + EVENTS_PATH, content=body, headers=_signed(body) | {"X-Slack-Signature": "v0=0"})

    assert answer.status_code == 401
    assert not [record for record in caplog.records if record.exc_info]


def test_a_signed_body_that_cannot_be_parsed_gets_400_and_one_log_line(
    server: HttpServer, caplog: pytest.LogCaptureFixture
) -> None:
    body = "payload=%7Bthis is not json"

    with caplog.at_level(logging.INFO):
        answer = httpx.post(server.url + EVENTS_PATH, content=body, headers=_signed(body))

    assert answer.status_code == 400
    assert answer.json() == {"error": "malformed body"}
    [logged] = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert logged.exc_info is None
    assert "could not be parsed" in logged.getMessage()


def test_a_request_without_a_timestamp_is_refused_not_crashed_on(server: HttpServer) -> None:
    body = "command=%2Fleads&text=help"
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Signature": "v0=abc"}

    assert httpx.post(server.url + EVENTS_PATH, content=body, headers=headers).status_code == 401
    stamped = {**headers, "X-Slack-Request-Timestamp": "yesterday"}
    assert httpx.post(server.url + EVENTS_PATH, content=body, headers=stamped).status_code == 401

"""The HTTP face: /healthz tells a load balancer when to send traffic, /slack/events reaches Bolt, nothing else."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest
from slack_bolt import Ack, App

from bot.http import EVENTS_PATH, HEALTH_PATH, HttpServer
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
    running = HttpServer(_app(), host="127.0.0.1", port=0, threads=4).start()
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
    server = HttpServer(_app(), host="127.0.0.1", port=0, threads=2).start()
    assert server.wsgi.ready.wait(5)

    assert server.stop(grace=1.0) is True
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + HEALTH_PATH, timeout=1)

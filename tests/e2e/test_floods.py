"""Floods of slow clients against the real app over HTTP: Slack's requests and the health check still go through."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from app.http import HEALTH_PATH
from app.local_stack import LocalStack
from handlers import ids
from tests.e2e.flows import open_modal, pick

SLOW_CLIENTS = 150
HEADERS = b"POST /slack/events HTTP/1.1\r\nHost: leadmover\r\nContent-Type: application/x-www-form-urlencoded\r\n"


@pytest.fixture
def slow_clients(stack: LocalStack) -> Iterator[list[socket.socket]]:
    """SLOW_CLIENTS connections that send their headers a byte at a time and never finish them."""
    assert stack.server is not None
    address = urlsplit(stack.server.url)
    clients = [socket.create_connection((address.hostname, address.port), timeout=5) for _ in range(SLOW_CLIENTS)]
    stop = threading.Event()

    def trickle() -> None:
        for byte in HEADERS:
            for client in clients:
                if stop.is_set():
                    return
                with contextlib.suppress(OSError):  # a client the server dropped just stays dropped
                    client.send(bytes([byte]))
            stop.wait(0.05)

    sender = threading.Thread(target=trickle, daemon=True)
    sender.start()
    time.sleep(0.5)  # every connection is open and mid-headers
    yield clients
    stop.set()
    sender.join(5)
    for client in clients:
        client.close()


def test_slow_clients_do_not_keep_a_person_from_opening_the_modal(
    stack: LocalStack, slow_clients: list[socket.socket]
) -> None:
    started = time.monotonic()

    view = open_modal(stack)

    assert time.monotonic() - started < 3
    assert view["title"]["text"] == "Move leads"


def test_slow_clients_do_not_keep_the_health_check_from_answering(
    stack: LocalStack, slow_clients: list[socket.socket]
) -> None:
    assert stack.server is not None

    answer = httpx.get(stack.server.url + HEALTH_PATH, timeout=1.0)

    assert (answer.status_code, answer.json()) == (200, {"ok": True})


def test_one_person_flooding_a_slow_instantly_never_slows_anyone_else(stack: LocalStack, workspace: object) -> None:
    stack.instantly.delay["/api/v2/leads/move"] = 8.0
    bobs = open_modal(stack)
    first = open_modal(stack)
    places = {
        ids.SOURCE: pick(stack, first, ids.SOURCE, "acme q1", "Acme Q1 outbound"),
        ids.DESTINATION: pick(stack, first, ids.DESTINATION, "warm", "Acme warm leads"),
        ids.LIMIT: "50",  # a limit: no confirmation comes between the submissions and the starts
    }
    answers = []
    for n in range(20):
        view = first if n == 0 else open_modal(stack)
        response = stack.slack.submit_view(stack.app_url, view_id=view["id"], values=places)
        assert response.elapsed < 3, f"submission {n} waited {response.elapsed:.2f}s"
        answers.append(response.json())

    help_answer = stack.slack.send_command(stack.app_url, text="help", user_id="U0BOB")
    picker_answer = stack.slack.load_options(
        stack.app_url, view_id=bobs["id"], action_id=ids.DESTINATION, value="warm", user_id="U0BOB"
    )

    assert help_answer.elapsed < 0.25, f"/leads help took {help_answer.elapsed:.3f}s"
    assert picker_answer.elapsed < 1.0, f"the picker took {picker_answer.elapsed:.3f}s"
    assert "Acme warm leads" in picker_answer.body
    started = [a for a in answers if a.get("response_action") == "update"]
    told_to_wait = [a for a in answers if a.get("response_action") == "errors"]
    assert (len(started), len(told_to_wait)) == (3, 17)
    assert "waiting for Instantly" in told_to_wait[0]["errors"][ids.SOURCE]

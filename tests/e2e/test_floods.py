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

from bot.http import HEALTH_PATH
from bot.simulators.stack import LocalStack
from tests.e2e.flows import open_modal

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

"""Fixtures for the fake Slack's tests: a running FakeSlack with #sales, a real WebClient on it, Bolt apps."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from simulators.slack import FakeSlack
from tests.simulators.slack.buttons_app import ButtonsApp
from tests.simulators.slack.samples import BoltApp


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        slack.add_channel("C0SALES", "sales")
        yield slack


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=fake.bot_token, base_url=fake.api_url)


@pytest.fixture
def bolt(fake: FakeSlack) -> Iterator[BoltApp]:
    app = BoltApp(fake)
    yield app
    app.close()


@pytest.fixture
def buttons(fake: FakeSlack) -> Iterator[ButtonsApp]:
    app = ButtonsApp(fake)
    yield app
    app.close()

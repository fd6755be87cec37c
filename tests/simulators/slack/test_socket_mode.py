"""The fake Slack's Socket Mode endpoint, with a real Bolt SocketModeHandler connected to it."""

from __future__ import annotations

from typing import Any

import pytest
from slack_bolt import Ack, App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from simulators.slack import FakeSlack


def test_socket_mode_command_is_acked(fake: FakeSlack) -> None:
    app = App(client=WebClient(token=fake.bot_token, base_url=fake.api_url), signing_secret=fake.signing_secret)
    seen: list[str] = []

    @app.command("/leads")
    def leads(ack: Ack, command: dict[str, Any]) -> None:
        seen.append(f"{command['team_id']}: {command['text']}")
        ack(text="on it")

    handler = SocketModeHandler(app, fake.app_token)
    handler.connect()  # type: ignore[no-untyped-call]
    try:
        assert fake.wait_for_socket(timeout=5)
        answer = fake.socket_send_command(text="move 5 leads")
        assert answer.status == 200
        assert answer.json() == {"text": "on it"}
        fake.add_team("T0ACME", name="Acme", domain="acme")
        assert fake.socket_send_command(text="in acme", team_id="T0ACME").status == 200
        assert seen == ["T0LEADMOVR: move 5 leads", "T0ACME: in acme"]
        assert [c.method for c in fake.calls].count("apps.connections.open") == 1
    finally:
        handler.close()  # type: ignore[no-untyped-call]
    assert fake.violations == []


def test_a_connection_without_a_ticket_is_refused(fake: FakeSlack) -> None:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    url = WebClient(token=fake.app_token, base_url=fake.api_url).apps_connections_open(app_token=fake.app_token)["url"]
    forged = url.split("?")[0] + "?ticket=forged"
    with pytest.raises(InvalidStatus) as err:
        connect(forged, open_timeout=5).close()
    assert err.value.response.status_code == 401
    assert fake.violations == ["socket mode: connection attempt without a ticket from apps.connections.open"]

"""Socket Mode: the app opens a WebSocket through apps.connections.open, acks a slash command and opens the modal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.local_stack import LocalStack, local_stack
from handlers import ids


@pytest.fixture
def socket_stack(tmp_path: Path) -> Iterator[LocalStack]:
    with local_stack(database_url=f"sqlite:///{tmp_path / 'socket.db'}", socket_mode=True) as running:
        yield running
        assert running.slack.violations == []


def test_a_slash_command_over_the_socket_is_acked_and_opens_the_modal(socket_stack: LocalStack) -> None:
    slack = socket_stack.slack
    assert slack.wait_for_socket(timeout=10)
    assert len(slack.calls_to("apps.connections.open")) >= 1
    response = slack.socket_send_command(text="copy")
    assert response.status == 200
    assert slack.wait_for(lambda: len(slack.opened_views()) == 1, timeout=5)
    view = slack.opened_views()[0]
    assert view["callback_id"] == ids.MOVE_MODAL
    mode = next(b for b in view["blocks"] if b.get("block_id") == ids.MODE)
    assert mode["element"]["initial_option"]["value"] == ids.MODE_COPY


def test_usage_comes_back_in_the_socket_ack(socket_stack: LocalStack) -> None:
    assert socket_stack.slack.wait_for_socket(timeout=10)
    response = socket_stack.slack.socket_send_command(text="help")
    assert response.status == 200
    assert "/leads move" in response.body

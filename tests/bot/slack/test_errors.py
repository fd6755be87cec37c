"""Slack's refusal read one way (bot.slack.errors.slack_error), from what slack_sdk raises against the fake Slack."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web.slack_response import SlackResponse

from bot.slack.errors import slack_error
from simulators.slack import FakeSlack


@pytest.fixture
def client() -> Iterator[WebClient]:
    with FakeSlack() as fake:
        fake.fail_next("views.open", "expired_trigger_id")
        yield WebClient(token=fake.bot_token, base_url=fake.api_url)


def test_slacks_error_code_is_read_from_its_answer(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.views_open(trigger_id="1.2.3", view={"type": "modal", "title": {"type": "plain_text", "text": "x"}})
    assert slack_error(refused.value) == "expired_trigger_id"


def test_an_answer_that_names_no_error_is_an_unknown_error(client: WebClient) -> None:
    answer = SlackResponse(
        client=client, http_verb="POST", api_url="", req_args={}, data={"ok": False}, headers={}, status_code=502
    )
    assert slack_error(SlackApiError("no error named", answer)) == "unknown_error"

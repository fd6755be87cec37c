"""conversations.members in the fake Slack, as the real slack_sdk WebClient sees it: Slack's pages and cursor, its
errors for private channels, unknown ids and missing scopes, and the arguments Slack refuses reported as app bugs."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from simulators.slack import FakeSlack
from tests.simulators.slack.samples import BoltApp


def _members(client: WebClient, channel: str, *, limit: int) -> list[list[str]]:
    """Every page of a channel's members, following next_cursor to the end."""
    pages, cursor = [], None
    while True:
        answer = client.conversations_members(channel=channel, limit=limit, cursor=cursor)
        assert set(answer.data) == {"ok", "members", "response_metadata"}
        pages.append(answer["members"])
        cursor = answer["response_metadata"]["next_cursor"]
        if not cursor:
            return pages


def _error(client: WebClient, channel: str, **args: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as err:
        client.conversations_members(channel=channel, **args)
    return dict(err.value.response.data)


def test_members_come_a_page_at_a_time_with_the_bot_among_them(fake: FakeSlack, client: WebClient) -> None:
    fake.add_channel("C0DEALS", "deals", private=True, members=["U0ALICE", "U0BOB", "U0CAROL"])
    fake.add_channel("C0OPEN", "open", bot_is_member=False, members=["U0DAN"])

    assert _members(client, "C0DEALS", limit=2) == [[fake.bot_user_id, "U0ALICE"], ["U0BOB", "U0CAROL"]]
    assert _members(client, "C0OPEN", limit=100) == [["U0DAN"]], "a public channel is read from outside"
    assert [call.args.get("limit") for call in fake.calls_to("conversations.members")][:2] == ["2", "2"]
    assert fake.violations == []


def test_a_private_channel_the_bot_is_not_in_or_an_unknown_one_is_not_read(fake: FakeSlack, client: WebClient) -> None:
    fake.add_channel("C0SECRET", "secret", private=True, bot_is_member=False, members=["U0ALICE"])

    assert _error(client, "C0SECRET")["error"] == "not_in_channel"
    assert _error(client, "C0NOWHERE")["error"] == "channel_not_found"
    assert fake.violations == []


def test_a_token_without_the_scope_is_told_which_one_it_needs(fake: FakeSlack, client: WebClient) -> None:
    fake.add_channel("C0DEALS", "deals", private=True, members=["U0ALICE"])
    fake.grant_scopes(fake.team_id, ("commands", "channels:read"))

    assert client.conversations_members(channel="C0SALES")["members"] == [fake.bot_user_id]
    refused = _error(client, "C0DEALS")
    assert (refused["error"], refused["needed"], refused["provided"]) == (
        "missing_scope",
        "groups:read",
        "channels:read,commands",
    )

    fake.grant_scopes(fake.team_id, ("commands",))
    assert _error(client, "C0SALES")["needed"] == "channels:read,groups:read,mpim:read,im:read"
    assert fake.violations == []


@pytest.mark.parametrize(
    ("channel", "args", "error"),
    [
        ("C0SALES", {"limit": 1000}, "invalid_limit"),
        ("C0SALES", {"limit": 0}, "invalid_limit"),
        ("#sales", {}, "channel_not_found"),
        ("C0SALES", {"cursor": "not-a-cursor"}, "invalid_cursor"),
    ],
)
def test_arguments_slack_refuses(
    fake: FakeSlack, client: WebClient, channel: str, args: dict[str, Any], error: str
) -> None:
    assert _error(client, channel, **args)["error"] == error
    if error != "invalid_cursor":  # a stale cursor can happen to anyone; the others are the app's mistakes
        assert len(fake.violations) == 1


def test_a_person_who_typed_a_command_in_a_channel_is_one_of_its_members(
    fake: FakeSlack, client: WebClient, bolt: BoltApp
) -> None:
    fake.send_command(bolt.url, text="move", user_id="U0ERIN", channel_id="C0SALES")
    fake.send_command(bolt.url, text="move", user_id="U0FRED", channel_id="C0LATER")
    fake.add_channel("C0LATER", "later", private=True)

    assert "U0ERIN" in client.conversations_members(channel="C0SALES")["members"]
    assert client.conversations_members(channel="C0LATER")["members"] == [fake.bot_user_id, "U0FRED"]

"""Channels and messages in the fake Slack: chat.* and conversations.* as the real slack_sdk WebClient sees them."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from simulators.slack import FakeSlack


def test_post_update_replies_and_metadata(fake: FakeSlack, client: WebClient) -> None:
    metadata = {"event_type": "lead_move", "event_payload": {"job": "j1"}}
    parent = client.chat_postMessage(channel="C0SALES", text="Moving 10 leads", metadata=metadata)
    reply = client.chat_postMessage(channel="C0SALES", text="step 1", thread_ts=parent["ts"])
    assert float(reply["ts"]) > float(parent["ts"])
    client.chat_update(channel="C0SALES", ts=parent["ts"], text="Moved 10 leads", blocks=[{"type": "divider"}])

    with_meta = client.conversations_replies(channel="C0SALES", ts=parent["ts"], include_all_metadata=True)
    assert [m["text"] for m in with_meta["messages"]] == ["Moved 10 leads", "step 1"]
    assert with_meta["messages"][0]["metadata"] == metadata
    assert with_meta["messages"][0]["reply_count"] == 1
    without = client.conversations_replies(channel="C0SALES", ts=parent["ts"])
    assert "metadata" not in without["messages"][0]

    [stored] = fake.messages("C0SALES")
    assert (stored.edits, stored.user, stored.metadata) == (1, fake.bot_user_id, metadata)
    assert stored.history == [("Moving 10 leads", []), ("Moved 10 leads", [{"type": "divider"}])]
    assert [m.text for m in fake.replies("C0SALES", parent["ts"])] == ["step 1"]
    assert fake.calls_to("chat.update")[0].args["ts"] == parent["ts"]
    assert fake.violations == []


def test_history_is_newest_first_and_pages(client: WebClient) -> None:
    for n in range(3):
        client.chat_postMessage(channel="C0SALES", text=f"m{n}")
    first = client.conversations_history(channel="C0SALES", limit=2)
    assert [m["text"] for m in first["messages"]] == ["m2", "m1"]
    assert first["has_more"]
    rest = client.conversations_history(channel="C0SALES", limit=2, cursor=first["response_metadata"]["next_cursor"])
    assert [m["text"] for m in rest["messages"]] == ["m0"]
    assert not rest["has_more"]


def test_channel_rules(fake: FakeSlack, client: WebClient) -> None:
    fake.add_channel("C0PRIVATE", "private", bot_is_member=False)
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C0PRIVATE", text="hi")
    assert err.value.response["error"] == "not_in_channel"
    dm = client.chat_postMessage(channel="U0BOB", text="your leads moved")
    assert dm["channel"] == "DU0BOB"
    assert fake.messages("U0BOB")[0].text == "your leads moved"
    assert client.conversations_open(users="U0CAROL")["channel"]["id"] == "DU0CAROL"
    assert client.chat_postMessage(channel="C0NEW", text="auto")["channel"] == "C0NEW"
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C0SALES", text="x", thread_ts="123.456")
    assert err.value.response["error"] == "thread_not_found"
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(
            channel="C0SALES", text="x", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": ""}}]
        )
    assert err.value.response["error"] == "invalid_blocks"
    assert len(fake.violations) == 2  # thread_not_found and invalid_blocks are app bugs


def test_ephemeral_messages_are_kept_apart(fake: FakeSlack, client: WebClient) -> None:
    client.chat_postEphemeral(channel="C0SALES", user="U0ALICE", text="only you see this")
    assert fake.messages("C0SALES") == []
    assert [(e["user"], e["text"]) for e in fake.ephemerals] == [("U0ALICE", "only you see this")]
    with pytest.raises(SlackApiError) as err:
        client.chat_postEphemeral(channel="C0SALES", user="", text="to nobody")
    assert err.value.response["error"] == "user_not_found"


def _fails(fake: FakeSlack, method: str, **args: str) -> str:
    """The error Slack answers `method` (called with form args) with; it must fail."""
    client = WebClient(token=fake.bot_token, base_url=fake.api_url)
    with pytest.raises(SlackApiError) as err:
        client.api_call(method, data=args)
    return str(err.value.response["error"])


def test_history_reads_between_oldest_and_latest(client: WebClient) -> None:
    ts = [client.chat_postMessage(channel="C0SALES", text=f"m{n}")["ts"] for n in range(3)]

    def texts(**window: Any) -> list[str]:
        return [m["text"] for m in client.conversations_history(channel="C0SALES", **window)["messages"]]

    assert texts(oldest=ts[0]) == ["m2", "m1"]
    assert texts(oldest=ts[0], inclusive=True) == ["m2", "m1", "m0"]
    assert texts(latest=ts[2]) == ["m1", "m0"]
    assert texts(oldest=ts[1], latest=ts[1], inclusive=True) == ["m1"]
    assert texts(oldest=ts[1], latest=ts[1]) == []


def test_history_shows_threads_edits_and_metadata_only_when_asked(fake: FakeSlack, client: WebClient) -> None:
    metadata = {"event_type": "lead_move", "event_payload": {"job": "j1"}}
    parent = client.chat_postMessage(channel="#sales", text="parent", metadata=metadata)["ts"]
    client.chat_postMessage(channel="C0SALES", text="r1", thread_ts=parent)
    last = client.chat_postMessage(channel="C0SALES", text="r2", thread_ts=parent)["ts"]
    client.chat_update(channel="C0SALES", ts=parent, text="parent, edited")

    [plain] = client.conversations_history(channel="C0SALES")["messages"]  # replies stay in their thread
    [with_meta] = client.conversations_history(channel="C0SALES", include_all_metadata=True)["messages"]

    assert (plain["text"], plain["user"], plain["bot_id"], plain["team"]) == (
        "parent, edited",
        fake.bot_user_id,
        fake.bot_id,
        fake.team_id,
    )
    assert (plain["thread_ts"], plain["reply_count"], plain["latest_reply"]) == (parent, 2, last)
    assert plain["reply_users"] == [fake.bot_user_id]
    assert float(plain["edited"]["ts"]) > float(last)
    assert "metadata" not in plain
    assert with_meta["metadata"] == metadata
    assert fake.violations == []


def test_replies_of_a_reply_are_its_whole_thread(fake: FakeSlack, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C0SALES", text="parent")["ts"]
    reply = client.chat_postMessage(channel="C0SALES", text="reply", thread_ts=parent)["ts"]
    client.chat_update(channel="C0SALES", ts=reply, text="reply, edited")

    thread = client.conversations_replies(channel="C0SALES", ts=reply)["messages"]

    assert [m["text"] for m in thread] == ["parent", "reply, edited"]
    assert (thread[1]["thread_ts"], thread[1]["parent_user_id"]) == (parent, fake.bot_user_id)
    assert _fails(fake, "conversations.replies", channel="C0SALES", ts="1.000001") == "thread_not_found"


def test_a_cursor_slack_never_gave_is_invalid(fake: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel="C0SALES", text="m")
    with pytest.raises(SlackApiError) as err:
        client.conversations_history(channel="C0SALES", cursor="not-a-cursor")
    assert err.value.response["error"] == "invalid_cursor"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"channel": "C0SALES"}, "no_text"),
        ({"channel": "C0SALES", "text": "x" * 40_001}, "msg_too_long"),
        ({"channel": "C0SALES", "text": "x", "metadata": '{"event_type": "e"}'}, "invalid_metadata_format"),
        ({"channel": "C0SALES", "text": "x", "blocks": "[not json"}, "invalid_blocks_format"),
    ],
)
def test_messages_slack_refuses(fake: FakeSlack, args: dict[str, str], error: str) -> None:
    assert _fails(fake, "chat.postMessage", **args) == error
    assert fake.messages("C0SALES") == []


def test_a_message_of_attachments_alone_needs_no_text(fake: FakeSlack) -> None:
    client = WebClient(token=fake.bot_token, base_url=fake.api_url)
    client.chat_postMessage(channel="C0SALES", attachments=[{"fallback": "f", "text": "t"}])
    assert fake.messages("C0SALES")[0].text == ""
    assert fake.violations == []


def test_updating_keeps_what_is_not_given_and_needs_a_real_message(fake: FakeSlack, client: WebClient) -> None:
    metadata = {"event_type": "lead_move", "event_payload": {"job": "j1"}}
    ts = client.chat_postMessage(channel="C0SALES", text="v0", blocks=[{"type": "divider"}], metadata=metadata)["ts"]

    answer = client.chat_update(channel="C0SALES", ts=ts, text="v1")

    assert (answer["ts"], answer["text"]) == (ts, "v1")
    [stored] = fake.messages("C0SALES")
    assert (stored.text, stored.blocks, stored.metadata) == ("v1", [{"type": "divider"}], metadata)
    assert _fails(fake, "chat.update", channel="C0SALES", ts="1.000001", text="x") == "message_not_found"
    assert _fails(fake, "chat.update", channel="C0NOWHERE", ts=ts, text="x") == "channel_not_found"


def test_without_history_edits_are_counted_not_kept() -> None:
    with FakeSlack(keep_history=False) as fake:
        client = WebClient(token=fake.bot_token, base_url=fake.api_url)
        ts = client.chat_postMessage(channel="C0SALES", text="v0")["ts"]
        client.chat_update(channel="C0SALES", ts=ts, text="v1")
        [stored] = fake.messages("C0SALES")
    assert (stored.text, stored.edits, stored.history) == ("v1", 1, [])


def test_reading_needs_a_known_channel_the_bot_is_in(fake: FakeSlack, client: WebClient) -> None:
    fake.add_channel("C0PRIVATE", "private", bot_is_member=False)
    assert _fails(fake, "conversations.history", channel="C0PRIVATE") == "not_in_channel"
    assert _fails(fake, "conversations.history", channel="C0UNKNOWN") == "channel_not_found"
    assert _fails(fake, "chat.postMessage", channel="nonsense", text="x") == "channel_not_found"


def test_conversations_open_opens_one_dm_per_user(fake: FakeSlack, client: WebClient) -> None:
    opened = client.conversations_open(users="U0CAROL")["channel"]
    client.chat_postMessage(channel=opened["id"], text="in the dm")

    assert (opened["id"], opened["is_im"], opened["user"]) == ("DU0CAROL", True, "U0CAROL")
    assert client.conversations_open(users="U0CAROL")["channel"]["id"] == "DU0CAROL"
    assert [m.text for m in fake.messages("U0CAROL")] == ["in the dm"]
    assert _fails(fake, "conversations.open", users="") == "invalid_arguments"
    assert _fails(fake, "conversations.open", users="carol") == "user_not_found"

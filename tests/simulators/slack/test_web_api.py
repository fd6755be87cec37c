"""The fake Slack's Web API, called by the real slack_sdk WebClient: messages, threads, channels, modals, faults."""

from __future__ import annotations

import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.simulators.slack import FakeSlack
from tests.simulators.slack.samples import MODAL, pt


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


def test_ratelimited_answers_429_with_retry_after(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", "ratelimited", retry_after=7)
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C0SALES", text="hi")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"
    assert err.value.response["error"] == "ratelimited"
    assert client.chat_postMessage(channel="C0SALES", text="hi")["ok"]


def test_update_limit_per_minute_is_enforced_when_switched_on() -> None:
    with FakeSlack(update_limit_per_minute=2) as fake:
        client = WebClient(token=fake.bot_token, base_url=fake.api_url)
        ts = client.chat_postMessage(channel="C0SALES", text="v0")["ts"]
        for n in (1, 2):
            client.chat_update(channel="C0SALES", ts=ts, text=f"v{n}")
        with pytest.raises(SlackApiError) as err:
            client.chat_update(channel="C0SALES", ts=ts, text="v3")
        assert err.value.response.status_code == 429
        assert int(err.value.response.headers["Retry-After"]) >= 1
        assert fake.rate_limited["chat.update"] == 1
        assert fake.messages("C0SALES")[0].text == "v2"


def test_auth_and_unknown_methods(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as err:
        WebClient(token="xoxb-wrong", base_url=fake.api_url).auth_test()
    assert err.value.response["error"] == "invalid_auth"
    assert fake.violations == []
    with pytest.raises(SlackApiError):
        WebClient(base_url=fake.api_url).auth_test()
    with pytest.raises(SlackApiError) as err:
        WebClient(token=fake.bot_token, base_url=fake.api_url).api_call("reactions.nope")
    assert err.value.response["error"] == "unknown_method"
    assert len(fake.violations) == 2
    assert WebClient(token=fake.bot_token, base_url=fake.api_url).auth_test()["user_id"] == fake.bot_user_id


@pytest.mark.parametrize(
    "method", ["api.test", "chat.delete", "chat.getPermalink", "conversations.info", "users.info", "views.push"]
)
def test_methods_leadmover_does_not_call_are_not_served(fake: FakeSlack, client: WebClient, method: str) -> None:
    with pytest.raises(SlackApiError) as err:
        client.api_call(method, params={"channel": "C0SALES"})
    assert err.value.response["error"] == "unknown_method"
    assert fake.violations == [f"{method}: unknown or unsupported Web API method"]


def test_trigger_id_expires_and_is_single_use() -> None:
    with FakeSlack(trigger_ttl=0.2) as fake:
        client = WebClient(token=fake.bot_token, base_url=fake.api_url)
        fresh = fake.issue_trigger_id()
        assert client.views_open(trigger_id=fresh, view=MODAL)["view"]["id"].startswith("V")
        with pytest.raises(SlackApiError) as err:
            client.views_open(trigger_id=fresh, view=MODAL)
        assert err.value.response["error"] == "exchanged_trigger_id"
        stale = fake.issue_trigger_id()
        time.sleep(0.25)
        with pytest.raises(SlackApiError) as err:
            client.views_open(trigger_id=stale, view=MODAL)
        assert err.value.response["error"] == "expired_trigger_id"
        assert any("too slow" in v for v in fake.violations)


def test_views_update_replaces_the_stored_view_and_checks_hash(fake: FakeSlack, client: WebClient) -> None:
    opened = client.views_open(trigger_id=fake.issue_trigger_id(), view=MODAL)["view"]
    updated = client.views_update(view_id=opened["id"], view={**MODAL, "title": pt("Moving…")}, hash=opened["hash"])
    assert updated["view"]["id"] == opened["id"]
    assert fake.view(opened["id"])["title"] == pt("Moving…")
    with pytest.raises(SlackApiError) as err:
        client.views_update(view_id=opened["id"], view=MODAL, hash=opened["hash"])
    assert err.value.response["error"] == "hash_conflict"
    assert fake.violations == []


def test_modal_title_too_long_is_rejected(fake: FakeSlack, client: WebClient) -> None:
    view = {**MODAL, "title": pt("Move leads between campaigns")}
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id=fake.issue_trigger_id(), view=view)
    assert err.value.response["error"] == "invalid_arguments"
    assert "json-pointer:/view/title/text" in err.value.response["response_metadata"]["messages"][0]
    assert fake.violations
    assert fake.opened_views() == []

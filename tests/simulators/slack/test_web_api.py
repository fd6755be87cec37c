"""The fake Slack's Web API front door, called by the real slack_sdk WebClient: tokens, methods, arguments, records."""

from __future__ import annotations

import time

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from simulators.slack import FakeSlack


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


@pytest.mark.parametrize("method", ["api.test", "chat.delete", "conversations.list", "users.list", "views.push"])
def test_methods_leadmover_does_not_call_are_not_served(fake: FakeSlack, client: WebClient, method: str) -> None:
    with pytest.raises(SlackApiError) as err:
        client.api_call(method, params={"channel": "C0SALES"})
    assert err.value.response["error"] == "unknown_method"
    assert fake.violations == [f"{method}: unknown or unsupported Web API method"]


def test_each_method_takes_its_own_kind_of_token(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as err:
        WebClient(token=fake.app_token, base_url=fake.api_url).chat_postMessage(channel="C0SALES", text="hi")
    assert err.value.response["error"] == "not_allowed_token_type"
    with pytest.raises(SlackApiError) as err:
        WebClient(token=fake.bot_token, base_url=fake.api_url).apps_connections_open(app_token=fake.bot_token)
    assert err.value.response["error"] == "not_allowed_token_type"
    assert fake.violations == [
        "chat.postMessage: called with the wrong kind of token",
        "apps.connections.open: called with the wrong kind of token",
    ]


def test_a_token_in_a_json_body_is_ignored(fake: FakeSlack) -> None:
    answer = httpx.post(f"{fake.api_url}auth.test", json={"token": fake.bot_token}, timeout=5).json()
    form = httpx.post(f"{fake.api_url}auth.test", data={"token": fake.bot_token}, timeout=5).json()

    assert answer == {"ok": False, "error": "invalid_auth"}
    assert form["ok"]  # a form field is where Slack does read it
    assert fake.violations == [
        "auth.test: called without a token (a token in a JSON body is ignored; use the Authorization header)"
    ]
    assert [call.args for call in fake.calls_to("auth.test")] == [{}, {}]  # the token is never recorded


def test_read_methods_take_form_or_query_args_not_json(fake: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel="C0SALES", text="m")
    by_query = client.api_call("conversations.history", http_verb="GET", params={"channel": "C0SALES"})
    with pytest.raises(SlackApiError) as err:
        client.api_call("conversations.history", json={"channel": "C0SALES"})

    assert [m["text"] for m in by_query["messages"]] == ["m"]
    assert err.value.response["error"] == "channel_not_found"
    assert fake.violations == [
        "conversations.history: Slack ignores JSON bodies for this method; send form or query args"
    ]


def test_a_json_body_that_is_no_object_is_invalid_json(fake: FakeSlack) -> None:
    headers = {"Authorization": f"Bearer {fake.bot_token}", "Content-Type": "application/json"}
    answer = httpx.post(f"{fake.api_url}chat.postMessage", content=b"[1, 2]", headers=headers, timeout=5).json()
    assert answer == {"ok": False, "error": "invalid_json"}
    assert fake.violations == ["chat.postMessage: request body is not a JSON object"]


def test_calls_are_recorded_or_only_counted_and_reported_as_answered() -> None:
    answered: list[tuple[str, int, bool]] = []
    with FakeSlack(
        record_calls=False, on_call=lambda call, status, answer: answered.append((call.method, status, answer["ok"]))
    ) as fake:
        client = WebClient(token=fake.bot_token, base_url=fake.api_url)
        client.chat_postMessage(channel="C0SALES", text="hi")
        fake.fail_next("chat.update", "ratelimited")
        with pytest.raises(SlackApiError):
            client.chat_update(channel="C0SALES", ts="1.0", text="x")

    assert (fake.calls, fake.call_count) == ([], 2)
    assert answered == [("chat.postMessage", 200, True), ("chat.update", 429, False)]


def test_delay_holds_one_methods_answer_back_after_it_acted(fake: FakeSlack) -> None:
    fake.delay["chat.postMessage"] = 0.3
    slow = WebClient(token=fake.bot_token, base_url=fake.api_url, timeout=0.1)  # type: ignore[arg-type]

    started = time.monotonic()
    with pytest.raises(TimeoutError):
        slow.chat_postMessage(channel="C0SALES", text="posted, though the answer was late")
    assert time.monotonic() - started < 0.3
    assert slow.auth_test()["ok"]
    assert [m.text for m in fake.messages("C0SALES")] == ["posted, though the answer was late"]

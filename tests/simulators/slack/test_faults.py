"""Fault injection in the fake Slack's Web API: scripted error answers, and Slack's rate limits when switched on."""

from __future__ import annotations

import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from simulators.slack import FakeSlack


def _error(client: WebClient, channel: str = "C0SALES") -> tuple[int, str, str | None]:
    """(HTTP status, error, Retry-After) of a chat.postMessage that must fail."""
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel=channel, text="hi")
    response = err.value.response
    return response.status_code, str(response["error"]), response.headers.get("Retry-After")


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


def test_fail_next_fails_that_many_calls_of_that_method_only(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", "channel_not_found", times=2)

    assert client.auth_test()["ok"]  # another method is not affected
    failures = [_error(client), _error(client)]
    assert client.chat_postMessage(channel="C0SALES", text="through")["ok"]

    assert failures == [(200, "channel_not_found", None)] * 2  # Slack's errors are HTTP 200 but ratelimited
    assert [m.text for m in fake.messages("C0SALES")] == ["through"]
    assert fake.violations == []  # a scripted failure is no app bug


def test_ratelimited_without_retry_after_says_one_second(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", "ratelimited")
    assert _error(client) == (429, "ratelimited", "1")


def test_clear_failures_ends_the_fault(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", "internal_error", times=5)
    assert _error(client)[1] == "internal_error"
    fake.clear_failures("chat.postMessage")
    fake.clear_failures("chat.update")  # nothing queued: fine
    assert client.chat_postMessage(channel="C0SALES", text="hi")["ok"]


def test_post_rate_per_channel_allows_a_burst_then_refills_at_the_rate() -> None:
    with FakeSlack(post_rate_per_channel=5.0, post_burst=2) as fake:
        client = WebClient(token=fake.bot_token, base_url=fake.api_url)
        burst = [client.chat_postMessage(channel="C0SALES", text=f"m{n}")["ok"] for n in range(2)]
        refused = _error(client)
        elsewhere = client.chat_postMessage(channel="C0OTHER", text="another channel has its own budget")["ok"]
        time.sleep(0.21)  # refills one token at 5 a second
        refilled = client.chat_postMessage(channel="C0SALES", text="m2")["ok"]

        assert burst == [True, True]
        assert refused == (429, "ratelimited", "1")
        assert (elsewhere, refilled) == (True, True)
        assert fake.rate_limited["chat.postMessage"] == 1
        assert [m.text for m in fake.messages("C0SALES")] == ["m0", "m1", "m2"]
        assert fake.violations == []


def test_without_limits_nothing_is_rate_limited(fake: FakeSlack, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C0SALES", text="v")["ts"]
    for n in range(20):
        client.chat_postMessage(channel="C0SALES", text=f"m{n}")
        client.chat_update(channel="C0SALES", ts=ts, text=f"v{n}")
    assert sum(fake.rate_limited.values()) == 0


def test_with_history_limits_slack_reads_history_once_a_minute_and_no_more_than_fifteen() -> None:
    with FakeSlack(history_limits=True) as slack:
        slack.add_channel("C0SALES", "sales")
        client = WebClient(token=slack.bot_token, base_url=slack.api_url)
        client.conversations_history(channel="C0SALES", limit=15)

        with pytest.raises(SlackApiError) as again:
            client.conversations_replies(channel="C0SALES", ts="1.1", limit=15)
        assert again.value.response.status_code == 429
        assert again.value.response.headers["Retry-After"] in {str(n) for n in range(55, 61)}
        assert slack.violations == []

        with pytest.raises(SlackApiError):
            client.conversations_history(channel="C0SALES", limit=200)
        [violation] = slack.violations
        assert "limit 200" in violation


def test_without_history_limits_history_reads_are_not_limited() -> None:
    with FakeSlack() as slack:
        slack.add_channel("C0SALES", "sales")
        client = WebClient(token=slack.bot_token, base_url=slack.api_url)
        for _ in range(3):
            client.conversations_history(channel="C0SALES", limit=200)
        assert slack.violations == []

"""The counters and histograms the hot paths bump: Instantly's requests and budget waits, Slack's calls (on the
loopback Slack), moves that end, and acks of signed requests into the real app."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client import Counter, Histogram
from slack_sdk.errors import SlackApiError

from bot import metrics
from bot.instantly.budget import RequestBudget
from bot.instantly.client import InstantlyClient
from bot.instantly.errors import InstantlyRateLimited
from bot.instantly.schemas import BackgroundJob
from bot.services import Services
from bot.workspaces import slack_client
from simulators.slack import FakeSlack
from storage.db import Database
from tests.bolt_requests import SlackSends
from tests.factories import running_job
from tests.stand_ins import instantly_error, instantly_job


def _count(metric: Counter | Histogram, **labels: str) -> float:
    """The metric's count (a counter's total, a histogram's observations) over samples with these labels."""
    return sum(
        sample.value
        for family in metric.collect()
        for sample in family.samples
        if sample.name.endswith(("_total", "_count")) and labels.items() <= sample.labels.items()
    )


def test_instantly_requests_are_counted_by_endpoint_with_ids_left_out_and_by_status() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/workspaces/current"):
            return instantly_error(429, retry_after="1")
        return httpx.Response(200, json=instantly_job("f" * 24))

    client = InstantlyClient(
        api_key="k",
        base_url="https://instantly.invalid/api/v2",
        transport=httpx.MockTransport(answer),
        max_attempts=1,
        budget=RequestBudget(percent=100),
    )
    job = {"endpoint": "GET /background-jobs/{id}", "status": "200"}
    limited = {"endpoint": "GET /workspaces/current", "status": "429"}
    before = (_count(metrics.INSTANTLY_REQUESTS, **job), _count(metrics.INSTANTLY_REQUESTS, **limited))
    waits = _count(metrics.BUDGET_WAIT)
    timed = _count(metrics.INSTANTLY_SECONDS, endpoint="GET /background-jobs/{id}")

    client.get_job("f" * 24)
    with pytest.raises(InstantlyRateLimited):
        client.current_workspace()

    assert _count(metrics.INSTANTLY_REQUESTS, **job) == before[0] + 1
    assert _count(metrics.INSTANTLY_REQUESTS, **limited) == before[1] + 1
    assert _count(metrics.BUDGET_WAIT) == waits + 2
    assert _count(metrics.INSTANTLY_SECONDS, endpoint="GET /background-jobs/{id}") == timed + 1


def test_slack_calls_are_counted_by_method_and_result() -> None:
    with FakeSlack() as slack:
        client = slack_client(token=slack.bot_token, api_url=slack.api_url)
        ok = _count(metrics.SLACK_CALLS, method="auth.test", result="ok")
        refused = _count(metrics.SLACK_CALLS, method="chat.postMessage", result="channel_not_found")

        client.auth_test()
        slack.fail_next("chat.postMessage", "channel_not_found")
        with pytest.raises(SlackApiError):
            client.chat_postMessage(channel="C0NOWHERE", text="hello")

    assert _count(metrics.SLACK_CALLS, method="auth.test", result="ok") == ok + 1
    assert _count(metrics.SLACK_CALLS, method="chat.postMessage", result="channel_not_found") == refused + 1


def test_a_move_that_ends_is_counted_by_outcome_and_how_it_was_asked_for(
    services: Services, sqlite_db: Database
) -> None:
    record = running_job(sqlite_db, "a" * 24)
    labels = {"outcome": "success", "via": record.via or "unknown"}
    before = _count(metrics.MOVES, **labels)
    ended = BackgroundJob.model_validate(instantly_job("a" * 24, status="success", progress=100))

    services.moves.follow(record, ended)

    assert _count(metrics.MOVES, **labels) == before + 1


def test_each_signed_request_is_timed_to_its_ack(sends: SlackSends) -> None:
    before = _count(metrics.ACK_SECONDS)
    assert sends.command("help").status == 200
    assert _count(metrics.ACK_SECONDS) == before + 1

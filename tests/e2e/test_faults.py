"""Faults at Instantly and at Slack, through the real app: each reaches the person in plain words, nothing is lost."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from app.local_stack import LocalStack, local_stack, seed
from app.wiring import build_services, check_slack_token
from handlers import ids
from simulators.slack import Message
from storage import workspaces
from tests.e2e.flows import on_top, open_modal, pick, submit_move

CHANNEL = "C0SALES"
MOVE = "/api/v2/leads/move"


@contextmanager
def running(tmp_path: Path, **overrides: Any) -> Iterator[LocalStack]:
    with local_stack(database_url=f"sqlite:///{tmp_path / 'faults.db'}", **overrides) as stack:
        seed(stack.instantly)
        yield stack


def submit(stack: LocalStack, channel: str = CHANNEL) -> Any:
    view = open_modal(stack, channel_id=channel)
    values = {
        ids.SOURCE: pick(stack, view, ids.SOURCE, "acme q1", "Acme Q1 outbound"),
        ids.DESTINATION: pick(stack, view, ids.DESTINATION, "warm", "Acme warm leads"),
    }
    response = submit_move(stack.slack, stack.app_url, view_id=view["id"], values=values)
    # The outcome shows where the person looks: on the confirmation of this move of every lead.
    return stack.slack.view(on_top(stack.slack, view["id"])), response


def replies(stack: LocalStack, channel: str = CHANNEL) -> list[Message]:
    return [r for m in stack.slack.messages(channel) for r in stack.slack.replies(channel, m.ts)]


# --- Instantly ---------------------------------------------------------------------------------------------


def test_a_slow_instantly_still_gets_the_submission_acked_at_once(tmp_path: Path) -> None:
    with running(tmp_path) as stack:
        stack.instantly.delay[MOVE] = 5.0
        view, response = submit(stack)
        assert response.elapsed < 3
        assert "Asking Instantly" in str(response.json()["view"])
        assert stack.slack.wait_for(lambda: len(replies(stack)) == 1, timeout=20)
        assert stack.slack.wait_for(lambda: "started job" in str(stack.slack.view(view["id"])), timeout=5)


def test_a_timed_out_move_is_found_again_not_resent(tmp_path: Path) -> None:
    with running(tmp_path, instantly_timeout_seconds=1.0) as stack:
        stack.instantly.delay[MOVE] = 2.0
        submit(stack)
        assert stack.slack.wait_for(lambda: len(replies(stack)) == 1, timeout=20)
        assert len(stack.instantly.move_bodies()) == 1
        looked = [r for r in stack.instantly.requests if r.query.get("type") == "move-leads"]
        assert looked, "the app should have looked for the job instead of resending"
        assert len(stack.slack.messages(CHANNEL)) == 1


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (401, "API key (it is invalid or was revoked)"),
        (402, "no active paid plan"),
        (403, "lacks a scope"),
    ],
)
def test_a_refused_key_reaches_the_person_in_words(tmp_path: Path, status: int, words: str) -> None:
    with running(tmp_path) as stack:
        stack.instantly.fail_next("POST", MOVE, status=status, message="nope")
        view, _ = submit(stack)
        assert stack.slack.wait_for(lambda: words in str(stack.slack.view(view["id"])), timeout=5)
        assert stack.slack.wait_for(lambda: len(stack.slack.ephemerals) == 1, timeout=5)
        assert words in stack.slack.ephemerals[0]["text"]
        assert stack.slack.messages(CHANNEL) == []


def test_a_failed_job_reaches_the_person_in_words(tmp_path: Path) -> None:
    with running(tmp_path) as stack:
        stack.instantly.final_status = "failed"
        submit(stack)
        assert stack.slack.wait_for(lambda: len(replies(stack)) == 1, timeout=15)
        assert "Move failed" in replies(stack)[0].text
        assert stack.slack.wait_for(lambda: "Failed" in stack.slack.messages(CHANNEL)[0].text, timeout=5)


def test_a_job_instantly_forgets_is_no_longer_followed_and_says_so(tmp_path: Path) -> None:
    with running(tmp_path, start_loops=False) as stack:
        submit(stack)
        stack.services.writer.start()
        assert stack.slack.wait_for(lambda: len(stack.slack.messages(CHANNEL)) == 1, timeout=5)
        [job_id] = stack.instantly.job_ids()
        stack.instantly.forget_job(job_id)
        stack.services.poller.start()
        assert stack.slack.wait_for(lambda: len(replies(stack)) == 1, timeout=10)
        assert "Stopped checking on this move" in replies(stack)[0].text
        assert "404" in replies(stack)[0].text


def test_a_job_unfinished_past_the_limit_is_reported_and_dropped(tmp_path: Path) -> None:
    with running(tmp_path, follow_limit_hours=1.5 / 3600) as stack:
        stack.instantly.final_status = "waiting-for-godot"  # not terminal, and not a status we know
        submit(stack)
        assert stack.slack.wait_for(lambda: len(replies(stack)) == 1, timeout=15)
        assert "still unfinished after" in replies(stack)[0].text
        assert stack.slack.wait_for(lambda: "Waiting for godot" in stack.slack.messages(CHANNEL)[0].text, timeout=5)


def test_rate_limited_polls_are_retried(tmp_path: Path) -> None:
    with running(tmp_path) as stack:
        stack.instantly.fail_next("GET", "/api/v2/background-jobs", status=429, retry_after=0.5, times=2)
        submit(stack)
        assert stack.slack.wait_for(lambda: len(replies(stack)) == 1, timeout=15)
        assert sum(r.status == 429 for r in stack.instantly.requests) == 2


# --- Slack -------------------------------------------------------------------------------------------------


def test_ratelimited_edits_wait_for_retry_after(tmp_path: Path) -> None:
    with running(tmp_path) as stack:
        stack.slack.fail_next("chat.update", "ratelimited", retry_after=1)
        submit(stack)
        assert stack.slack.wait_for(lambda: len(replies(stack)) == 1, timeout=20)
        assert stack.slack.wait_for(lambda: len(stack.slack.calls_to("chat.update")) >= 2, timeout=10)
        updates = stack.slack.calls_to("chat.update")
        assert updates[1].at - updates[0].at >= 0.9, "the edit after `ratelimited` came before Retry-After"
        assert stack.slack.wait_for(lambda: "Completed" in stack.slack.messages(CHANNEL)[0].text, timeout=5)


def test_an_announcement_that_cannot_be_edited_is_replaced_in_words(tmp_path: Path) -> None:
    with running(tmp_path) as stack:
        stack.slack.fail_next("chat.update", "message_not_found")
        submit(stack)
        assert stack.slack.wait_for(lambda: len(replies(stack)) == 1, timeout=20)
        messages = stack.slack.messages(CHANNEL)
        assert len(messages) == 2
        assert "could not update the earlier message" in messages[1].history[0][0]
        assert stack.slack.replies(CHANNEL, messages[1].ts), "the final reply belongs to the fresh message"


def test_a_revoked_token_stops_the_workspace_logs_once_and_resumes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with running(tmp_path) as stack, caplog.at_level(logging.ERROR, logger="bot.slack.writer"):
        stack.slack.fail_next("chat.postMessage", "token_revoked", times=1000)
        submit(stack)
        assert stack.slack.wait_for(lambda: bool(workspaces.revoked_teams(stack.services.db)), timeout=10)
        stack.slack.wait_for(lambda: False, timeout=0.5)  # a round already under way may finish
        calls = len(stack.slack.calls_to("chat.postMessage"))
        polls = sum(r.path.startswith("/api/v2/background-jobs") for r in stack.instantly.requests)
        stack.slack.wait_for(lambda: False, timeout=1.0)
        assert len(stack.slack.calls_to("chat.postMessage")) == calls, "a revoked workspace's writes must stop"
        assert sum(r.path.startswith("/api/v2/background-jobs") for r in stack.instantly.requests) == polls
        assert sum("Slack refused its token" in r.getMessage() for r in caplog.records) == 1
        stack.slack.clear_failures("chat.postMessage")
        stack.services.close()
        restarted = build_services(stack.settings)
        try:
            assert check_slack_token(restarted) == stack.slack.team_id
            restarted.start_loops()
            assert stack.slack.wait_for(lambda: len(replies(stack)) == 1, timeout=20)
        finally:
            restarted.close()


# --- leadmover itself ----------------------------------------------------------------------------------------


def test_a_failing_listener_answers_in_words_without_a_traceback(tmp_path: Path) -> None:
    with running(tmp_path) as stack:
        with stack.services.db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE notifications")
            connection.exec_driver_sql("DROP TABLE jobs")
        response = stack.slack.send_command(stack.app_url, text="jobs")
        assert response.status == 200
        answer = response.json()
        assert answer["response_type"] == "ephemeral"
        assert "hit a problem" in answer["text"]
        assert "Traceback" not in response.body

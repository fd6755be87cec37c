"""One submission, one move, over signed HTTP: Slack's redelivery and an attacker's replay start nothing more."""

from __future__ import annotations

import httpx

from app.local_stack import LocalStack
from handlers import ids
from tests.e2e.flows import open_modal, pick, submit_move

CHANNEL = "C0SALES"


def _submit(stack: LocalStack) -> dict[str, object]:
    view = open_modal(stack)
    values = {
        ids.SOURCE: pick(stack, view, ids.SOURCE, "acme q1", "Acme Q1 outbound"),
        ids.DESTINATION: pick(stack, view, ids.DESTINATION, "warm", "Acme warm leads"),
    }
    response = submit_move(stack.slack, stack.app_url, view_id=view["id"], values=values)
    assert response.status == 200
    answer: dict[str, object] = response.json()
    return answer


def _settled(stack: LocalStack) -> bool:
    announcements = stack.slack.messages(CHANNEL)
    return len(announcements) == 1 and len(stack.slack.replies(CHANNEL, announcements[0].ts)) == 1


def test_slacks_redelivery_of_a_submission_starts_nothing_more_and_gets_the_same_answer(
    stack: LocalStack, workspace: object
) -> None:
    first = _submit(stack)

    retried = stack.slack.redeliver_last(stack.app_url)

    assert retried.status == 200
    assert retried.json() == first
    assert stack.slack.wait_for(lambda: _settled(stack), timeout=15)
    stack.slack.wait_for(lambda: False, timeout=1)  # a second announcement or move would show up now
    assert len(stack.instantly.move_bodies()) == 1
    assert len(stack.slack.messages(CHANNEL)) == 1


def test_a_captured_signed_submission_replayed_three_times_starts_one_move(
    stack: LocalStack, workspace: object
) -> None:
    first = _submit(stack)
    captured = stack.slack.last_request
    assert captured is not None

    replays = [httpx.post(captured.url, content=captured.body, headers=captured.headers) for _ in range(3)]

    assert [r.status_code for r in replays] == [200, 200, 200]
    assert all(r.json() == first for r in replays)
    assert stack.slack.wait_for(lambda: _settled(stack), timeout=15)
    stack.slack.wait_for(lambda: False, timeout=1)
    assert len(stack.instantly.move_bodies()) == 1
    assert len(stack.slack.messages(CHANNEL)) == 1

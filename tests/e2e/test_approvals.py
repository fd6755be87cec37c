"""Big moves need a second pair of eyes, end to end over signed HTTP: the request with its buttons, approval by one
approver exactly once however many press, rejection with a reason, expiry, and a deny that cancels a request."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from app.local_stack import LocalStack, local_stack, seed
from bot.slack.blocks import approval_messages, undo_messages
from handlers import approvals as approval_handlers
from handlers import ids
from simulators.slack import Message
from storage.models import Phase
from tests.e2e.flows import pick, submit_move

ADMIN, OTHER_ADMIN, ALICE, BOB, APPROVER = "U0ADMIN", "U0ADMIN2", "U0ALICE", "U0BOB", "U0APPROVER"
CHANNEL = "C0SALES"


@contextmanager
def approval_stack(tmp_path: Path, **settings: Any) -> Iterator[LocalStack]:
    """The app with approvals on (as by default), ALICE and BOB as members and APPROVER in LEADMOVER_APPROVERS."""
    with local_stack(
        database_url=f"sqlite:///{tmp_path / 'approvals.db'}",
        leadmover_approvals=True,
        leadmover_approvers=APPROVER,
        **settings,
    ) as running:
        for admin in (ADMIN, OTHER_ADMIN):
            running.slack.add_user(admin, is_admin=True)
        for person in (ALICE, BOB, APPROVER):
            running.slack.add_user(person)
        seed(running.instantly)
        yield running
        assert running.slack.violations == []
        assert running.instantly.violations == []


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    with approval_stack(tmp_path) as running:
        yield running


def ask(stack: LocalStack, *, user: str = ALICE, limit: str | None = None) -> Any:
    """`user` submits a move of Acme Q1 outbound into Acme warm leads; returns the app's answer."""
    trigger = stack.slack.issue_trigger_id()
    stack.slack.send_command(stack.app_url, text="move", user_id=user, trigger_id=trigger, channel_id=CHANNEL)
    assert stack.slack.wait_for(lambda: stack.slack.view_opened_by(trigger) is not None, timeout=5)
    view = stack.slack.view_opened_by(trigger)
    assert view is not None
    values: dict[str, Any] = {
        ids.SOURCE: pick(stack, view, ids.SOURCE, "acme q1", "Acme Q1 outbound"),
        ids.DESTINATION: pick(stack, view, ids.DESTINATION, "warm", "Acme warm leads"),
    }
    if limit is not None:
        values[ids.LIMIT] = limit
    return submit_move(stack.slack, stack.app_url, view_id=view["id"], values=values, user_id=user).json()


def request_message(stack: LocalStack, channel: str = CHANNEL) -> Message:
    def found() -> list[Message]:
        return [m for m in stack.slack.messages(channel) if "Approval needed" in m.text]

    assert stack.slack.wait_for(lambda: found() != [], timeout=5), "no request for approval was posted"
    return found()[-1]


def current(stack: LocalStack, message: Message, channel: str = CHANNEL) -> Message:
    return next(m for m in stack.slack.messages(channel) if m.ts == message.ts)


def buttons(message: Message) -> list[str]:
    return [e["action_id"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


def told(stack: LocalStack, before: int) -> str:
    assert stack.slack.wait_for(lambda: len(stack.slack.responses) > before, timeout=5), "nobody was told anything"
    return str(stack.slack.responses[-1].get("text", ""))


def click(stack: LocalStack, message: Message, action: str, user: str) -> None:
    response = stack.slack.click(stack.app_url, channel=CHANNEL, ts=message.ts, action_id=action, user_id=user)
    assert response.status == 200


def test_a_move_without_a_limit_asks_for_approval_and_sends_nothing_yet(stack: LocalStack) -> None:
    answer = ask(stack)
    assert answer["view"]["title"]["text"] == "Waiting for approval"
    message = request_message(stack)
    text = str(message.blocks)
    for part in (f"<@{ALICE}>", "Acme Q1 outbound", "Acme warm leads", "*all 1,250 leads*", "Mode: *Move*"):
        assert part in text, text
    assert "Filters: none" in text
    assert buttons(message) == [approval_messages.APPROVE, approval_messages.REJECT]
    assert "<!date^" in text
    assert stack.instantly.move_bodies() == []


def test_a_limit_exactly_at_the_threshold_starts_at_once_and_one_above_asks(stack: LocalStack) -> None:
    assert ask(stack, limit="1000")["view"]["title"]["text"] == "Starting"
    assert stack.slack.wait_for(lambda: len(stack.instantly.move_bodies()) == 1, timeout=10)
    assert ask(stack, limit="1001")["view"]["title"]["text"] == "Waiting for approval"
    assert "*up to 1,001 leads*" in str(request_message(stack).blocks)
    assert len(stack.instantly.move_bodies()) == 1


def test_two_approvers_pressing_in_the_same_second_start_the_move_once(stack: LocalStack) -> None:
    ask(stack)
    message = request_message(stack)
    start = threading.Barrier(4)

    def press(user: str) -> None:
        start.wait()
        click(stack, message, approval_messages.APPROVE, user)

    pressers = [threading.Thread(target=press, args=(user,)) for user in (ADMIN, APPROVER, OTHER_ADMIN)]
    for thread in pressers:
        thread.start()
    start.wait()
    for thread in pressers:
        thread.join(10)
    assert stack.slack.wait_for(lambda: len(stack.instantly.move_bodies()) == 1, timeout=10)
    assert stack.slack.wait_for(lambda: buttons(current(stack, message)) == [], timeout=5)
    decided = current(stack, message).text
    assert "Approved by" in decided
    time.sleep(0.5)
    assert len(stack.instantly.move_bodies()) == 1
    assert stack.slack.wait_for(lambda: any(m.ts != message.ts for m in stack.slack.messages(CHANNEL)), timeout=10), (
        "the announcement follows as for any move"
    )
    assert any("already approved" in str(r.get("text")) for r in stack.slack.responses)


def test_a_requester_cannot_approve_their_own_move_even_as_an_admin(stack: LocalStack) -> None:
    ask(stack, user=ADMIN)
    message = request_message(stack)
    before = len(stack.slack.responses)
    click(stack, message, approval_messages.APPROVE, ADMIN)
    assert "someone else must approve" in told(stack, before)
    assert buttons(current(stack, message)) == [approval_messages.APPROVE, approval_messages.REJECT]
    assert stack.instantly.move_bodies() == []


def test_someone_who_may_not_approve_is_told_why_and_nothing_changes(stack: LocalStack) -> None:
    ask(stack)
    message = request_message(stack)
    before = len(stack.slack.responses)
    click(stack, message, approval_messages.APPROVE, BOB)
    assert "Only workspace admins and the approvers" in told(stack, before)
    assert buttons(current(stack, message)) != []
    click(stack, message, approval_messages.APPROVE, APPROVER)  # LEADMOVER_APPROVERS may
    assert stack.slack.wait_for(lambda: len(stack.instantly.move_bodies()) == 1, timeout=10)


def test_rejecting_asks_why_and_tells_the_requester_in_the_thread(stack: LocalStack) -> None:
    ask(stack)
    message = request_message(stack)
    views_before = len(stack.slack.opened_views())
    click(stack, message, approval_messages.REJECT, ADMIN)
    assert stack.slack.wait_for(lambda: len(stack.slack.opened_views()) > views_before, timeout=5)
    reason_view = stack.slack.opened_views()[-1]
    assert reason_view["callback_id"] == approval_handlers.REJECT_MODAL
    answer = stack.slack.submit_view(
        stack.app_url,
        view_id=reason_view["id"],
        values={approval_handlers.REASON: "Wrong campaign <!channel>"},
        user_id=ADMIN,
    )
    assert answer.status == 200
    assert stack.slack.wait_for(lambda: stack.slack.replies(CHANNEL, message.ts) != [], timeout=5)
    reply = stack.slack.replies(CHANNEL, message.ts)[0].text
    assert f"<@{ALICE}>" in reply
    assert "Wrong campaign" in reply
    assert "<!channel>" not in reply
    assert "Rejected by" in current(stack, message).text
    assert stack.instantly.move_bodies() == []
    job = stack.services.moves.recent_jobs(team_id=stack.slack.team_id, user_id=ALICE, limit=1)[0]
    assert job.phase == Phase.NOT_APPROVED


def test_a_request_nobody_decides_expires_and_says_so(tmp_path: Path) -> None:
    with approval_stack(tmp_path, leadmover_approval_hours=0.0003) as running:  # about a second
        ask(running)
        message = request_message(running)
        assert running.slack.wait_for(lambda: "Expired" in current(running, message).text, timeout=10)
        assert running.slack.wait_for(lambda: running.slack.replies(CHANNEL, message.ts) != [], timeout=5)
        assert "expired" in running.slack.replies(CHANNEL, message.ts)[0].text
        assert buttons(current(running, message)) == []
        assert running.instantly.move_bodies() == []


def test_denying_a_person_cancels_their_requests_waiting_for_approval(stack: LocalStack) -> None:
    ask(stack)
    message = request_message(stack)
    before = len(stack.slack.responses)
    stack.slack.send_command(stack.app_url, text=f"deny {stack.slack.mention(ALICE)}", user_id=ADMIN)
    assert "may no longer move" in told(stack, before)
    assert stack.slack.wait_for(lambda: "Cancelled" in current(stack, message).text, timeout=5)
    assert buttons(current(stack, message)) == []
    assert stack.slack.wait_for(lambda: stack.slack.replies(CHANNEL, message.ts) != [], timeout=5)
    assert "access was removed" in stack.slack.replies(CHANNEL, message.ts)[0].text
    assert stack.instantly.move_bodies() == []


def test_requests_go_to_the_approvals_channel_when_one_is_set(tmp_path: Path) -> None:
    with approval_stack(tmp_path, leadmover_approvals_channel="C0APPROVALS") as running:
        running.slack.add_channel("C0APPROVALS", "approvals")
        answer = ask(running)
        assert "C0APPROVALS" in str(answer["view"])
        message = request_message(running, channel="C0APPROVALS")
        assert "Approval needed" in message.text


# --- every way in passes the door ---------------------------------------------------------------------------------


def test_approve_after_the_requester_became_a_guest_starts_nothing_and_says_why(stack: LocalStack) -> None:
    ask(stack)
    message = request_message(stack)
    stack.slack.add_user(ALICE, is_restricted=True)  # since asking, Alice became a guest

    before = len(stack.slack.responses)
    click(stack, message, approval_messages.APPROVE, ADMIN)
    said = told(stack, before)
    assert f"<@{ALICE}> may no longer move leads in this workspace" in said
    assert stack.slack.wait_for(lambda: "Cancelled" in current(stack, message).text, timeout=5)
    assert buttons(current(stack, message)) == []
    assert stack.slack.wait_for(lambda: stack.slack.replies(CHANNEL, message.ts) != [], timeout=5)
    reply = stack.slack.replies(CHANNEL, message.ts)[0].text
    assert f"<@{ALICE}>, your move was not approved" in reply
    assert "may no longer move leads" in reply
    time.sleep(0.3)
    assert stack.instantly.move_bodies() == []


def test_the_approver_sees_instantlys_name_and_a_number_never_the_label_that_came_with_the_submission(
    stack: LocalStack,
) -> None:
    trigger = stack.slack.issue_trigger_id()
    stack.slack.send_command(stack.app_url, text="move", user_id=ALICE, trigger_id=trigger, channel_id=CHANNEL)
    assert stack.slack.wait_for(lambda: stack.slack.view_opened_by(trigger) is not None, timeout=5)
    view = stack.slack.view_opened_by(trigger)
    assert view is not None
    source = pick(stack, view, ids.SOURCE, "acme q1", "Acme Q1 outbound")
    disguised = {**source, "text": {"type": "plain_text", "text": "Sandbox (10 test leads)"}}
    values = {
        ids.SOURCE: disguised,
        ids.DESTINATION: pick(stack, view, ids.DESTINATION, "warm", "Acme warm leads"),
        ids.LIMIT: "5000",
    }
    submit_move(stack.slack, stack.app_url, view_id=view["id"], values=values, user_id=ALICE)
    text = str(request_message(stack).blocks)
    assert "Sandbox" not in text
    assert "campaign *Acme Q1 outbound*" in text
    assert "*up to 5,000 leads (the source holds 1,250)*" in text


def test_a_move_back_above_the_threshold_waits_for_an_approver_and_names_what_it_takes_back(tmp_path: Path) -> None:
    with approval_stack(tmp_path, leadmover_approval_threshold=50) as running:
        ask(running, limit="60")
        click(running, request_message(running), approval_messages.APPROVE, ADMIN)
        anchor = [m for m in running.slack.messages(CHANNEL) if "Approval needed" not in m.text]
        assert running.slack.wait_for(
            lambda: any(
                undo_messages.MOVE_BACK in str(r.blocks)
                for m in running.slack.messages(CHANNEL)
                for r in running.slack.replies(CHANNEL, m.ts)
            ),
            timeout=15,
        ), f"no final reply with Move back: {anchor}"
        reply = next(
            r
            for m in running.slack.messages(CHANNEL)
            for r in running.slack.replies(CHANNEL, m.ts)
            if undo_messages.MOVE_BACK in str(r.blocks)
        )
        # The move's own form is among the opened views already: wait for the confirmation to join it.
        views_before = len(running.slack.opened_views())
        click(running, reply, undo_messages.MOVE_BACK, ALICE)
        assert running.slack.wait_for(lambda: len(running.slack.opened_views()) > views_before, timeout=15)
        confirm = running.slack.opened_views()[-1]
        assert running.slack.submit_view(running.app_url, view_id=confirm["id"], values={}).status == 200
        assert running.slack.wait_for(
            lambda: "needs an approver other than you" in str(running.slack.view(confirm["id"])), timeout=15
        )

        def requests() -> list[Message]:
            everywhere = [
                r for m in running.slack.messages(CHANNEL) for r in [m, *running.slack.replies(CHANNEL, m.ts)]
            ]
            return [m for m in everywhere if "Approval needed" in m.text]

        # The first request now reads "Approved by…": the one still asking is the move back's.
        assert running.slack.wait_for(lambda: len(requests()) == 1, timeout=15)
        request = requests()[-1]
        assert "asks to move back *60 leads*" in str(request.blocks)
        assert "Taking back job #1" in str(request.blocks)
        time.sleep(0.3)
        assert len(running.instantly.move_bodies()) == 1, "nothing is moved back before an approver says so"

        click(running, request, approval_messages.APPROVE, ALICE)  # the requester may not approve her own
        assert len(running.instantly.move_bodies()) == 1
        click(running, request, approval_messages.APPROVE, ADMIN)
        assert running.slack.wait_for(lambda: len(running.instantly.move_bodies()) == 2, timeout=15)
        assert len(running.instantly.move_bodies()[1]["contacts"]) == 60

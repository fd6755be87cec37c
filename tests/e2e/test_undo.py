"""Move back, end to end over signed HTTP: a finished move's reply offers it, only the requester (or an admin) gets
the confirmation, confirming sends exactly one move of the moved e-mails from the destination back to the source,
and a copy offers nothing to take back."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from app.local_stack import DemoWorkspace, LocalStack
from bot.slack.blocks import moved_leads_messages, undo_messages
from handlers import ids
from simulators.slack import Message
from storage.models import Phase
from tests.e2e.flows import open_modal, pick, submit_move

ALICE, BOB, ADMIN = "U0ALICE", "U0BOB", "U0ADMIN"
CHANNEL = "C0SALES"


@pytest.fixture(autouse=True)
def people(stack: LocalStack) -> None:
    """The e2e stack (tests/e2e/conftest.py), with an admin and a second member."""
    stack.slack.add_user(ADMIN, is_admin=True)
    stack.slack.add_user(BOB)


def _move(stack: LocalStack, **extra: Any) -> Message:
    """ALICE moves 40 leads of Acme Q1 outbound into Acme warm leads; returns the job's final reply."""
    view = open_modal(stack)
    values = {
        ids.SOURCE: pick(stack, view, ids.SOURCE, "acme q1", "Acme Q1 outbound"),
        ids.DESTINATION: pick(stack, view, ids.DESTINATION, "warm", "Acme warm leads"),
        ids.LIMIT: "40",
        **extra,
    }
    submit_move(stack.slack, stack.app_url, view_id=view["id"], values=values)
    assert stack.slack.wait_for(lambda: len(_replies(stack)) == 1, timeout=15), "no final reply"
    return _replies(stack)[0]


def _replies(stack: LocalStack) -> list[Message]:
    return [r for m in stack.slack.messages(CHANNEL) for r in stack.slack.replies(CHANNEL, m.ts)]


def _buttons(message: Message) -> list[str]:
    return [e["action_id"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


def _press(stack: LocalStack, reply: Message, user: str) -> None:
    answer = stack.slack.click(
        stack.app_url, channel=CHANNEL, ts=reply.ts, action_id=undo_messages.MOVE_BACK, user_id=user
    )
    assert answer.status == 200


def _confirmation(stack: LocalStack, reply: Message, user: str = ALICE) -> dict[str, Any]:
    before = len(stack.slack.opened_views())
    _press(stack, reply, user)
    assert stack.slack.wait_for(lambda: len(stack.slack.opened_views()) > before, timeout=5), "no modal opened"
    view = stack.slack.opened_views()[-1]
    assert view["callback_id"] == undo_messages.CONFIRM_MODAL
    return view


def _told(stack: LocalStack, before: int) -> dict[str, Any]:
    assert stack.slack.wait_for(lambda: len(stack.slack.responses) > before, timeout=5), "nobody was told anything"
    return stack.slack.responses[-1]


def _moved_emails(stack: LocalStack) -> list[str]:
    [record] = [r for r in stack.services.moves.recent_jobs(team_id=stack.slack.team_id, user_id=None, limit=5)]
    assert record.instantly_job_id is not None
    job = stack.services.workspaces.instantly(stack.slack.team_id).get_job(record.instantly_job_id)
    assert job.moved_lead_emails
    return job.moved_lead_emails


def test_the_requester_moves_the_leads_back_once_and_a_stranger_is_refused(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    reply = _move(stack)
    assert _buttons(reply) == [moved_leads_messages.SHOW_MOVED_LEADS, undo_messages.MOVE_BACK]
    emails = _moved_emails(stack)

    before, opened = len(stack.slack.responses), len(stack.slack.opened_views())
    _press(stack, reply, BOB)
    refusal = _told(stack, before)
    assert refusal["response_type"] == "ephemeral"
    assert refusal["replace_original"] is False
    assert f"Only <@{ALICE}>" in refusal["text"]
    assert len(stack.slack.opened_views()) == opened

    view = _confirmation(stack, reply)
    assert "Move 40 leads back from list Acme warm leads to campaign Acme Q1 outbound?" in str(view["blocks"])
    assert stack.slack.submit_view(stack.app_url, view_id=view["id"], values={}).status == 200

    assert stack.slack.wait_for(lambda: len(stack.instantly.move_bodies()) == 2, timeout=10)
    back = stack.instantly.move_bodies()[1]
    assert back["list_id"] == workspace.lists["Acme warm leads"]
    assert back["to_campaign_id"] == workspace.campaigns["Acme Q1 outbound"]
    assert "campaign" not in back
    assert "to_list_id" not in back
    assert back["contacts"] == emails
    assert stack.slack.wait_for(
        lambda: (
            len(stack.services.moves.recent_jobs(team_id=stack.slack.team_id, user_id=None, limit=5)) == 2
            and all(
                r.phase == Phase.DONE
                for r in stack.services.moves.recent_jobs(team_id=stack.slack.team_id, user_id=None, limit=5)
            )
        ),
        timeout=15,
    ), "the move back is followed like any move"
    [anchor] = stack.slack.messages(CHANNEL)
    thread = stack.slack.replies(CHANNEL, anchor.ts)
    assert [m.ts for m in thread[:1]] == [reply.ts], "the channel holds one message: the move, with its thread"
    back_announcement, back_reply = thread[1:]
    assert stack.slack.wait_for(
        lambda: "Completed (100%)" in stack.slack.replies(CHANNEL, anchor.ts)[1].text, timeout=5
    ), back_announcement.text
    back_announcement = stack.slack.replies(CHANNEL, anchor.ts)[1]
    assert (
        f"<@{ALICE}> is moving back 40 leads from list *Acme warm leads* to campaign *Acme Q1 outbound*, "
        "taking back job #1."
    ) in str(back_announcement.blocks)
    assert back_reply.text.startswith("Move back completed"), back_reply.text
    assert "40 leads moved back to campaign *Acme Q1 outbound*" in str(back_reply.blocks)
    back_buttons = [e["action_id"] for b in back_reply.blocks if b["type"] == "actions" for e in b["elements"]]
    assert undo_messages.MOVE_BACK not in back_buttons, "taking a Move back back is a new move"
    undos = [e for e in stack.services.audit.latest(team_id=stack.slack.team_id, limit=50) if e.action == "undo"]
    assert len(undos) == 1
    assert undos[0].user_id == ALICE
    assert undos[0].outcome == f"started: {len(emails)} leads in one job"

    before = len(stack.slack.responses)
    _press(stack, reply, ALICE)
    assert "already moved back" in _told(stack, before)["text"]
    time.sleep(0.3)
    assert len(stack.instantly.move_bodies()) == 2


def test_pressing_twice_and_confirming_twice_moves_back_once(stack: LocalStack, workspace: DemoWorkspace) -> None:
    reply = _move(stack)
    views = [_confirmation(stack, reply), _confirmation(stack, reply, user=ADMIN)]
    start = threading.Barrier(3)

    def confirm(view: dict[str, Any], user: str) -> None:
        start.wait()
        stack.slack.submit_view(stack.app_url, view_id=view["id"], values={}, user_id=user)

    confirming = [threading.Thread(target=confirm, args=pair) for pair in zip(views, (ALICE, ADMIN), strict=True)]
    for thread in confirming:
        thread.start()
    start.wait()
    for thread in confirming:
        thread.join(10)
    assert stack.slack.wait_for(lambda: len(stack.instantly.move_bodies()) == 2, timeout=10)
    time.sleep(1.5)
    assert len(stack.instantly.move_bodies()) == 2
    undos = [e for e in stack.services.audit.latest(team_id=stack.slack.team_id, limit=50) if e.action == "undo"]
    assert len(undos) == 1


def test_a_copy_offers_no_move_back(stack: LocalStack, workspace: DemoWorkspace) -> None:
    reply = _move(stack, **{ids.MODE: ids.MODE_COPY})
    assert reply.text.startswith("Copy completed")
    assert _buttons(reply) == [moved_leads_messages.SHOW_MOVED_LEADS], "its leads can be listed, not taken back"
    assert undo_messages.NOT_REPORTED not in str(reply.blocks)

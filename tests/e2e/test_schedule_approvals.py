"""A schedule whose move needs approval, end to end over signed HTTP: the request says how often and when, an approver
approves it once (its owner may not), its runs then start without asking; a rejected one never runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time
from pathlib import Path

import pytest

from app.local_stack import DemoWorkspace, LocalStack, local_stack, seed
from bot.moves import Requester
from bot.recurrence import Frequency, Recurrence
from bot.schedules import Denied
from bot.slack.blocks import schedule_messages
from simulators.slack import Message
from storage.automation_models import ScheduleState
from storage.orders import Endpoint, EndpointKind, MoveOrder
from storage.schedules import ScheduleRecord

ALICE, APPROVER = "U0ALICE", "U0APPROVER"
CHANNEL = "C0SALES"
EVERY_DAY = Recurrence(Frequency.DAILY, time(9, 0), "Europe/Berlin")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    with local_stack(
        database_url=f"sqlite:///{tmp_path / 'schedules.db'}",
        leadmover_approvals=True,
        leadmover_approvers=APPROVER,
    ) as running:
        for person in (ALICE, APPROVER):
            running.slack.add_user(person)
        yield running
        assert running.slack.violations == []
        assert running.instantly.violations == []


@pytest.fixture
def workspace(stack: LocalStack) -> DemoWorkspace:
    return seed(stack.instantly)


def scheduled(stack: LocalStack, workspace: DemoWorkspace) -> ScheduleRecord:
    """ALICE schedules a daily move of every lead of Acme Q1 outbound into Acme warm leads: it needs approval."""
    order = MoveOrder(
        source=Endpoint(kind=EndpointKind.CAMPAIGN, id=workspace.campaigns["Acme Q1 outbound"], name="Acme Q1"),
        destination=Endpoint(kind=EndpointKind.LIST, id=workspace.lists["Acme warm leads"], name="Acme warm leads"),
    )
    made = stack.services.schedules.create(
        requester=Requester(team_id=stack.slack.team_id, user_id=ALICE, channel_id=CHANNEL),
        order=order,
        recurrence=EVERY_DAY,
    )
    assert isinstance(made, ScheduleRecord)
    return made


def request(stack: LocalStack) -> Message:
    found = [m for m in stack.slack.messages(CHANNEL) if m.text.startswith("Approval needed")]
    assert len(found) == 1, [m.text for m in stack.slack.messages(CHANNEL)]
    return found[0]


def press(stack: LocalStack, message: Message, action: str, user: str) -> None:
    response = stack.slack.click(stack.app_url, channel=CHANNEL, ts=message.ts, action_id=action, user_id=user)
    assert response.status == 200


def test_a_schedule_needing_approval_asks_once_and_then_runs_without_asking(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    schedule = scheduled(stack, workspace)
    asked = request(stack)
    assert "every day at 09:00 (Europe/Berlin)" in asked.text
    assert "<@U0ALICE>" in asked.text
    before = len(stack.slack.responses)
    press(stack, asked, schedule_messages.APPROVE, ALICE)
    assert stack.slack.wait_for(lambda: len(stack.slack.responses) > before, timeout=5)
    assert "made this schedule" in str(stack.slack.responses[-1].get("text"))
    press(stack, asked, schedule_messages.APPROVE, APPROVER)
    assert stack.slack.wait_for(lambda: "Approved by" in str(request_now(stack, asked).blocks), timeout=5)
    assert "approve_schedule" not in str(request_now(stack, asked).blocks), "the buttons gave way to the decision"
    approved = stack.services.schedules.managed(team_id=stack.slack.team_id, user_id=ALICE, schedule_id=schedule.id)
    assert isinstance(approved, ScheduleRecord)
    assert approved.state == ScheduleState.ACTIVE
    assert approved.approved_by == APPROVER
    ran = stack.services.schedules.run_now(team_id=stack.slack.team_id, user_id=ALICE, schedule_id=schedule.id)
    assert isinstance(ran, ScheduleRecord)
    assert stack.slack.wait_for(lambda: len(stack.instantly.move_bodies()) == 1, timeout=10)
    assert not any(m.text.startswith("Approval needed") for m in stack.slack.messages(CHANNEL)), (
        "its run asked no one again"
    )


def request_now(stack: LocalStack, asked: Message) -> Message:
    return next(m for m in stack.slack.messages(CHANNEL) if m.ts == asked.ts)


def test_a_rejected_schedule_never_runs(stack: LocalStack, workspace: DemoWorkspace) -> None:
    schedule = scheduled(stack, workspace)
    asked = request(stack)
    press(stack, asked, schedule_messages.REJECT, APPROVER)
    assert stack.slack.wait_for(lambda: "Not approved by" in str(request_now(stack, asked).blocks), timeout=5)
    team = stack.slack.team_id
    assert isinstance(stack.services.schedules.run_now(team_id=team, user_id=ALICE, schedule_id=schedule.id), Denied)
    assert isinstance(stack.services.schedules.resume(team_id=team, user_id=ALICE, schedule_id=schedule.id), Denied)
    assert stack.services.schedules.tick() == 0
    assert stack.instantly.move_bodies() == []
    told = [m.text for m in stack.slack.messages(CHANNEL)]
    assert any("not approved by <@U0APPROVER>" in text for text in told), told

"""The "Move Instantly leads" Workflow Builder step, end to end against the simulators: Slack delivers
function_executed over signed HTTP or Socket Mode, the move goes through the door, is announced and followed like
any, and the step ends with its outputs or with words, once, with the run's own token."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from app.local_stack import DemoWorkspace, LocalStack, local_stack, seed
from bot.secrets import new_key
from bot.slack.blocks import approval_messages
from bot.workflow_steps import MOVE_STEP, NO_KEY, WAIT_LIMIT
from handlers import approvals as approval_handlers
from simulators.instantly import FakeInstantly
from simulators.slack import Execution, FakeSlack
from storage.automation_models import StepState, WorkflowStepRow
from storage.clock import utcnow
from tests.e2e.processes import AppProcess, app_env
from tests.e2e.test_approvals import click, request_message

ALICE, GUEST, APPROVER = "U0ALICE", "U0GUEST", "U0APPROVER"
CHANNEL = "C0SALES"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    with local_stack(database_url=f"sqlite:///{tmp_path / 'steps.db'}", leadmover_encryption_key=new_key()) as running:
        running.slack.add_user(ALICE)
        running.slack.add_user(GUEST, is_restricted=True)
        yield running
        assert running.slack.violations == []
        assert running.instantly.violations == []


@pytest.fixture
def workspace(stack: LocalStack) -> DemoWorkspace:
    return seed(stack.instantly)


@contextmanager
def approving(tmp_path: Path, **settings: Any) -> Iterator[tuple[LocalStack, DemoWorkspace]]:
    """The app with approvals on and APPROVER in LEADMOVER_APPROVERS."""
    with local_stack(
        database_url=f"sqlite:///{tmp_path / 'approvals.db'}",
        leadmover_approvals=True,
        leadmover_approvers=APPROVER,
        leadmover_encryption_key=new_key(),
        **settings,
    ) as running:
        for person in (ALICE, APPROVER):
            running.slack.add_user(person)
        yield running, seed(running.instantly)
        assert running.slack.violations == []
        assert running.instantly.violations == []


def inputs(workspace: DemoWorkspace, **changes: Any) -> dict[str, Any]:
    given: dict[str, Any] = {
        "from": f"campaign:{workspace.campaigns['Acme Q1 outbound']}",
        "to": 'list:"Acme warm leads"',
        "mode": "copy",
        "limit": 200,
        "channel_id": CHANNEL,
        "user_id": ALICE,
        "workflow_name": "New deal handoff",
    }
    return {key: value for key, value in {**given, **changes}.items() if value is not None}


def ended(stack: LocalStack, run: Execution, timeout: float = 20.0) -> Execution:
    return stack.slack.functions.wait_for_end(run.function_execution_id, timeout=timeout)


def test_a_run_moves_the_leads_and_ends_with_its_outputs(stack: LocalStack, workspace: DemoWorkspace) -> None:
    run = stack.slack.run_step(stack.app_url, callback_id=MOVE_STEP, inputs=inputs(workspace))
    assert run.responses[-1].status == 200
    done = ended(stack, run)
    assert done.state == "completed", done.error
    job = stack.services.moves.submitted(
        team_id=stack.slack.team_id, submission_key=f"workflow:{run.function_execution_id}"
    )
    assert job is not None
    outputs = done.outputs or {}
    assert outputs["job_number"] == job.record.id
    assert outputs["status"] == "completed"
    assert outputs["moved_count"] == 200
    assert outputs["instantly_job_id"] == job.record.instantly_job_id
    assert f"/archives/{CHANNEL}/p" in outputs["thread_url"]
    (body,) = stack.instantly.move_bodies()
    assert body["copy_leads"] is True
    assert body["limit"] == 200
    announcement = stack.slack.messages(CHANNEL)[0]
    assert "via workflow *New deal handoff*" in str(announcement.blocks)
    assert len(stack.slack.replies(CHANNEL, announcement.ts)) == 1, "followed in its thread like any move"


def test_a_move_that_fails_fails_the_step_in_words(stack: LocalStack, workspace: DemoWorkspace) -> None:
    stack.instantly.final_status = "failed"
    done = ended(stack, stack.slack.run_step(stack.app_url, callback_id=MOVE_STEP, inputs=inputs(workspace)))
    assert done.state == "failed"
    assert "Instantly reports the move failed" in (done.error or "")


def test_a_person_who_may_not_move_is_refused_and_nothing_is_sent(stack: LocalStack, workspace: DemoWorkspace) -> None:
    done = ended(
        stack, stack.slack.run_step(stack.app_url, callback_id=MOVE_STEP, inputs=inputs(workspace, user_id=GUEST))
    )
    assert done.state == "failed"
    assert "guest" in (done.error or "").lower(), done.error
    assert stack.instantly.move_bodies() == []


@pytest.mark.parametrize(
    ("destination", "words"),
    [("Nowhere at all", "has no campaign or list called “Nowhere at all”"), ("Acme", "matches")],
)
def test_an_unknown_or_ambiguous_name_fails_the_step_and_says_which(
    stack: LocalStack, workspace: DemoWorkspace, destination: str, words: str
) -> None:
    done = ended(
        stack, stack.slack.run_step(stack.app_url, callback_id=MOVE_STEP, inputs=inputs(workspace, to=destination))
    )
    assert done.state == "failed"
    assert "“To”" in (done.error or "")
    assert words in (done.error or ""), done.error
    assert stack.instantly.move_bodies() == []


def test_a_run_delivered_again_starts_one_move(stack: LocalStack, workspace: DemoWorkspace) -> None:
    run = stack.slack.run_step(stack.app_url, callback_id=MOVE_STEP, inputs=inputs(workspace))
    assert stack.slack.functions.deliver(stack.app_url, run.function_execution_id).status == 200
    done = ended(stack, run)
    assert stack.slack.functions.deliver(stack.app_url, run.function_execution_id).status == 200
    assert done.state == "completed"
    assert len(stack.instantly.move_bodies()) == 1
    assert len(stack.slack.messages(CHANNEL)) == 1
    assert len(stack.slack.calls_to("functions.completeSuccess")) == 1


def test_the_run_token_is_forgotten_once_slack_was_told(stack: LocalStack, workspace: DemoWorkspace) -> None:
    run = stack.slack.run_step(stack.app_url, callback_id=MOVE_STEP, inputs=inputs(workspace))
    ended(stack, run)
    assert stack.slack.wait_for(lambda: _stored(stack).state == StepState.COMPLETED, timeout=5)
    stored = _stored(stack)
    assert stored.sealed_token is None
    assert run.token not in str(stored.outcome)


def _stored(stack: LocalStack) -> WorkflowStepRow:
    with stack.services.db.reading() as session:
        row = session.query(WorkflowStepRow).one()
        session.expunge(row)
        return row


def test_the_from_and_to_menus_list_the_campaigns_and_lists(stack: LocalStack, workspace: DemoWorkspace) -> None:
    options = stack.slack.load_step_options(stack.app_url, callback_id=MOVE_STEP, input_name="from")
    labels = [option["text"]["text"] for option in options]
    assert "Campaign: Acme Q1 outbound" in labels
    assert "List: Acme warm leads" in labels
    chosen = next(o["value"] for o in options if o["text"]["text"] == "List: Trade show 2026")
    done = ended(stack, stack.slack.run_step(stack.app_url, callback_id=MOVE_STEP, inputs=inputs(workspace, to=chosen)))
    assert done.state == "completed", done.error
    assert stack.instantly.move_bodies()[0]["to_list_id"] == workspace.lists["Trade show 2026"]


def test_without_an_encryption_key_the_step_fails_at_once_in_words(tmp_path: Path) -> None:
    with local_stack(database_url=f"sqlite:///{tmp_path / 'nokey.db'}") as running:
        workspace = seed(running.instantly)
        run = running.slack.run_step(running.app_url, callback_id=MOVE_STEP, inputs=inputs(workspace))
        done = ended(running, run, timeout=5)
        assert (done.state, done.error) == ("failed", NO_KEY)
        assert running.instantly.move_bodies() == []
        assert running.slack.violations == []


def test_over_socket_mode_a_run_ends_with_its_outputs(tmp_path: Path) -> None:
    with local_stack(
        database_url=f"sqlite:///{tmp_path / 'socket.db'}", socket_mode=True, leadmover_encryption_key=new_key()
    ) as running:
        running.slack.add_user(ALICE)
        workspace = seed(running.instantly)
        assert running.slack.wait_for_socket(timeout=10)
        run = running.slack.socket_run_step(callback_id=MOVE_STEP, inputs=inputs(workspace))
        assert running.slack.functions.deliver(None, run.function_execution_id).status == 200  # Slack's retry
        done = ended(running, run)
        assert done.state == "completed", done.error
        assert len(running.instantly.move_bodies()) == 1, "delivered twice, one move"
        assert (done.outputs or {})["moved_count"] == 200
        options = running.slack.load_step_options(None, callback_id=MOVE_STEP, input_name="to")
        assert any(o["value"].startswith("list:") for o in options)
        assert running.slack.violations == []
        assert running.instantly.violations == []


def test_a_big_move_waits_for_an_approver_then_ends_the_step(tmp_path: Path) -> None:
    with approving(tmp_path) as (running, workspace):
        run = running.slack.run_step(running.app_url, callback_id=MOVE_STEP, inputs=inputs(workspace, limit=None))
        request = request_message(running)
        assert running.instantly.move_bodies() == []
        assert running.slack.functions.execution(run.function_execution_id).state == "running"
        click(running, request, approval_messages.APPROVE, APPROVER)
        done = ended(running, run)
        assert done.state == "completed", done.error
        assert len(running.instantly.move_bodies()) == 1


def test_a_rejected_move_fails_the_step(tmp_path: Path) -> None:
    with approving(tmp_path) as (running, workspace):
        run = running.slack.run_step(running.app_url, callback_id=MOVE_STEP, inputs=inputs(workspace, limit=None))
        request = request_message(running)
        views_before = len(running.slack.opened_views())
        click(running, request, approval_messages.REJECT, APPROVER)
        assert running.slack.wait_for(lambda: len(running.slack.opened_views()) > views_before, timeout=5)
        reason_view = running.slack.opened_views()[-1]
        values = {approval_handlers.REASON: "Wrong campaign"}
        running.slack.submit_view(running.app_url, view_id=reason_view["id"], values=values, user_id=APPROVER)
        done = ended(running, run)
        assert done.state == "failed"
        assert "not approved" in (done.error or ""), done.error
        assert running.instantly.move_bodies() == []


def test_killed_between_the_moves_end_and_telling_slack_the_restart_tells_it_once(tmp_path: Path) -> None:
    with FakeSlack() as slack, FakeInstantly() as instantly:
        workspace = seed(instantly)
        slack.add_user(ALICE)
        env = app_env(
            slack=slack,
            instantly=instantly,
            database_url=f"sqlite:///{tmp_path / 'crash.db'}",
            lease_seconds="1.5",
            leadmover_encryption_key=new_key(),
        )
        # Slack fails the completion while the first process lives: it is killed with the run still to be told.
        slack.fail_next("functions.completeSuccess", "internal_error", times=1000)
        with AppProcess(env=env, log_path=tmp_path / "first.log") as first:
            first.wait_healthy()
            run = slack.run_step(first.app_url, callback_id=MOVE_STEP, inputs=inputs(workspace))
            assert slack.wait_for(lambda: slack.calls_to("functions.completeSuccess") != [], timeout=30), first.log()
            first.kill()
        slack.clear_failures("functions.completeSuccess")
        assert slack.functions.execution(run.function_execution_id).state == "running"
        with AppProcess(env=env, log_path=tmp_path / "second.log") as second:
            second.wait_healthy()
            done = slack.functions.wait_for_end(run.function_execution_id, timeout=30)
            assert done.state == "completed", second.log()
            assert (done.outputs or {})["moved_count"] == 200
        assert len(instantly.move_bodies()) == 1
        assert slack.violations == []
        assert instantly.violations == []


def test_an_approval_that_expires_fails_the_step_in_words(tmp_path: Path) -> None:
    with approving(tmp_path, leadmover_approval_hours=0.0005) as (running, workspace):  # under 2 seconds
        run = running.slack.run_step(running.app_url, callback_id=MOVE_STEP, inputs=inputs(workspace, limit=None))
        request_message(running)
        done = ended(running, run)
        assert done.state == "failed"
        assert "not approved" in (done.error or ""), done.error
        assert running.instantly.move_bodies() == []


@contextmanager
def slow_to_start(tmp_path: Path, *, in_flight: int, seconds: float) -> Iterator[tuple[LocalStack, DemoWorkspace]]:
    """The app where a person may have `in_flight` moves waiting for Instantly, which takes `seconds` to start one."""
    with local_stack(
        database_url=f"sqlite:///{tmp_path / 'slow.db'}",
        leadmover_encryption_key=new_key(),
        leadmover_moves_in_flight_per_user=in_flight,
    ) as running:
        running.slack.add_user(ALICE)
        workspace = seed(running.instantly)
        running.instantly.delay["/api/v2/leads/move"] = seconds
        yield running, workspace
        assert running.slack.violations == []
        assert running.instantly.violations == []


def test_a_burst_of_runs_for_one_person_starts_in_turns_and_every_step_ends_with_its_outputs(tmp_path: Path) -> None:
    # Two moves waiting for a slow Instantly is all one person may have: the other runs wait their turn, not fail.
    with slow_to_start(tmp_path, in_flight=2, seconds=1.5) as (running, workspace):
        runs = [
            running.slack.run_step(running.app_url, callback_id=MOVE_STEP, inputs=inputs(workspace, limit=10))
            for _ in range(4)
        ]
        assert all(run.responses[-1].status == 200 for run in runs)
        with running.services.db.reading() as session:
            waiting = [row.waiting_reason for row in session.query(WorkflowStepRow) if row.waiting_reason is not None]
        assert waiting, "some runs wait for their turn"
        assert "moves waiting for Instantly to start them" in waiting[0]
        for run in runs:
            done = ended(running, run, timeout=60)
            assert done.state == "completed", done.error
        assert len(running.instantly.move_bodies()) == 4


def test_a_run_still_not_taken_after_the_wait_fails_the_step_with_the_reason(tmp_path: Path) -> None:
    # The first move waits for Instantly all along.
    with slow_to_start(tmp_path, in_flight=1, seconds=8.0) as (running, workspace):
        first, second = (
            running.slack.run_step(running.app_url, callback_id=MOVE_STEP, inputs=inputs(workspace, limit=10))
            for _ in range(2)
        )
        with running.services.db.session() as session:  # the second has waited its ten minutes already
            session.execute(
                update(WorkflowStepRow)
                .where(WorkflowStepRow.execution_id == second.function_execution_id)
                .values(created_at=utcnow() - WAIT_LIMIT, not_before=utcnow())
            )
        running.services.workflow_steps.ask_again()  # or the loop's own round, if it came first
        done = ended(running, second)
        assert done.state == "failed"
        assert "You have 1 move waiting for Instantly to start it" in (done.error or ""), done.error
        assert ended(running, first, timeout=30).state == "completed"
        assert len(running.instantly.move_bodies()) == 1

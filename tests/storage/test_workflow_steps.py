"""Workflow step runs (storage.workflow_steps), on SQLite and PostgreSQL: a run is written once however often Slack
delivers it; it is due once refused, once its job ended and was told in its thread (or long after an end that was
not told), or when no job came of it; one owner at a time takes it; told, its sealed token is gone."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from storage import workflow_steps
from storage.automation_models import StepState, WorkflowStepRow
from storage.clock import utcnow
from storage.db import Database
from storage.models import JobRow, Phase
from storage.workflow_steps import StepRun
from tests.factories import requested_job

TEAM = "T0ACME"


def opened(db: Database, execution_id: str = "Fx1") -> StepRun:
    run, first = workflow_steps.open_run(
        db, team_id=TEAM, execution_id=execution_id, workflow_execution_id="Wx1", user_id="U0ALICE", sealed_token="s"
    )
    assert first
    return run


def due(db: Database, owner: str = "me", **windows: Any) -> list[StepRun]:
    settle = windows.get("settle_seconds", 30.0)
    orphan = windows.get("orphan_seconds", 600.0)
    return workflow_steps.claim_due(db, owner=owner, lease_seconds=60, settle_seconds=settle, orphan_seconds=orphan)


def set_phase(db: Database, job_id: int, phase: Phase, *, finished_ago: float = 0.0) -> None:
    with db.session() as session:
        session.execute(
            update(JobRow)
            .where(JobRow.id == job_id)
            .values(phase=phase, finished_at=utcnow() - timedelta(seconds=finished_ago))
        )


def test_a_run_delivered_again_is_the_run_written_the_first_time(db: Database) -> None:
    run = opened(db)
    again, first = workflow_steps.open_run(
        db, team_id=TEAM, execution_id="Fx1", workflow_execution_id="Wx1", user_id="U0ALICE", sealed_token="other"
    )
    assert not first
    assert again.id == run.id
    assert again.sealed_token == "s"


def test_a_run_delivered_many_times_at_once_is_written_once(db: Database) -> None:
    def deliver(_: int) -> int:
        return workflow_steps.open_run(
            db, team_id=TEAM, execution_id="Fx9", workflow_execution_id=None, user_id="U0ALICE", sealed_token="s"
        )[0].id

    with ThreadPoolExecutor(4) as pool:
        assert len(set(pool.map(deliver, range(8)))) == 1
    with db.reading() as session:
        assert session.query(WorkflowStepRow).count() == 1


def test_a_refused_run_is_due_at_once_and_taken_by_one_owner(db: Database) -> None:
    run = opened(db)
    assert due(db) == []
    workflow_steps.refuse(db, run_id=run.id, error="You may not move leads here.")
    taken = due(db, "one")
    assert [r.error for r in taken] == ["You may not move leads here."]
    assert due(db, "two") == [], "leased to the first owner"


def test_a_run_waits_for_its_job_to_end_and_be_told(db: Database) -> None:
    run = opened(db)
    record = requested_job(db)
    workflow_steps.attach_job(db, run_id=run.id, job_id=record.id)
    assert due(db) == []
    set_phase(db, record.id, Phase.FINISHED)
    assert due(db) == [], "the thread hears of the end first"
    set_phase(db, record.id, Phase.DONE)
    assert [r.job_id for r in due(db)] == [record.id]


def test_an_end_never_told_in_its_thread_is_told_to_the_workflow_after_a_while(db: Database) -> None:
    run = opened(db)
    record = requested_job(db)
    workflow_steps.attach_job(db, run_id=run.id, job_id=record.id)
    set_phase(db, record.id, Phase.FINISHED, finished_ago=60)
    assert [r.id for r in due(db, settle_seconds=30)] == [run.id]


def test_moves_that_never_started_end_their_runs(db: Database) -> None:
    for number, phase in enumerate((Phase.START_FAILED, Phase.NOT_APPROVED)):
        run = opened(db, f"Fx{number}")
        record = requested_job(db)
        workflow_steps.attach_job(db, run_id=run.id, job_id=record.id)
        set_phase(db, record.id, phase)
        assert [r.id for r in due(db)] == [run.id]


def test_a_run_no_job_came_of_is_due_after_the_orphan_window(db: Database) -> None:
    run = opened(db)
    assert due(db, orphan_seconds=600) == []
    assert [r.id for r in due(db, orphan_seconds=-1)] == [run.id]


def test_told_runs_forget_their_token_and_are_never_due_again(db: Database) -> None:
    run = opened(db)
    workflow_steps.refuse(db, run_id=run.id, error="no")
    workflow_steps.complete(db, run_id=run.id, outcome="error: no")
    with db.reading() as session:
        row = session.get(WorkflowStepRow, run.id)
        assert row is not None
        assert row.sealed_token is None
        assert row.state == StepState.COMPLETED
        assert row.completed_at is not None
    assert due(db) == []


def test_a_retry_waits_its_delay(db: Database) -> None:
    run = opened(db)
    workflow_steps.refuse(db, run_id=run.id, error="no")
    workflow_steps.retry_later(db, run_id=run.id, attempts=1, delay=60)
    assert due(db) == []


def test_a_deleted_job_leaves_its_run_due(db: Database) -> None:
    run = opened(db)
    record = requested_job(db)
    workflow_steps.attach_job(db, run_id=run.id, job_id=record.id)
    assert stored(db, run.id).job_id == record.id
    _delete(db, record.id)
    assert [r.job_id for r in due(db, orphan_seconds=-1)] == [None]


def stored(db: Database, run_id: int) -> WorkflowStepRow:
    with db.reading() as session:
        row = session.get(WorkflowStepRow, run_id)
        assert row is not None
        session.expunge(row)
        return row


def _delete(db: Database, job_id: int) -> None:
    with db.session() as session:
        session.query(JobRow).filter(JobRow.id == job_id).delete()


def test_a_run_put_off_is_asked_again_from_its_time_by_one_owner_and_is_never_an_orphan(db: Database) -> None:
    run, _ = workflow_steps.open_run(
        db,
        team_id=TEAM,
        execution_id="Fx5",
        workflow_execution_id=None,
        user_id="U0ALICE",
        sealed_token="s",
        inputs={"from": "campaign:x", "to": "Acme warm", "limit": 10},
    )
    workflow_steps.put_off(db, run_id=run.id, reason="busy", retry_at=utcnow() + timedelta(seconds=30))
    assert workflow_steps.claim_waiting(db, owner="a", lease_seconds=60) == []
    assert due(db, orphan_seconds=-1) == [], "waiting to be asked again is not lost"
    workflow_steps.put_off(db, run_id=run.id, reason="still busy", retry_at=utcnow() - timedelta(seconds=1))
    [taken] = workflow_steps.claim_waiting(db, owner="a", lease_seconds=60)
    assert taken.waiting_reason == "still busy"
    assert taken.inputs == {"from": "campaign:x", "to": "Acme warm", "limit": 10}
    assert workflow_steps.claim_waiting(db, owner="b", lease_seconds=60) == []
    job = requested_job(db)
    workflow_steps.attach_job(db, run_id=run.id, job_id=job.id)
    assert workflow_steps.claim_waiting(db, owner="b", lease_seconds=60) == []
    with db.reading() as session:
        row = session.get(WorkflowStepRow, run.id)
        assert row is not None
        assert (row.waiting_reason, row.lease_owner) == (None, None)

"""The workflow step's words and values, without Slack: its inputs read as Slack sends them, a bad input named for
the workflow's builder, lead statuses by code or by the form's words, and how each end of a move becomes the step's
outputs or its error."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from bot.instantly.schemas import JobStatus
from bot.slack.step_ends import LOST_BEFORE_WRITTEN, ending
from bot.workflow_inputs import StepInputs, lead_status_code, problem_in
from storage.automation_models import StepState
from storage.models import Phase
from storage.orders import MoveMode
from storage.workflow_steps import StepRun
from tests.factories import a_record

GIVEN = {"from": "campaign:x", "to": "Acme warm", "channel_id": "C0SALES", "user_id": "U0ALICE"}


def a_run(**changes: object) -> StepRun:
    values: dict[str, object] = {
        "id": 1,
        "team_id": "T0ACME",
        "execution_id": "Fx1",
        "user_id": "U0ALICE",
        "job_id": 7,
        "sealed_token": "sealed",
        "state": StepState.OPEN,
        "error": None,
        "attempts": 0,
        "created_at": datetime.now(UTC),
    }
    return StepRun(**{**values, **changes})  # type: ignore[arg-type]


def test_inputs_are_read_as_slack_sends_them() -> None:
    inputs = StepInputs.model_validate(
        {**GIVEN, "mode": " Copy ", "limit": 200, "lead_status": "", "skip_duplicates": True, "unknown": 1}
    )
    assert (inputs.source, inputs.destination, inputs.mode) == ("campaign:x", "Acme warm", MoveMode.COPY)
    assert inputs.limit == 200
    assert inputs.lead_status is None
    assert inputs.skip_duplicates


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"from": ""}, "From"),
        ({"limit": 0}, "At most this many leads"),
        ({"channel_id": "general"}, "Announce in"),
        ({"mode": "x"}, "Move or copy"),
    ],
)
def test_a_bad_input_is_named_for_the_builder(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        StepInputs.model_validate({**GIVEN, **changes})
    words = problem_in(raised.value)
    assert f"“{field}”" in words
    assert "nothing was moved" in words


def test_a_lead_status_is_taken_by_code_or_by_the_forms_words() -> None:
    assert lead_status_code("FILTER_LEAD_INTERESTED") == "FILTER_LEAD_INTERESTED"
    assert lead_status_code("filter_val_replied") == "FILTER_VAL_REPLIED"
    assert lead_status_code(" meeting BOOKED ") == "FILTER_LEAD_MEETING_BOOKED"
    assert lead_status_code("hot") is None


def test_a_successful_move_gives_the_steps_outputs() -> None:
    record = a_record(id=12, status=JobStatus.SUCCESS, phase=Phase.DONE, moved_leads=412, instantly_job_id="abc")
    assert ending(a_run(), record) == {
        "job_number": 12,
        "status": "completed",
        "moved_count": 412,
        "instantly_job_id": "abc",
    }


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"status": JobStatus.FAILED, "progress": 40, "error": "quota"}, "failed at 40%: quota (leadmover job #12)"),
        ({"status": JobStatus.CANCELLED, "progress": 10}, "cancelled in Instantly at 10%"),
        ({"phase": Phase.NOT_APPROVED, "error": "too many"}, "not approved (too many)"),
        ({"phase": Phase.START_FAILED, "error": "Invalid API key"}, "did not start the move: Invalid API key"),
    ],
)
def test_every_other_end_fails_the_step_in_words(changes: dict[str, object], words: str) -> None:
    end = ending(a_run(), a_record(id=12, **changes))
    assert isinstance(end, str)
    assert words in end, end


def test_a_refusal_or_a_lost_run_fails_the_step_in_words() -> None:
    assert ending(a_run(error="You may not move leads."), None) == "You may not move leads."
    assert ending(a_run(job_id=None), None) == LOST_BEFORE_WRITTEN

"""Instantly's wire format: unknown fields and new enum values never break us; what we send is strict."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.instantly.schemas import BackgroundJob, JobStatus, MoveLeadsRequest, Page, is_terminal

JOB = {
    "id": "675266e304a8e55b17f0228b",
    "workspace_id": "019cc043-af1d-74f8-bb1a-ebd9220e8d8e",
    "type": "move-leads",
    "progress": 40,
    "status": "in-progress",
    "created_at": "2026-03-05T23:09:47.165Z",
    "updated_at": "2026-03-05T23:09:47.165Z",
}


def test_every_documented_status_is_classified() -> None:
    assert {s for s in JobStatus if is_terminal(s)} == {JobStatus.SUCCESS, JobStatus.FAILED, JobStatus.CANCELLED}
    assert not is_terminal("paused")


def test_unknown_status_type_and_fields_are_accepted() -> None:
    job = BackgroundJob.model_validate({**JOB, "status": "throttled", "type": "future-job", "brand_new": {"x": 1}})
    assert job.status == "throttled"
    assert not job.is_terminal
    assert job.moved_leads is None


def test_moved_leads_comes_from_data() -> None:
    assert BackgroundJob.model_validate({**JOB, "data": {"moved_leads": 12}}).moved_leads == 12
    assert BackgroundJob.model_validate({**JOB, "data": {"moved_leads": "12"}}).moved_leads is None


def test_page_keeps_the_cursor() -> None:
    page = Page[BackgroundJob].model_validate({"items": [JOB], "next_starting_after": "abc"})
    assert page.items[0].id == JOB["id"]
    assert page.next_starting_after == "abc"


def test_move_request_is_strict_and_sends_only_what_is_set() -> None:
    assert MoveLeadsRequest(campaign="c", to_list_id="l").to_body() == {"campaign": "c", "to_list_id": "l"}
    with pytest.raises(ValidationError):
        MoveLeadsRequest(campaing="c")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        MoveLeadsRequest(limit=0)

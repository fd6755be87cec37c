"""TrackingService over an in-process Instantly (httpx.MockTransport): Instantly's refusals become words, nothing is
written down for a job that could not be read, and a job's id is looked up once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bot.moves import MoveService
from bot.tracking import TrackingService
from storage import jobs
from storage.db import Database
from tests.factories import for_every_team
from tests.stand_ins import instantly_client

JOB = "6a" * 12


class Everyone:
    """Access for a workspace where everyone may move (the rules themselves are bot.access's tests)."""

    def refusal_to_move(self, *, team_id: str, user_id: str) -> str | None:
        return None


def _service(db: Database, answer: httpx.Response, seen: list[httpx.Request]) -> TrackingService:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer

    client = for_every_team(instantly_client(handler, max_attempts=1))
    moves = MoveService(db=db, instantly=client, owner="web-1", poll_interval=3.0)
    access: Any = Everyone()
    return TrackingService(db=db, access=access, instantly=client, moves=moves, poll_interval=3.0)


def _error(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"statusCode": status, "error": "Error", "message": message})


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (_error(403, "Missing scope"), "leadmover's Instantly API key lacks `background-jobs:read`."),
        (_error(401, "Invalid API key"), "Instantly rejected leadmover's API key"),
        (_error(429, "Too many requests"), "Instantly is rate limiting this workspace right now."),
        (_error(404, "Background job not found"), f"Instantly has no background job `{JOB}` in this workspace."),
    ],
)
def test_instantlys_refusals_are_answered_in_words_and_nothing_is_followed(
    sqlite_db: Database, answer: httpx.Response, words: str
) -> None:
    seen: list[httpx.Request] = []
    tracking = _service(sqlite_db, answer, seen).track(team_id="T1", user_id="U1", channel_id="C1", job_id=JOB)

    assert words in tracking.answer
    assert tracking.record is None
    assert jobs.recent(sqlite_db) == []
    assert [request.url.path for request in seen][:1] == [f"/api/v2/background-jobs/{JOB}"]
    assert "data_fields" not in seen[0].url.params, "every count in `data` is wanted, not only a move's"


def test_an_id_already_followed_is_answered_without_asking_instantly(sqlite_db: Database) -> None:
    job = {
        "id": JOB,
        "workspace_id": "w",
        "type": "import-leads",
        "progress": 10,
        "status": "in-progress",
        "created_at": "2026-01-01T00:00:00.000Z",
        "updated_at": "2026-01-01T00:00:01.000Z",
    }
    seen: list[httpx.Request] = []
    service = _service(sqlite_db, httpx.Response(200, json=job), seen)
    first = service.track(team_id="T1", user_id="U1", channel_id="C1", job_id=JOB)
    assert first.record is not None
    assert not first.already

    again = service.track(team_id="T1", user_id="U2", channel_id="C2", job_id=f"`{JOB.upper()}`")

    assert again.already
    assert again.record == first.record
    assert f"is already followed in <#C1> (leadmover #{first.record.id}), asked by <@U1>" in again.answer
    assert len(seen) == 1

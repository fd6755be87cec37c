"""Taking a move back (bot.undo.UndoService, as wired for one process, over a real SQLite database and Instantly
answered in process): the e-mails are asked for afresh by name and go back through the door in parts, each part
sent once; only the requester and admins may; every move back is audited."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from bot.door import PART_SIZE
from bot.services import Services
from storage import audit, jobs
from storage.db import Database
from storage.records import JobRecord
from tests.factories import an_order, campaign, lead_list, running_job
from tests.stand_ins import SlackStandIn, instantly_error, instantly_job

EMAILS = [f"lead{n}@example.com" for n in range(2 * PART_SIZE + 500)]
JOB = "b" * 24
NAMES = {"campaigns/c1": "Q1", "lead-lists/l1": "Warm"}


@dataclass
class MovedInstantly:
    """Instantly after the move: its job names the moved e-mails, the two places are known by id, and each part of
    the move back starts a job of its own."""

    asked: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request)
        path = request.url.path.removeprefix("/api/v2/")
        if path == f"background-jobs/{JOB}":
            data = {"moved_leads": len(EMAILS), "moved_lead_emails": EMAILS}
            return httpx.Response(200, json=instantly_job(JOB, status="success", progress=100, data=data))
        if request.method == "GET" and path in NAMES:
            return httpx.Response(200, json={"id": path.partition("/")[2], "name": NAMES[path]})
        if (request.method, path) == ("POST", "leads/move"):
            return httpx.Response(200, json=instantly_job(f"{len(self.moves()):024x}"))
        return instantly_error(404)

    def moves(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.asked if (r.method, r.url.path) == ("POST", "/api/v2/leads/move")]


@pytest.fixture
def instantly() -> MovedInstantly:
    return MovedInstantly()


@pytest.fixture
def instantly_handler(instantly: MovedInstantly) -> MovedInstantly:
    return instantly


@pytest.fixture
def move(sqlite_db: Database, slack: SlackStandIn) -> JobRecord:
    """U1's finished move of 2,500 leads from the campaign Q1 to the list Warm (UBOSS is an admin)."""
    slack.people["UBOSS"] = {"is_admin": True}
    order = an_order(source=campaign("c1", "Q1"), destination=lead_list("l1", "Warm"), limit=5000)
    started = running_job(sqlite_db, JOB, order=order, user="U1")
    return jobs.finish(
        sqlite_db,
        job_id=started.id,
        status="success",
        progress=100,
        moved_leads=len(EMAILS),
        error=None,
    )


def test_the_requester_moves_the_leads_back_in_parts_once(
    sqlite_db: Database, services: Services, instantly: MovedInstantly, move: JobRecord
) -> None:
    undone = services.undo.confirm(team_id="T1", job_id=move.id, user_id="U1")

    assert undone.refusal is None
    assert (undone.leads, undone.repeat, undone.waiting) == (len(EMAILS), False, False)
    [asked_for_emails] = [r for r in instantly.asked if r.url.path.endswith(f"/background-jobs/{JOB}")]
    assert asked_for_emails.url.params["data_fields"] == "moved_leads,moved_lead_emails"
    assert [len(r.move.filters.emails) for r in undone.jobs] == [PART_SIZE, PART_SIZE, 500]
    assert [e for r in undone.jobs for e in r.move.filters.emails] == EMAILS
    for record in undone.jobs:
        assert (record.move.source.id, record.move.destination.id) == ("l1", "c1")
        assert not record.move.copies
        assert record.channel_id == move.channel_id
    assert services.starts.wait_idle(timeout=5)
    sent = sorted(body["contacts"] for body in instantly.moves())  # the start workers send in any order
    assert sent == sorted(list(r.move.filters.emails) for r in undone.jobs), "each part sent once"
    [entry] = [e for e in audit.entries(sqlite_db) if e.action == "undo"]
    assert (entry.user_id, entry.outcome) == ("U1", f"started: {len(EMAILS):,} leads in 3 jobs")

    again = services.undo.confirm(team_id="T1", job_id=move.id, user_id="U1")
    assert again.refusal is not None
    assert "already moved back" in again.refusal
    assert services.starts.wait_idle(timeout=5)
    assert len(instantly.moves()) == 3


def test_an_admin_may_and_anyone_else_is_told_why_not(
    services: Services, instantly: MovedInstantly, move: JobRecord
) -> None:
    refused = services.undo.confirm(team_id="T1", job_id=move.id, user_id="USTRANGER")
    assert refused.refusal is not None
    assert "<@U1>" in refused.refusal
    assert instantly.asked == []
    assert services.undo.check(team_id="T2", job_id=move.id, user_id="UBOSS") == "I could not find that move."

    undone = services.undo.confirm(team_id="T1", job_id=move.id, user_id="UBOSS")
    assert undone.refusal is None
    assert {r.user_id for r in undone.jobs} == {"UBOSS"}

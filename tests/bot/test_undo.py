"""Taking a move back (bot.undo.UndoService over a real SQLite database, the real AccessService and MoveService, and
Instantly answered in process): the e-mails are asked for afresh by name and go back in chunks, each chunk once;
only the requester and admins may; every move back is audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import httpx
import pytest

from bot.access import AccessService
from bot.moves import MoveService
from bot.starts import StartQueue, Then
from bot.undo import CHUNK, UndoService
from storage import audit, jobs
from storage.db import Database
from storage.records import JobRecord
from tests.factories import an_order, campaign, for_every_team, lead_list, running_job
from tests.stand_ins import SlackStandIn, instantly_client, instantly_job

EMAILS = [f"lead{n}@example.com" for n in range(2 * CHUNK + 500)]
JOB = "b" * 24


@dataclass
class RecordingStarts:
    started: list[JobRecord] = field(default_factory=list)

    def submit(self, record: JobRecord, *, then: Then) -> bool:
        self.started.append(record)
        return True


@dataclass
class Rig:
    db: Database
    service: UndoService
    starts: RecordingStarts
    asked: list[httpx.Request]
    move: JobRecord


@pytest.fixture
def rig(sqlite_db: Database) -> Rig:
    asked: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        data = {"moved_leads": len(EMAILS), "moved_lead_emails": EMAILS}
        return httpx.Response(200, json=instantly_job(JOB, status="success", progress=100, data=data))

    slack = SlackStandIn(team_id="T1")
    slack.people["UBOSS"] = {"is_admin": True}
    access = AccessService(db=sqlite_db, slack=lambda _team_id: slack)
    instantly = for_every_team(instantly_client(answer))
    moves = MoveService(db=sqlite_db, instantly=instantly, owner="web-1", poll_interval=1, max_starting_per_user=1)
    starts = RecordingStarts()
    service = UndoService(
        db=sqlite_db, access=access, moves=moves, starts=cast(StartQueue, starts), instantly=instantly
    )
    order = an_order(source=campaign("c1", "Q1"), destination=lead_list("l1", "Warm"), limit=5000)
    started = running_job(sqlite_db, JOB, order=order, user="U1")
    move = jobs.finish(
        sqlite_db,
        job_id=started.id,
        status="success",
        progress=100,
        moved_leads=len(EMAILS),
        error=None,
        moved_lead_emails=EMAILS,
    )
    return Rig(sqlite_db, service, starts, asked, move)


def test_the_requester_moves_the_leads_back_in_chunks_once(rig: Rig) -> None:
    undone = rig.service.confirm(team_id="T1", job_id=rig.move.id, user_id="U1")

    assert undone.refusal is None
    assert undone.leads == len(EMAILS)
    assert not undone.repeat
    assert rig.asked[-1].url.params["data_fields"] == "moved_leads,moved_lead_emails"
    assert [len(r.order.filters.emails) for r in rig.starts.started] == [CHUNK, CHUNK, 500]
    assert [e for r in rig.starts.started for e in r.order.filters.emails] == EMAILS
    for record in rig.starts.started:
        assert (record.order.source.id, record.order.destination.id) == ("l1", "c1")
        assert not record.order.copies
        assert record.channel_id == rig.move.channel_id
    [entry] = [e for e in audit.entries(rig.db) if e.action == "undo"]
    assert (entry.user_id, entry.outcome) == ("U1", f"started: {len(EMAILS):,} leads in 3 jobs")

    again = rig.service.confirm(team_id="T1", job_id=rig.move.id, user_id="U1")
    assert again.refusal is not None
    assert "already moved back" in again.refusal
    assert len(rig.starts.started) == 3


def test_an_admin_may_and_anyone_else_is_told_why_not(rig: Rig) -> None:
    refused = rig.service.confirm(team_id="T1", job_id=rig.move.id, user_id="USTRANGER")
    assert refused.refusal is not None
    assert "<@U1>" in refused.refusal
    assert rig.starts.started == []
    assert rig.asked == []
    assert rig.service.check(team_id="T2", job_id=rig.move.id, user_id="UBOSS") == "I could not find that move."
    assert rig.service.confirm(team_id="T1", job_id=rig.move.id, user_id="UBOSS").refusal is None
    assert {r.user_id for r in rig.starts.started} == {"UBOSS"}

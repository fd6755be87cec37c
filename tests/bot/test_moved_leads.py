"""Show moved leads (bot.moved_leads.MovedLeadsService, as wired for one process, over a real SQLite database and
Instantly answered in process): the e-mails are read from Instantly only when someone who may move leads asks, and
no one else makes Instantly read anything."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import pytest

from bot.moved_leads import MovedLeads
from bot.services import Services
from storage import jobs
from storage.db import Database
from storage.records import JobRecord
from tests.factories import an_order, campaign, lead_list, running_job
from tests.stand_ins import SlackStandIn, instantly_error, instantly_job

JOB = "c" * 24
EMAILS = [f"lead{n}@example.com" for n in range(30)]


@dataclass
class FinishedInstantly:
    """Instantly after the move: its job names the moved e-mails (twice the first one), or fails with `failing`."""

    asked: list[httpx.Request] = field(default_factory=list)
    failing: int | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request)
        if self.failing is not None:
            return instantly_error(self.failing)
        if request.url.path == f"/api/v2/background-jobs/{JOB}":
            data = {"moved_leads": 30, "moved_lead_emails": [EMAILS[0], *EMAILS, ""]}
            return httpx.Response(200, json=instantly_job(JOB, status="success", progress=100, data=data))
        return instantly_error(404)


@pytest.fixture
def instantly_handler() -> FinishedInstantly:
    return FinishedInstantly()


@pytest.fixture
def move(sqlite_db: Database) -> JobRecord:
    """U1's finished move of 30 leads into the list Warm, ended with the count a poll carries and no e-mail."""
    order = an_order(source=campaign("c1", "Q1"), destination=lead_list("l1", "Warm"), limit=50)
    started = running_job(sqlite_db, JOB, order=order, user="U1")
    return jobs.finish(sqlite_db, job_id=started.id, status="success", progress=100, moved_leads=30, error=None)


def test_a_member_gets_the_moved_emails_read_from_instantly_by_name_once_each_in_order(
    services: Services, instantly_handler: FinishedInstantly, move: JobRecord
) -> None:
    read = services.moved_leads.read(team_id="T1", job_id=move.id, user_id="U2")

    assert isinstance(read, MovedLeads)
    assert read.emails == EMAILS
    [asked] = instantly_handler.asked
    assert asked.url.params["data_fields"] == "moved_leads,moved_lead_emails"


@pytest.mark.parametrize(
    ("person", "said"),
    [
        ({"is_restricted": True}, "Guests cannot move leads here"),
        ({"team_id": "TOTHER"}, "People from other organisations cannot move this workspace's leads"),
    ],
)
def test_a_guest_or_an_outsider_is_told_why_and_nothing_is_read(
    services: Services,
    slack: SlackStandIn,
    instantly_handler: FinishedInstantly,
    move: JobRecord,
    person: dict[str, object],
    said: str,
) -> None:
    slack.people["UOUT"] = person

    read = services.moved_leads.read(team_id="T1", job_id=move.id, user_id="UOUT")

    assert isinstance(read, str)
    assert read.startswith(said)
    assert instantly_handler.asked == []


def test_another_workspaces_move_is_not_found(
    services: Services, instantly_handler: FinishedInstantly, move: JobRecord
) -> None:
    assert services.moved_leads.read(team_id="T2", job_id=move.id, user_id="U1") == (
        "I could not find the leads of that move."
    )
    assert services.moved_leads.read(team_id="T1", job_id=move.id + 99, user_id="U1") == (
        "I could not find the leads of that move."
    )
    assert instantly_handler.asked == []


def test_instantly_failing_is_said_in_words(
    services: Services, instantly_handler: FinishedInstantly, move: JobRecord
) -> None:
    instantly_handler.failing = 403

    read = services.moved_leads.read(team_id="T1", job_id=move.id, user_id="U1")

    assert isinstance(read, str)
    assert read.startswith("I could not list the moved leads: leadmover's Instantly API key lacks a scope")
    assert "Listing the moved leads reads their job, which needs `background-jobs:read`." in read

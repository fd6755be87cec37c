"""MoveService on its own: start, recover and follow a move against every kind of answer Instantly can give.

Instantly is httpx.MockTransport (tests.stand_ins); the jobs live in a real SQLite file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest

from bot.instantly.schemas import BackgroundJob
from bot.moves import MoveService, Requester
from storage import job_claims, jobs, outbox
from storage.clock import utcnow
from storage.db import Database
from storage.models import JobRow, NotificationKind, Phase
from storage.records import JobRecord
from tests.factories import (
    an_order,
    campaign,
    for_every_team,
    lead_list,
    outbox_notifications,
    requested_job,
    running_job,
)
from tests.stand_ins import instantly_client, instantly_error, instantly_job

REQUESTER = Requester(team_id="T1", user_id="U1", channel_id="C1")
ORDER = an_order(source=campaign("c-1"), destination=lead_list("l-2"), limit=500)
NEW_JOB = "b" * 24


def _iso(seconds_from_now: float = 0) -> str:
    return (utcnow() + timedelta(seconds=seconds_from_now)).isoformat() + "Z"


@dataclass
class Instantly:
    """Answers POST /leads/move as scripted, and lists the move jobs it says it has."""

    move_answer: httpx.Response | Exception = field(
        default_factory=lambda: httpx.Response(200, json=instantly_job(NEW_JOB, created_at=_iso()))
    )
    move_jobs: list[dict[str, Any]] = field(default_factory=list)
    job_answers: dict[str, httpx.Response] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix("/api/v2/")
        if request.method == "POST" and path == "leads/move":
            if isinstance(self.move_answer, Exception):
                raise self.move_answer
            return self.move_answer
        if path == "background-jobs":
            return httpx.Response(200, json={"items": self.move_jobs})
        if path.startswith("background-jobs/"):
            return self.job_answers.get(path.rsplit("/", 1)[1], instantly_error(404, "Background job not found"))
        return instantly_error(404, f"no route {path}")

    def moves_sent(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests if r.url.path.endswith("/leads/move")]

    def lookups(self) -> int:
        return sum(r.url.path.endswith("/background-jobs") for r in self.requests)


@dataclass
class Rig:
    db: Database
    instantly: Instantly
    service: MoveService
    notified: list[None]


@pytest.fixture
def rig(sqlite_db: Database) -> Rig:
    fake = Instantly()
    notified: list[None] = []
    service = MoveService(
        db=sqlite_db,
        instantly=for_every_team(instantly_client(fake)),
        owner="web-1",
        poll_interval=3.0,
        follow_limit=timedelta(hours=24),
        notify=lambda: notified.append(None),
    )
    return Rig(sqlite_db, fake, service, notified)


def _written_down(rig: Rig) -> JobRecord:
    """ORDER as the door writes it down before sending it, leased to this process."""
    return requested_job(
        rig.db, order=ORDER, team=REQUESTER.team_id, channel=REQUESTER.channel_id, user=REQUESTER.user_id
    )


def queued(db: Database, job_id: int) -> list[NotificationKind]:
    return [n.kind for n in outbox_notifications(db, job_id=job_id)]


# --- start ---------------------------------------------------------------------------------------------------


def test_a_started_move_sends_the_orders_body_once_and_queues_its_announcement(rig: Rig) -> None:
    record = rig.service.send(_written_down(rig))

    assert rig.instantly.moves_sent() == [{"campaign": "c-1", "to_list_id": "l-2", "copy_leads": False, "limit": 500}]
    assert (record.phase, record.instantly_job_id, record.status) == (Phase.RUNNING, NEW_JOB, "pending")
    assert record.order == ORDER
    assert queued(rig.db, record.id) == [NotificationKind.ANNOUNCE]
    assert rig.notified, "the writer should be woken"


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (instantly_error(401, "Invalid API key"), "rejected leadmover's API key"),
        (instantly_error(402, "No plan"), "no active paid plan"),
        (instantly_error(403, "Missing scope leads:update"), "lacks a scope"),
        (instantly_error(404, "Campaign not found"), "could not find it (“Campaign not found”)"),
        (instantly_error(429, "Slow down", **{"Retry-After": "5"}), "rate limiting"),
        (instantly_error(400, "body/limit must be <= 1000000"), "refused it: “body/limit must be <= 1000000”"),
    ],
)
def test_a_refused_move_fails_in_words_and_is_never_looked_for(rig: Rig, answer: httpx.Response, words: str) -> None:
    rig.instantly.move_answer = answer

    record = rig.service.send(_written_down(rig))

    assert record.phase == Phase.START_FAILED
    assert record.error is not None
    assert words in record.error
    assert len(rig.instantly.moves_sent()) == 1
    assert rig.instantly.lookups() == 0, "a clear refusal needs no search for a job"
    assert queued(rig.db, record.id) == [NotificationKind.NOTE]


@pytest.mark.parametrize(
    "fault",
    [
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
        httpx.Response(502, text="<html>Bad gateway</html>"),
        httpx.Response(200, text="not json"),
    ],
    ids=["timeout", "connection", "5xx", "garbled"],
)
def test_an_unclear_answer_finds_the_job_instantly_started_without_resending(
    rig: Rig, fault: httpx.Response | Exception
) -> None:
    rig.instantly.move_answer = fault
    rig.instantly.move_jobs = [instantly_job(NEW_JOB, created_at=_iso(1), entity_id="l-2")]

    record = rig.service.send(_written_down(rig))

    assert len(rig.instantly.moves_sent()) == 1, "a move is never resent blindly"
    assert (record.phase, record.instantly_job_id) == (Phase.RUNNING, NEW_JOB)
    assert queued(rig.db, record.id) == [NotificationKind.ANNOUNCE]


def test_an_unclear_answer_with_no_job_to_find_stays_requested_under_its_lease(rig: Rig) -> None:
    rig.instantly.move_answer = httpx.ReadTimeout("slow")

    record = rig.service.send(_written_down(rig))

    assert (record.phase, record.instantly_job_id, record.error) == (Phase.REQUESTED, None, None)
    assert record.start_attempted_at is not None
    assert job_claims.claim_orphans(rig.db, owner="poller", lease_seconds=30) == [], "its starter still holds it"
    assert queued(rig.db, record.id) == []


# --- recover -------------------------------------------------------------------------------------------------


def _attempted(rig: Rig) -> JobRecord:
    attempted = jobs.mark_start_attempted(rig.db, job_id=requested_job(rig.db, order=ORDER).id, owner="web-1")
    assert attempted is not None
    return attempted


def test_a_move_saved_but_never_sent_is_sent_on_recovery(rig: Rig) -> None:
    record = rig.service.recover(requested_job(rig.db, order=ORDER))

    assert len(rig.instantly.moves_sent()) == 1
    assert (record.phase, record.instantly_job_id) == (Phase.RUNNING, NEW_JOB)


def test_a_move_that_may_have_been_sent_is_looked_for_not_resent(rig: Rig) -> None:
    rig.instantly.move_jobs = [instantly_job(NEW_JOB, created_at=_iso(), entity_id="l-2")]

    record = rig.service.recover(_attempted(rig))

    assert rig.instantly.moves_sent() == []
    assert (record.phase, record.instantly_job_id) == (Phase.RUNNING, NEW_JOB)


def test_a_move_instantly_never_started_is_reported_as_not_started(rig: Rig) -> None:
    record = rig.service.recover(_attempted(rig))

    assert rig.instantly.moves_sent() == []
    assert record.phase == Phase.START_FAILED
    assert record.error is not None
    assert "nothing was started" in record.error
    assert queued(rig.db, record.id) == [NotificationKind.NOTE]


@pytest.mark.parametrize(
    "candidate",
    [
        {"entity_id": "another-list"},  # another destination
        {"created_at": "2026-01-01T00:00:00Z"},  # long before this move was sent
        {"created_at": "yesterday"},  # a time that cannot be read
    ],
    ids=["other-destination", "too-old", "unreadable-time"],
)
def test_a_job_that_cannot_be_this_move_is_not_taken_for_it(rig: Rig, candidate: dict[str, str]) -> None:
    rig.instantly.move_jobs = [instantly_job(NEW_JOB, **{"created_at": _iso(), "entity_id": "l-2", **candidate})]

    record = rig.service.recover(_attempted(rig))

    assert record.phase == Phase.START_FAILED


def test_a_job_another_move_already_follows_is_not_taken_twice(rig: Rig) -> None:
    running_job(rig.db, NEW_JOB)
    rig.instantly.move_jobs = [instantly_job(NEW_JOB, created_at=_iso(), entity_id="l-2")]

    record = rig.service.recover(_attempted(rig))

    assert record.phase == Phase.START_FAILED


def test_recovery_that_cannot_search_instantly_gives_up_in_words(rig: Rig) -> None:
    rig.instantly.move_jobs = []
    rig.service = MoveService(
        db=rig.db,
        instantly=for_every_team(instantly_client(lambda _request: instantly_error(500, "down"), max_attempts=1)),
        owner="web-1",
        poll_interval=3.0,
    )

    record = rig.service.recover(_attempted(rig))

    assert record.phase == Phase.START_FAILED


# --- follow --------------------------------------------------------------------------------------------------


def _job(**fields: Any) -> BackgroundJob:
    return BackgroundJob.model_validate(instantly_job(NEW_JOB, **fields))


def test_progress_is_recorded_and_an_edit_queued_only_when_it_changed(rig: Rig) -> None:
    record = running_job(rig.db, NEW_JOB)
    rig.notified.clear()

    moved = rig.service.follow(record, _job(status="in-progress", progress=40))
    still = rig.service.follow(moved, _job(status="in-progress", progress=40))

    assert (moved.status, moved.progress) == ("in-progress", 40)
    assert queued(rig.db, record.id) == [NotificationKind.ANNOUNCE, NotificationKind.PROGRESS]
    assert len(rig.notified) == 1
    assert still.next_poll_at > utcnow(), "the next poll is scheduled"


def test_one_polls_answers_are_taken_in_together_and_the_ended_job_gets_its_reply(rig: Rig) -> None:
    moving, quiet, ending = (running_job(rig.db, c * 24) for c in "cde")
    rig.notified.clear()
    answers = {
        moving.id: _job(status="in-progress", progress=40),
        quiet.id: _job(status="pending", progress=0),
        ending.id: _job(status="success", progress=100, data={"moved_leads": 7}),
    }

    assert rig.service.follow_many([(r, answers[r.id]) for r in (moving, quiet, ending)]) == 3

    now = utcnow()
    after = {r.id: jobs.get(rig.db, job_id=r.id) for r in (moving, quiet, ending)}
    assert (after[moving.id].progress, after[moving.id].phase) == (40, Phase.RUNNING)  # type: ignore[union-attr]
    assert all(after[r.id].next_poll_at > now for r in (moving, quiet)), "each is due again later"  # type: ignore[union-attr]
    assert (after[ending.id].phase, after[ending.id].moved_leads) == (Phase.FINISHED, 7)  # type: ignore[union-attr]
    assert queued(rig.db, moving.id) == [NotificationKind.ANNOUNCE, NotificationKind.PROGRESS]
    assert queued(rig.db, quiet.id) == [NotificationKind.ANNOUNCE], "nothing people see changed"
    assert queued(rig.db, ending.id)[-1] == NotificationKind.FINAL
    assert rig.notified, "the writer was woken"


def test_a_finished_job_keeps_instantlys_count_and_queues_one_final_reply(rig: Rig) -> None:
    record = running_job(rig.db, NEW_JOB)

    emails = [f"lead{n}@acme.com" for n in range(8)]
    done = rig.service.follow(
        record, _job(status="success", progress=100, data={"moved_leads": 480, "moved_lead_emails": emails})
    )

    assert (done.phase, done.status, done.moved_leads) == (Phase.FINISHED, "success", 480)
    assert done.finished_at is not None
    assert queued(rig.db, record.id)[-2:] == [NotificationKind.PROGRESS, NotificationKind.FINAL], "last edit, reply"
    with rig.db.reading() as session:
        assert session.get(JobRow, record.id).moved_lead_sample is None, "no e-mail is kept for a reply to show"
    assert rig.instantly.requests == [], "the count and the e-mails came with the job"


@pytest.mark.parametrize("data", [{"moved_leads": 2}, {}])
def test_a_finished_job_is_finished_at_once_with_what_the_poll_carried_and_asks_nothing_more(
    rig: Rig, data: dict[str, object]
) -> None:
    record = running_job(rig.db, NEW_JOB)

    done = rig.service.follow(record, _job(status="success", progress=100, data=data))

    assert (done.phase, done.moved_leads) == (Phase.FINISHED, data.get("moved_leads"))
    assert queued(rig.db, record.id)[-1] == NotificationKind.FINAL, "the reply is queued with the poll's count"
    assert rig.instantly.requests == [], "the moved e-mails are read only when someone asks for them"


def test_a_count_instantly_cannot_give_leaves_the_job_finished_without_one(rig: Rig) -> None:
    record = running_job(rig.db, NEW_JOB)

    done = rig.service.follow(record, _job(status="failed", progress=30))

    assert (done.phase, done.moved_leads) == (Phase.FINISHED, None)


def test_a_cancelled_job_is_finished_without_asking_for_a_count(rig: Rig) -> None:
    done = rig.service.follow(running_job(rig.db, NEW_JOB), _job(status="cancelled", progress=10))

    assert (done.phase, done.status, done.progress) == (Phase.FINISHED, "cancelled", 10)
    assert rig.instantly.requests == []


def test_a_job_instantly_no_longer_knows_is_finished_in_words(rig: Rig) -> None:
    done = rig.service.follow(running_job(rig.db, NEW_JOB), None)

    assert done.phase == Phase.FINISHED
    assert done.error is not None
    assert "no longer knows this job" in done.error


def test_a_job_unfinished_past_the_follow_limit_is_let_go_in_words(rig: Rig) -> None:
    record = running_job(rig.db, NEW_JOB)
    service = MoveService(
        db=rig.db,
        instantly=for_every_team(instantly_client(rig.instantly)),
        owner="p",
        poll_interval=3.0,
        follow_limit=timedelta(0),
    )

    done = service.follow(record, _job(status="in-progress", progress=50))

    assert (done.phase, done.status) == (Phase.FINISHED, "in-progress")
    assert done.error is not None
    assert "still unfinished after 0 h" in done.error


def test_an_unknown_status_is_kept_and_followed_on(rig: Rig) -> None:
    record = rig.service.follow(running_job(rig.db, NEW_JOB), _job(status="re-queued", progress=5))

    assert (record.phase, record.status) == (Phase.RUNNING, "re-queued")
    assert outbox.waiting(rig.db) == 2


# --- reading and scheduling ----------------------------------------------------------------------------------


def test_jobs_are_found_by_number_or_instantly_id_within_the_workspace_only(rig: Rig) -> None:
    record = running_job(rig.db, NEW_JOB)

    assert rig.service.find_job(team_id="T1", reference=str(record.id)) == record
    assert rig.service.find_job(team_id="T1", reference=NEW_JOB) == record
    assert rig.service.find_job(team_id="T2", reference=NEW_JOB) is None
    assert rig.service.find_job(team_id="T1", reference="") is None

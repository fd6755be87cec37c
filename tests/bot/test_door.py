"""The door (bot.door.Door): one outcome per ask — refused, not connected, too many in flight, a repeat, awaiting
approval, starting — and every way in (form, confirmation, Run again, Move back, approval) through the same checks,
against the real database, an in-memory Slack and a recording Instantly."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from app.wiring import wire_services
from bot.door import PART_SIZE, parts_of
from bot.door_terms import (
    NAMES_UNKNOWN,
    AwaitingApproval,
    MoveRequest,
    NotConnected,
    Refused,
    Repeat,
    Starting,
    TooMany,
    Via,
    roughly,
    too_many,
)
from bot.moves import Requester
from bot.services import Services
from storage import jobs
from storage.approvals import get as get_approval
from storage.db import Database
from storage.models import ApprovalState, NotificationKind, Phase
from storage.orders import LeadFilters, MoveOrder
from tests.bolt_requests import ListenerWork
from tests.factories import a_settings, an_order, campaign, lead_list, outbox_rows, requested_job, stored_job
from tests.stand_ins import InstantlyMoves, SlackStandIn, instantly_client

ALICE = "U0ALICE"
ADMIN = "U0ADMIN"
THRESHOLD = 100


@pytest.fixture
def instantly() -> InstantlyMoves:
    return InstantlyMoves()


def _services(db: Database, slack: SlackStandIn, instantly: InstantlyMoves | None, **settings: Any) -> Services:
    return wire_services(
        a_settings(db, leadmover_approvals=True, leadmover_approval_threshold=THRESHOLD, **settings),
        db=db,
        slack=slack,
        instantly=instantly_client(instantly, max_attempts=1) if instantly is not None else None,
        owner="web-1",
        listener_executor=ListenerWork(),
    )


@pytest.fixture
def services(sqlite_db: Database, slack: SlackStandIn, instantly: InstantlyMoves) -> Iterator[Services]:
    slack.people[ADMIN] = {"is_admin": True}
    built = _services(sqlite_db, slack, instantly)
    yield built
    built.close(grace=2.0)


def ask(order: MoveOrder, *, via: Via = Via.FORM, key: str = "view:V1:h1", user: str = ALICE) -> MoveRequest:
    return MoveRequest(
        order=order, requester=Requester(team_id="T1", user_id=user, channel_id="C0SALES"), via=via, key=key
    )


def sent(services: Services, instantly: InstantlyMoves) -> list[dict[str, Any]]:
    assert services.starts.wait_idle(timeout=5)
    return instantly.moves()


# --- one outcome each ------------------------------------------------------------------------------------------


def test_a_guest_is_refused_in_words_and_nothing_is_written(
    services: Services, slack: SlackStandIn, instantly: InstantlyMoves
) -> None:
    slack.people["U0GUEST"] = {"is_restricted": True}
    outcome = services.door.submit(ask(an_order(limit=10), user="U0GUEST"))
    assert isinstance(outcome, Refused)
    assert outcome.words.startswith("Guests cannot move leads here")
    assert services.moves.recent_jobs(team_id="T1", user_id=None, limit=5) == []
    assert instantly.requests == [], "Instantly is not asked for anything on behalf of someone refused"


def test_a_workspace_without_instantly_is_not_connected(sqlite_db: Database, slack: SlackStandIn) -> None:
    services = _services(sqlite_db, slack, None)
    try:
        assert services.door.submit(ask(an_order(limit=10))) == NotConnected()
    finally:
        services.close(grace=1.0)


def test_a_place_instantly_no_longer_knows_is_refused(services: Services, instantly: InstantlyMoves) -> None:
    outcome = services.door.submit(ask(an_order(source=campaign("c-gone", "Deleted"), limit=10)))
    assert isinstance(outcome, Refused)
    assert "Instantly has no campaign `c-gone` any more" in outcome.words
    assert sent(services, instantly) == []


def test_instantly_too_slow_to_name_the_places_refuses_rather_than_trusting_the_label(
    services: Services, instantly: InstantlyMoves
) -> None:
    instantly.names.clear()
    instantly.answer = instantly.analytics  # any GET by id now fails to parse: Instantly cannot name them
    outcome = services.door.submit(ask(an_order(source=campaign("c-9", "Sandbox (10 test leads)"), limit=10)))
    assert isinstance(outcome, Refused)
    assert sent(services, instantly) == []


def test_a_slow_instantly_refuses_a_person_within_slacks_3_s_and_waits_longer_for_a_schedules_run(
    services: Services, instantly: InstantlyMoves
) -> None:
    instantly.naming_seconds = 2.0  # past the 1.5 s a person's answer may wait, well within a schedule's 10 s
    began = time.monotonic()
    refused = services.door.submit(ask(an_order(limit=10)))
    assert time.monotonic() - began < 2.5, "a person is answered before Slack's 3 s run out"
    assert isinstance(refused, Refused)
    assert refused.words == NAMES_UNKNOWN
    started = services.door.submit(ask(an_order(limit=10), via=Via.SCHEDULE, key="schedule:1:2026-03-09T13:00"))
    assert isinstance(started, Starting), started
    assert len(sent(services, instantly)) == 1


def test_a_person_with_moves_waiting_to_start_is_told_too_many(sqlite_db: Database, services: Services) -> None:
    for _ in range(3):
        requested_job(sqlite_db, user=ALICE, channel="C0SALES")
    outcome = services.door.submit(ask(an_order(limit=10)))
    assert isinstance(outcome, TooMany)
    assert outcome.limit == 3
    assert outcome.retry_in == 0.0, "none of them is queued in this process: the next starts as soon as it can"


def test_a_repeated_key_is_the_first_outcome_and_sends_nothing_more(
    services: Services, instantly: InstantlyMoves
) -> None:
    first = services.door.submit(ask(an_order(limit=10)))
    again = services.door.submit(ask(an_order(limit=10)))
    assert isinstance(first, Starting)
    assert isinstance(again, Repeat)
    assert again.first == Starting((again.record,))
    assert again.record.id == first.record.id
    assert len(sent(services, instantly)) == 1


def test_a_move_of_every_lead_awaits_approval_and_sends_nothing(
    sqlite_db: Database, services: Services, instantly: InstantlyMoves
) -> None:
    outcome = services.door.submit(ask(an_order(), via=Via.CONFIRMATION))
    assert isinstance(outcome, AwaitingApproval)
    assert outcome.channel_id == "C0SALES"
    assert outcome.record.phase == Phase.AWAITING_APPROVAL
    assert [row.kind for row in outbox_rows(sqlite_db, job_id=outcome.record.id)] == [NotificationKind.APPROVAL]
    assert sent(services, instantly) == []
    again = services.door.submit(ask(an_order(), via=Via.CONFIRMATION))
    assert again == Repeat(AwaitingApproval(outcome.jobs, "C0SALES"))


def test_a_small_move_starts_with_instantlys_names_and_the_count_kept(
    services: Services, instantly: InstantlyMoves
) -> None:
    order = an_order(source=campaign("c-1", "Sandbox (10 test leads)"), destination=lead_list("l-2", "x"), limit=50)
    outcome = services.door.submit(ask(order))
    assert isinstance(outcome, Starting)
    assert (outcome.record.move.source.name, outcome.record.move.destination.name) == ("Acme Q1", "Acme <warm>")
    assert outcome.record.lead_count == 1240, "the source's count, from campaign analytics"
    assert outcome.record.via == Via.FORM
    assert len(sent(services, instantly)) == 1


# --- every way in ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("via", [Via.FORM, Via.CONFIRMATION, Via.RUN_AGAIN])
def test_each_way_in_is_written_down_as_it_came(services: Services, via: Via) -> None:
    outcome = services.door.submit(ask(an_order(limit=10), via=via))
    assert isinstance(outcome, Starting)
    assert outcome.record.via == via.value


def _finished_move(db: Database, *, limit: int | None) -> int:
    record = requested_job(db, order=an_order(limit=limit), user=ALICE, channel="C0SALES")
    jobs.mark_start_failed(db, job_id=record.id, error="only its order matters here")
    return record.id


def _move_back(job_id: int, emails: int) -> MoveOrder:
    return MoveOrder(
        source=lead_list(),
        destination=campaign(),
        filters=LeadFilters(emails=tuple(f"lead{n}@example.com" for n in range(emails))),
        takes_back=job_id,
    )


def test_a_big_move_back_waits_for_one_approval_for_all_its_parts_then_starts_them_all(
    sqlite_db: Database, services: Services, instantly: InstantlyMoves
) -> None:
    instantly.numbered = True
    taken_back = _finished_move(sqlite_db, limit=5000)
    outcome = services.door.submit(ask(_move_back(taken_back, 2 * PART_SIZE + 1), via=Via.MOVE_BACK, key="undo:1:0"))
    assert isinstance(outcome, AwaitingApproval)
    assert [len(r.move.filters.emails) for r in outcome.jobs] == [PART_SIZE, PART_SIZE, 1]
    assert outcome.record.lead_count == 2 * PART_SIZE + 1
    assert [r.part_of for r in outcome.jobs] == [None, outcome.record.id, outcome.record.id]
    requests = outbox_rows(sqlite_db, kind=NotificationKind.APPROVAL)
    assert [row.job_id for row in requests] == [outcome.record.id], "one request for the whole move back"
    assert sent(services, instantly) == []

    decision = services.approvals.approve(team_id="T1", job_id=outcome.record.id, approver=ADMIN)
    assert decision.job is not None
    assert len(sent(services, instantly)) == 3
    assert {stored_job(sqlite_db, r.id).phase for r in outcome.jobs} == {Phase.RUNNING}


def test_a_small_move_back_of_a_limited_move_starts_at_once(
    sqlite_db: Database, services: Services, instantly: InstantlyMoves
) -> None:
    taken_back = _finished_move(sqlite_db, limit=50)
    outcome = services.door.submit(ask(_move_back(taken_back, 40), via=Via.MOVE_BACK, key="undo:1:0"))
    assert isinstance(outcome, Starting)
    assert sent(services, instantly)[0]["contacts"] == [f"lead{n}@example.com" for n in range(40)]


def test_a_move_back_of_a_move_of_every_lead_waits_for_approval_however_small(
    sqlite_db: Database, services: Services
) -> None:
    taken_back = _finished_move(sqlite_db, limit=None)
    outcome = services.door.submit(ask(_move_back(taken_back, 40), via=Via.MOVE_BACK, key="undo:1:0"))
    assert isinstance(outcome, AwaitingApproval)


def test_a_move_back_counts_toward_the_in_flight_limit(sqlite_db: Database, services: Services) -> None:
    taken_back = _finished_move(sqlite_db, limit=50)
    for _ in range(3):
        requested_job(sqlite_db, user=ALICE, channel="C0SALES")
    outcome = services.door.submit(ask(_move_back(taken_back, 40), via=Via.MOVE_BACK, key="undo:1:0"))
    assert isinstance(outcome, TooMany)
    assert outcome.limit == 3


def test_approve_checks_the_requester_again_and_one_no_longer_allowed_gets_nothing_started(
    sqlite_db: Database, services: Services, instantly: InstantlyMoves
) -> None:
    waiting = services.door.submit(ask(an_order()))
    assert isinstance(waiting, AwaitingApproval)
    # From now on only Carol may move: Alice, who asked, is no longer on the list (no deny cancels her request).
    services.access.allow(team_id="T1", subject_id="U0CAROL", by=ADMIN)

    decision = services.approvals.approve(team_id="T1", job_id=waiting.record.id, approver=ADMIN)
    assert decision.refusal is not None
    assert f"<@{ALICE}> may no longer move leads in this workspace" in decision.refusal
    approval = get_approval(sqlite_db, job_id=waiting.record.id)
    assert approval is not None
    assert approval.state == ApprovalState.CANCELLED
    assert stored_job(sqlite_db, waiting.record.id).phase == Phase.NOT_APPROVED
    replies = outbox_rows(sqlite_db, job_id=waiting.record.id, kind=NotificationKind.APPROVAL_REPLY)
    assert len(replies) == 1, "the requester is told in the request's thread"
    assert sent(services, instantly) == []
    again = services.approvals.approve(team_id="T1", job_id=waiting.record.id, approver=ADMIN)
    assert again.already is not None, "a second press finds the request closed"


def test_parts_of_splits_only_an_order_that_names_more_leads_than_a_part_holds() -> None:
    assert parts_of(an_order(limit=5)) == (an_order(limit=5),)
    big = _move_back(1, PART_SIZE + 1)
    assert [len(part.filters.emails) for part in parts_of(big)] == [PART_SIZE, 1]
    assert {part.takes_back for part in parts_of(big)} == {1}


def test_a_repeated_key_is_answered_as_the_first_time_even_after_the_requester_lost_access(
    services: Services, slack: SlackStandIn, instantly: InstantlyMoves
) -> None:
    first = services.door.submit(ask(an_order(limit=10)))
    assert isinstance(first, Starting)
    services.access.allow(team_id="T1", subject_id="U0CAROL", by=ADMIN)  # Alice is no longer on the list
    again = services.door.submit(ask(an_order(limit=10)))
    assert again == Repeat(Starting((again.record,)))
    assert again.record.id == first.record.id
    assert len(sent(services, instantly)) == 1


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(3, "a few seconds"), (42, "about 40 seconds"), (70, "about a minute"), (400, "about 7 minutes")],
)
def test_a_wait_is_said_roughly_as_people_say_it(seconds: float, said: str) -> None:
    assert roughly(seconds) == said
    assert f"Try again in {said}, " in too_many(3, seconds) or seconds < 10
    assert "Try again in about 10 seconds" in too_many(3, 3)


def test_too_many_counts_the_moves_waiting_in_words() -> None:
    assert too_many(1, 0).startswith("You have 1 move waiting for Instantly to start it, the most one person may have.")
    assert too_many(3, 0).startswith("You have 3 moves waiting for Instantly to start them, the most")

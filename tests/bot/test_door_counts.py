"""The door's count of a filtered move: what the filters take, as the preview counted it (or counted within the door's
own time box), written down with the move and stated by its request for approval; against the real database, an
in-memory Slack and the fake Instantly on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.wiring import wire_services
from bot.door_terms import AwaitingApproval, MoveRequest, Starting, Via
from bot.instantly.client import InstantlyClient
from bot.moves import Requester
from bot.preview_counts import Stop, Taken
from bot.services import Services
from bot.slack.blocks import approval_messages
from simulators.instantly import FakeInstantly
from storage.approvals import get as get_approval
from storage.db import Database
from storage.orders import Endpoint, EndpointKind, LeadFilters, MoveOrder
from tests.bolt_requests import ListenerWork
from tests.factories import a_settings, an_order
from tests.stand_ins import SlackStandIn

LIST_PATH = "/api/v2/leads/list"
EVERY_LEAD = LeadFilters(search="example.com")


@pytest.fixture
def fake() -> Iterator[FakeInstantly]:
    with FakeInstantly() as instantly:
        yield instantly


def _services(db: Database, slack: SlackStandIn, fake: FakeInstantly, **settings: Any) -> Services:
    client = InstantlyClient(api_key=fake.api_key, base_url=fake.base_url, timeout=2, max_attempts=1)
    return wire_services(
        a_settings(db, leadmover_approvals=True, leadmover_approval_threshold=100, **settings),
        db=db,
        slack=slack,
        instantly=client,
        owner="web-1",
        listener_executor=ListenerWork(),
    )


@pytest.fixture
def services(sqlite_db: Database, slack: SlackStandIn, fake: FakeInstantly) -> Iterator[Services]:
    built = _services(sqlite_db, slack, fake)
    yield built
    built.close(grace=2.0)


def _order(fake: FakeInstantly, *, leads: int, filters: LeadFilters, limit: int | None = None) -> MoveOrder:
    source = Endpoint(kind=EndpointKind.CAMPAIGN, id=fake.add_campaign("Acme", leads=leads), name="Acme")
    destination = Endpoint(kind=EndpointKind.LIST, id=fake.add_list("Warm", leads=0), name="Warm")
    return an_order(source=source, destination=destination, filters=filters, limit=limit)


def _ask(order: MoveOrder) -> MoveRequest:
    requester = Requester(team_id="T1", user_id="U0ALICE", channel_id="C0SALES")
    return MoveRequest(order=order, requester=requester, via=Via.FORM, key="view:V1:h1")


def _pages(fake: FakeInstantly) -> int:
    return sum(1 for r in fake.requests if r.path == LIST_PATH and r.body.get("limit") != 5)


def _approval_text(db: Database, outcome: AwaitingApproval) -> str:
    approval = get_approval(db, job_id=outcome.record.id)
    assert approval is not None
    text, _blocks = approval_messages.request(outcome.record, approval)
    return text


def test_the_approval_of_a_filtered_move_states_what_the_preview_counted_without_counting_again(
    sqlite_db: Database, services: Services, fake: FakeInstantly
) -> None:
    order = _order(fake, leads=250, filters=LeadFilters(search="lead1"))
    preview = services.preview.preview(team_id="T1", source=order.source, filters=order.filters)
    assert preview.taken == Taken(111)
    pages = _pages(fake)
    outcome = services.door.submit(_ask(order))
    assert isinstance(outcome, AwaitingApproval), "no limit: an approver is asked"
    assert (outcome.record.matching_count, outcome.record.matching_more) == (111, False)
    assert outcome.record.lead_count == 250
    assert _pages(fake) == pages, "the preview's count, not a second one"
    assert "asks to move 111 leads from campaign Acme" in _approval_text(sqlite_db, outcome)
    assert fake.violations == []


def test_past_the_cap_the_approval_says_more_than_the_cap_of_the_sources_count(
    sqlite_db: Database, services: Services, fake: FakeInstantly
) -> None:
    order = _order(fake, leads=2480, filters=EVERY_LEAD)
    outcome = services.door.submit(_ask(order))  # no preview first: the door counts within its own time box
    assert isinstance(outcome, AwaitingApproval)
    assert (outcome.record.matching_count, outcome.record.matching_more) == (1000, True)
    assert "asks to move more than 1,000 of 2,480 leads from campaign Acme" in _approval_text(sqlite_db, outcome)
    # The record keeps it: read back, the request says the same.
    [stored] = services.moves.recent_jobs(team_id="T1", user_id=None, limit=5)
    assert (stored.matching_count, stored.matching_more) == (1000, True)


def test_a_count_the_time_box_cut_short_is_stated_as_the_preview_showed_it(
    sqlite_db: Database, slack: SlackStandIn, fake: FakeInstantly
) -> None:
    # The default time box (2 s), not the tests' 1 s: at 0.3 s a page it still stops at most seven pages in, short
    # of the cap, and a busy machine (the suite runs in two processes) still gets the first page back within it.
    services = _services(sqlite_db, slack, fake, picker_timeout_seconds=2.0)
    try:
        order = _order(fake, leads=2480, filters=EVERY_LEAD)
        fake.delay[LIST_PATH] = 0.3
        preview = services.preview.preview(team_id="T1", source=order.source, filters=order.filters)
        taken = preview.taken
        assert taken is not None
        assert taken.stopped == Stop.TIME
        fake.delay.clear()
        outcome = services.door.submit(_ask(order))
        assert isinstance(outcome, AwaitingApproval)
        assert (outcome.record.matching_count, outcome.record.matching_more) == (taken.leads, True)
        assert f"more than {taken.leads:,} of 2,480 leads" in _approval_text(sqlite_db, outcome)
    finally:
        services.close(grace=2.0)


def test_a_limited_filtered_move_says_what_the_filters_take_when_fewer(
    sqlite_db: Database, services: Services, fake: FakeInstantly
) -> None:
    order = _order(fake, leads=250, filters=LeadFilters(search="lead1"), limit=500)
    outcome = services.door.submit(_ask(order))
    assert isinstance(outcome, AwaitingApproval), "a limit above the threshold"
    assert (outcome.record.matching_count, outcome.record.matching_more) == (111, False)
    assert "asks to move up to 500 leads (the filters take 111) from" in _approval_text(sqlite_db, outcome)


def test_a_small_filtered_move_starts_with_its_count_kept(services: Services, fake: FakeInstantly) -> None:
    order = _order(fake, leads=250, filters=LeadFilters(search="lead2"), limit=50)
    outcome = services.door.submit(_ask(order))
    assert isinstance(outcome, Starting)
    assert (outcome.record.matching_count, outcome.record.matching_more) == (62, False)

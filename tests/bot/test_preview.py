"""PreviewService against the fake Instantly (every request checked against the spec): counts, samples, the cache,
and every failure said in words; plus the POST /leads/list body built next to the move's."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.instantly.budget import Priority, Slot
from bot.instantly.client import InstantlyClient
from bot.instantly.errors import InstantlyNotConnected
from bot.instantly.requests import list_request, move_request
from bot.preview import Preview, PreviewService
from simulators.instantly import FakeInstantly
from storage.orders import Endpoint, EndpointKind, LeadFilters, MoveOrder
from tests.factories import a_record, an_order
from tests.factories import campaign as campaign_endpoint
from tests.stand_ins import Clock


@pytest.fixture
def fake() -> Iterator[FakeInstantly]:
    with FakeInstantly() as instantly:
        yield instantly


@pytest.fixture
def client(fake: FakeInstantly) -> Iterator[InstantlyClient]:
    with InstantlyClient(api_key=fake.api_key, base_url=fake.base_url, timeout=2) as instantly:
        yield instantly


@pytest.fixture
def clock() -> Clock:
    return Clock(now=100.0)


@pytest.fixture
def service(client: InstantlyClient, clock: Clock) -> Iterator[PreviewService]:
    clients = {"T1": client}

    def instantly(team_id: str) -> InstantlyClient:
        if team_id not in clients:
            raise InstantlyNotConnected(team_id)
        return clients[team_id]

    previews = PreviewService(instantly=instantly, timeout=2, clock=clock)
    yield previews
    previews.close()


def _calls(fake: FakeInstantly, path: str) -> int:
    return sum(1 for r in fake.requests if r.path == path)


def test_a_campaign_preview_is_its_leads_count_and_five_emails(fake: FakeInstantly, service: PreviewService) -> None:
    campaign = fake.add_campaign("Acme", leads=42)
    source = Endpoint(kind=EndpointKind.CAMPAIGN, id=campaign, name="Acme")
    preview = service.preview(team_id="T1", source=source, filters=LeadFilters())
    assert preview == Preview(
        count=42, sample=tuple(f"lead{n}@{campaign[:8]}.example.com" for n in range(1, 6)), sampled=True
    )
    assert fake.violations == []


def test_a_list_preview_is_its_total_leads_and_the_filters_reach_the_sample(
    fake: FakeInstantly, service: PreviewService
) -> None:
    lead_list = fake.add_list("Warm", leads=30)
    source = Endpoint(kind=EndpointKind.LIST, id=lead_list, name="Warm")
    filters = LeadFilters(search="lead2", email_provider=2, security_gateway="all")
    preview = service.preview(team_id="T1", source=source, filters=filters)
    assert preview.count == 30
    assert preview.sample == tuple(f"lead{n}@{lead_list[:8]}.example.com" for n in (2, 20, 21, 22, 23))
    assert preview.ignored == ("email_provider",)
    [listing] = [r for r in fake.requests if r.path == "/api/v2/leads/list"]
    assert listing.body == {"list_id": lead_list, "search": "lead2", "esg_code": "all", "limit": 5}
    assert fake.violations == []


def test_counts_are_kept_a_minute_per_workspace_and_source(
    fake: FakeInstantly, service: PreviewService, clock: Clock
) -> None:
    campaign = fake.add_campaign("Acme", leads=7)
    source = Endpoint(kind=EndpointKind.CAMPAIGN, id=campaign, name="Acme")
    service.preview(team_id="T1", source=source, filters=LeadFilters())
    assert service.count(team_id="T1", source=source) == 7
    assert _calls(fake, "/api/v2/campaigns/analytics") == 1
    clock.now += 61
    assert service.count(team_id="T1", source=source) == 7
    assert _calls(fake, "/api/v2/campaigns/analytics") == 2
    # Another workspace's answer is never reused: this one has no client at all.
    assert service.count(team_id="T2", source=source) is None


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (401, "Instantly rejected leadmover's API key"),
        (403, "lacks a scope this needs"),
        (429, "rate limiting"),
        (503, "a problem on its side"),
    ],
)
def test_failures_are_said_in_words(fake: FakeInstantly, service: PreviewService, status: int, words: str) -> None:
    campaign = fake.add_campaign("Acme", leads=7)
    fake.fail_next("*", "/api/v2/", status=status, times=2)
    source = Endpoint(kind=EndpointKind.CAMPAIGN, id=campaign, name="Acme")
    preview = service.preview(team_id="T1", source=source, filters=LeadFilters())
    assert (preview.count, preview.sample, preview.sampled) == (None, (), False)
    assert preview.problem is not None
    assert words in preview.problem


def test_a_slow_instantly_is_said_within_the_time_box(fake: FakeInstantly, client: InstantlyClient) -> None:
    campaign = fake.add_campaign("Acme", leads=7)
    fake.delay["/api/v2/leads/list"] = 1.0
    previews = PreviewService(instantly=lambda team_id: client, timeout=0.3)
    try:
        preview = previews.preview(
            team_id="T1", source=Endpoint(kind=EndpointKind.CAMPAIGN, id=campaign, name="A"), filters=LeadFilters()
        )
    finally:
        previews.close()
    assert preview.count == 7
    assert preview.problem == "Instantly did not answer in time."


def test_the_count_for_a_confirmation_gives_up_on_time_however_slow_instantly_is(
    fake: FakeInstantly, client: InstantlyClient
) -> None:
    # The confirmation is the answer to a submission, which Slack wants within 3 s: the count must not outlast its
    # time box, though the request inside it (the budget's wait, then each phase of httpx) could.
    campaign = fake.add_campaign("Acme", leads=7)
    fake.delay["/api/v2/campaigns/analytics"] = 1.5
    client.budget = _CrowdedBudget()
    previews = PreviewService(instantly=lambda team_id: client, timeout=2)
    source = Endpoint(kind=EndpointKind.CAMPAIGN, id=campaign, name="A")
    try:
        began = time.monotonic()
        assert previews.count(team_id="T1", source=source, timeout=0.3) is None
        assert time.monotonic() - began < 0.5
    finally:
        previews.close()


class _CrowdedBudget:
    """A budget with room only at the last moment a caller will wait for it."""

    def acquire(self, *, priority: Priority, timeout: float | None = None) -> Slot | None:
        time.sleep(timeout or 0.0)
        return Slot(priority=priority, start=time.monotonic())

    def release(self, slot: Slot) -> None:
        slot.end = time.monotonic()

    def slow_down(self, *, seconds: float = 60.0) -> None:
        pass


def test_not_connected_is_a_problem_not_a_crash(service: PreviewService) -> None:
    source = Endpoint(kind=EndpointKind.LIST, id="l-1", name="Warm")
    preview = service.preview(team_id="T9", source=source, filters=LeadFilters())
    assert preview.problem is not None
    assert "not connected" in preview.problem


def test_the_sample_body_takes_the_moves_source_and_filters() -> None:
    order = MoveOrder(
        source=Endpoint(kind=EndpointKind.CAMPAIGN, id="c-1", name="Acme"),
        destination=Endpoint(kind=EndpointKind.LIST, id="l-2", name="Warm"),
        filters=LeadFilters(
            search="acme",
            lead_status="FILTER_VAL_CONTACTED",
            emails=("a@b.co",),
            email_provider=1,
            security_gateway="2",
        ),
    )
    move = move_request(order).to_body()
    listing = list_request(source=order.source, filters=order.filters).to_body()
    assert listing == {
        "campaign": "c-1",
        "search": "acme",
        "filter": "FILTER_VAL_CONTACTED",
        "contacts": ["a@b.co"],
        "esg_code": "2",
        "limit": 5,
    }
    shared = {k: v for k, v in move.items() if k in listing}
    assert shared == {k: v for k, v in listing.items() if k != "limit"}
    assert "esp_code" in move


def test_people_missing_the_same_count_at_once_share_one_request(fake: FakeInstantly, service: PreviewService) -> None:
    campaign = fake.add_campaign("Acme", leads=42)
    source = Endpoint(kind=EndpointKind.CAMPAIGN, id=campaign, name="Acme")
    fake.delay["/api/v2/campaigns/analytics"] = 0.3

    with ThreadPoolExecutor(max_workers=5) as pool:
        counts = list(pool.map(lambda _: service.count(team_id="T1", source=source), range(5)))

    assert counts == [42] * 5
    assert _calls(fake, "/api/v2/campaigns/analytics") == 1


def test_a_finished_move_makes_the_form_ask_again_but_words_about_an_accepted_move_may_use_the_last_count(
    fake: FakeInstantly, service: PreviewService
) -> None:
    campaign = fake.add_campaign("Acme", leads=42)
    source = Endpoint(kind=EndpointKind.CAMPAIGN, id=campaign, name="Acme")
    assert service.count(team_id="T1", source=source) == 42
    ended = a_record(order=an_order(source=campaign_endpoint(campaign, "Acme"), limit=5))

    service.forget_counts(ended)

    assert service.count(team_id="T1", source=source, stale_ok=True) == 42
    assert _calls(fake, "/api/v2/campaigns/analytics") == 1, "the accepted move's words took the last count"
    assert service.preview(team_id="T1", source=source, filters=LeadFilters()).count == 42
    assert _calls(fake, "/api/v2/campaigns/analytics") == 2, "the form asked again"
    assert service.count(team_id="T1", source=source) == 42
    assert _calls(fake, "/api/v2/campaigns/analytics") == 2, "and the fresh count is remembered again"

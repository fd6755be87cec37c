"""What the filters take, counted by paging POST /leads/list against the fake Instantly (every request checked against
the spec): under the cap, past it, when the time box ends, never for filters Instantly cannot count by, remembered for
the approval, and within the workspace's request budget."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.instantly.budget import RequestBudget
from bot.instantly.client import InstantlyClient
from bot.instantly.errors import InstantlyServerError
from bot.instantly.requests import LIST_PAGE_MAX
from bot.instantly.schemas import Lead, ListLeadsRequest, Page
from bot.preview import PreviewService
from bot.preview_counts import Stop, Taken
from bot.settings import Settings
from handlers.preview_view import preview_text
from simulators.instantly import FakeInstantly
from simulators.instantly.spec import load_spec
from storage.orders import Endpoint, EndpointKind, LeadFilters
from tests.factories import a_record, an_order

LIST_PATH = "/api/v2/leads/list"
EVERY_LEAD = LeadFilters(search="example.com")  # every fake lead's e-mail ends so: a filter that takes them all


@pytest.fixture
def fake() -> Iterator[FakeInstantly]:
    with FakeInstantly() as instantly:
        yield instantly


@pytest.fixture
def client(fake: FakeInstantly) -> Iterator[InstantlyClient]:
    with InstantlyClient(api_key=fake.api_key, base_url=fake.base_url, timeout=2) as instantly:
        instantly.budget = RequestBudget(percent=100)
        yield instantly


def _service(client: InstantlyClient, *, timeout: float = 2, cap: int = 1000) -> PreviewService:
    return PreviewService(instantly=lambda team_id: client, timeout=timeout, count_cap=cap)


@pytest.fixture
def service(client: InstantlyClient) -> Iterator[PreviewService]:
    previews = _service(client)
    yield previews
    previews.close()


def _campaign(fake: FakeInstantly, leads: int) -> Endpoint:
    return Endpoint(kind=EndpointKind.CAMPAIGN, id=fake.add_campaign("Acme", leads=leads), name="Acme")


def _pages(fake: FakeInstantly) -> list[dict[str, object]]:
    """The bodies of the count's pages (the sample asks for 5)."""
    return [r.body for r in fake.requests if r.path == LIST_PATH and r.body.get("limit") != 5]


def test_pages_hold_the_most_leads_instantlys_spec_allows() -> None:
    limit = load_spec().body_property("POST", LIST_PATH, "limit")
    assert LIST_PAGE_MAX == limit["maximum"] == ListLeadsRequest.model_fields["limit"].metadata[1].le


def test_under_the_cap_the_filters_count_is_exact_in_pages_of_a_hundred(
    fake: FakeInstantly, service: PreviewService
) -> None:
    source = _campaign(fake, 250)
    filters = LeadFilters(search="lead1", security_gateway="all")  # lead1, lead10-19, lead100-199
    preview = service.preview(team_id="T1", source=source, filters=filters)
    assert preview.taken == Taken(111)
    assert preview.count == 250
    first, second = _pages(fake)
    assert first == {"campaign": source.id, "search": "lead1", "esg_code": "all", "limit": 100}
    assert second == {**first, "starting_after": second["starting_after"]}
    assert fake.violations == []
    text = preview_text(source=source, filters=filters, preview=preview)
    assert text.splitlines()[0] == ":mag: Your filters take 111 leads of the 250 in the campaign *Acme*."


def test_past_the_cap_it_is_more_than_the_cap_of_the_sources_count(
    fake: FakeInstantly, service: PreviewService
) -> None:
    source = _campaign(fake, 2480)
    preview = service.preview(team_id="T1", source=source, filters=EVERY_LEAD)
    assert preview.taken == Taken(1000, Stop.CAP)
    # Ten full pages, then one lead more: just enough to know that more than 1,000 match.
    assert [page["limit"] for page in _pages(fake)] == [100] * 10 + [1]
    text = preview_text(source=source, filters=EVERY_LEAD, preview=preview)
    assert "Your filters take more than 1,000 of 2,480 leads in the campaign *Acme*" in text
    assert "(leadmover counts up to 1,000)" in text
    assert fake.violations == []


def test_exactly_the_cap_is_exact(fake: FakeInstantly, client: InstantlyClient) -> None:
    previews = _service(client, cap=200)
    try:
        preview = previews.preview(team_id="T1", source=_campaign(fake, 200), filters=EVERY_LEAD)
    finally:
        previews.close()
    assert preview.taken == Taken(200)


def test_when_the_time_box_ends_mid_paging_it_is_more_than_what_was_counted(
    fake: FakeInstantly, client: InstantlyClient
) -> None:
    source = _campaign(fake, 2480)
    fake.delay[LIST_PATH] = 0.25
    previews = _service(client, timeout=1.0)
    try:
        began = time.monotonic()
        preview = previews.preview(team_id="T1", source=source, filters=EVERY_LEAD)
        assert time.monotonic() - began < 1.3, "the preview keeps to its time box"
        taken = preview.taken
        assert taken is not None
        assert taken.stopped == Stop.TIME
        assert 100 <= taken.leads < 1000
        assert taken.leads % 100 == 0
        assert preview.problem is None
        text = preview_text(source=source, filters=EVERY_LEAD, preview=preview)
        assert f"more than {taken.leads:,} of 2,480 leads" in text
        assert "still counting when the preview's time ran out" in text
        # Paging stops with the time box: at most the page in flight goes on.
        time.sleep(0.6)
        pages = len(_pages(fake))
        time.sleep(0.6)
        assert len(_pages(fake)) == pages <= taken.leads // 100 + 1
        # What the preview showed is what the approval is told, without counting again.
        again = previews.taken(team_id="T1", source=source, filters=EVERY_LEAD, timeout=1.5, stale_ok=True)
        assert again == taken
        assert len(_pages(fake)) == pages
    finally:
        previews.close()


def test_nothing_counted_within_the_time_box_is_said(fake: FakeInstantly, client: InstantlyClient) -> None:
    source = _campaign(fake, 300)
    fake.delay[LIST_PATH] = 1.0
    previews = _service(client, timeout=0.3)
    try:
        preview = previews.preview(team_id="T1", source=source, filters=EVERY_LEAD)
    finally:
        previews.close()
    assert preview.taken is None
    assert preview.problem == "Instantly did not answer in time."
    text = preview_text(source=source, filters=EVERY_LEAD, preview=preview)
    assert text.splitlines()[0] == ":mag: The campaign *Acme* holds 300 leads."
    assert "No full preview for the campaign *Acme*: Instantly did not answer in time." in text


def test_with_no_filter_the_preview_is_the_sources_count_and_nothing_is_paged(
    fake: FakeInstantly, service: PreviewService
) -> None:
    source = _campaign(fake, 2480)
    preview = service.preview(team_id="T1", source=source, filters=LeadFilters())
    assert (preview.count, preview.taken) == (2480, None)
    assert _pages(fake) == []
    assert preview_text(source=source, filters=LeadFilters(), preview=preview).startswith(
        ":mag: The campaign *Acme* holds 2,480 leads."
    )


def test_a_filter_instantly_cannot_list_by_is_never_counted_as_if_applied(
    fake: FakeInstantly, service: PreviewService
) -> None:
    source = _campaign(fake, 120)
    filters = LeadFilters(search="lead1", email_provider=1)
    preview = service.preview(team_id="T1", source=source, filters=filters)
    assert (preview.taken, preview.uncountable) == (None, ("email_provider",))
    assert _pages(fake) == []
    assert service.taken(team_id="T1", source=source, filters=filters, timeout=1) is None
    text = preview_text(source=source, filters=filters, preview=preview)
    assert "Instantly cannot count leads by the email provider" in text
    assert "Your filters take" not in text


def test_the_count_is_remembered_for_the_same_filters_only_and_a_finished_move_makes_it_stale(
    fake: FakeInstantly, service: PreviewService
) -> None:
    source = _campaign(fake, 150)
    filters = LeadFilters(search="lead1")
    assert service.preview(team_id="T1", source=source, filters=filters).taken == Taken(62)
    asked = len(_pages(fake))
    assert service.taken(team_id="T1", source=source, filters=filters, timeout=1) == Taken(62)
    assert len(_pages(fake)) == asked, "remembered"
    assert service.taken(team_id="T1", source=source, filters=LeadFilters(search="lead2"), timeout=1) == Taken(11)
    assert len(_pages(fake)) == asked + 1
    destination = Endpoint(kind=EndpointKind.LIST, id="l-1", name="Warm")
    service.forget_counts(a_record(order=an_order(source=source, destination=destination), team_id="T1"))
    assert service.taken(team_id="T1", source=source, filters=filters, timeout=1, stale_ok=True) == Taken(62)
    assert len(_pages(fake)) == asked + 1, "words about a move already accepted take the stale count"
    assert service.taken(team_id="T1", source=source, filters=filters, timeout=1) == Taken(62)
    assert len(_pages(fake)) == asked + 2, "a preview counts again"


class _FailingSecondPage(InstantlyClient):
    """The fake Instantly, but the count's second page fails."""

    pages = 0

    def list_leads(self, request: ListLeadsRequest, *, timeout: float) -> Page[Lead]:
        if request.limit == LIST_PAGE_MAX:
            self.pages += 1
            if self.pages == 2:
                raise InstantlyServerError(status_code=503, error="Service Unavailable", message="down")
        return super().list_leads(request, timeout=timeout)


def test_a_failure_after_the_first_page_is_more_than_what_was_counted(fake: FakeInstantly) -> None:
    source = _campaign(fake, 500)
    with _FailingSecondPage(api_key=fake.api_key, base_url=fake.base_url, timeout=2) as failing:
        previews = _service(failing)
        try:
            preview = previews.preview(team_id="T1", source=source, filters=EVERY_LEAD)
        finally:
            previews.close()
    assert preview.taken == Taken(100, Stop.FAILED)
    assert "more than 100 of 500 leads" in preview_text(source=source, filters=EVERY_LEAD, preview=preview)


def test_a_failure_on_the_first_page_is_said_in_words(fake: FakeInstantly, service: PreviewService) -> None:
    source = _campaign(fake, 50)
    fake.fail_next("POST", LIST_PATH, status=401, message="Invalid API key", times=2)
    preview = service.preview(team_id="T1", source=source, filters=EVERY_LEAD)
    assert preview.taken is None
    assert preview.problem is not None
    assert "Instantly rejected leadmover's API key" in preview.problem
    assert service.taken(team_id="T1", source=source, filters=EVERY_LEAD, timeout=1) == Taken(50)


def test_every_page_spends_the_workspaces_budget_as_a_person_waiting(
    fake: FakeInstantly, client: InstantlyClient, service: PreviewService
) -> None:
    source = _campaign(fake, 450)
    assert service.taken(team_id="T1", source=source, filters=EVERY_LEAD, timeout=2) == Taken(450)
    assert client.budget is not None
    assert isinstance(client.budget, RequestBudget)
    assert client.budget.granted == len(fake.requests) == 5


def test_the_cap_is_a_setting_above_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert Settings(_env_file=None).leadmover_preview_count_cap == 1000
    monkeypatch.setenv("LEADMOVER_PREVIEW_COUNT_CAP", "250")
    assert Settings(_env_file=None).leadmover_preview_count_cap == 250
    for wrong in ("0", "-5", "lots"):
        monkeypatch.setenv("LEADMOVER_PREVIEW_COUNT_CAP", wrong)
        with pytest.raises(ValidationError, match="leadmover_preview_count_cap"):
            Settings(_env_file=None)

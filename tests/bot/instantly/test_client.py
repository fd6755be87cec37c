"""The Instantly client against the loopback Instantly that checks every request against the OpenAPI spec."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.instantly import client as instantly
from bot.instantly.budget import RequestBudget
from bot.instantly.client import USER_AGENT, InstantlyClient
from bot.instantly.errors import (
    InstantlyBadRequest,
    InstantlyForbidden,
    InstantlyNotFound,
    InstantlyPaymentRequired,
    InstantlyProtocolError,
    InstantlyRateLimited,
    InstantlyServerError,
    InstantlyTimeout,
    InstantlyUnauthorized,
)
from bot.instantly.schemas import MoveLeadsRequest
from simulators.instantly import FakeInstantly
from storage.db import Database
from tests.factories import a_settings
from tests.stand_ins import instantly_client

MOVE = "/api/v2/leads/move"
JOBS = "/api/v2/background-jobs"


@pytest.fixture
def fake() -> Iterator[FakeInstantly]:
    with FakeInstantly() as running:
        yield running
        assert running.violations == []


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(fake: FakeInstantly, sleeps: list[float]) -> Iterator[InstantlyClient]:
    with InstantlyClient(api_key=fake.api_key, base_url=fake.base_url, timeout=2, sleep=sleeps.append) as instantly:
        yield instantly


def _move(fake: FakeInstantly) -> MoveLeadsRequest:
    return MoveLeadsRequest(campaign=fake.add_campaign("From"), to_list_id=fake.add_list("To"), copy_leads=True)


def test_move_then_follow_a_job_in_batches(fake: FakeInstantly, client: InstantlyClient) -> None:
    first = client.move_leads(_move(fake))
    second = client.move_leads(_move(fake))
    assert first.status == "pending"
    assert len(first.id) == 24
    seen = client.list_jobs(ids=[first.id, second.id, "f" * 24])
    assert {job.id for job in seen} == {first.id, second.id}
    assert fake.requests[-1].query["ids"] == f"{first.id},{second.id},{'f' * 24}"
    assert fake.requests[-1].headers["user-agent"] == USER_AGENT
    assert client.get_job(first.id).status == "in-progress"


def test_a_batch_larger_than_a_hundred_is_split(fake: FakeInstantly, client: InstantlyClient) -> None:
    ids = [f"{i:024x}" for i in range(150)]
    assert client.list_jobs(ids=ids) == []
    batches = [r.query["ids"].count(",") + 1 for r in fake.requests if r.path == JOBS]
    assert batches == [100, 50]


def test_pickers_search_and_page(fake: FakeInstantly, client: InstantlyClient) -> None:
    for i in range(3):
        fake.add_campaign(f"Acme {i}")
        fake.add_list(f"Acme list {i}")
    fake.add_campaign("Globex")
    page = client.list_campaigns(search="acme", limit=2)
    assert [c.name for c in page.items] == ["Acme 0", "Acme 1"]
    rest = client.list_campaigns(search="acme", limit=2, starting_after=page.next_starting_after)
    assert [c.name for c in rest.items] == ["Acme 2"]
    lists = client.list_lead_lists(search="acme", limit=2)
    more = client.list_lead_lists(search="acme", limit=2, starting_after=lists.next_starting_after)
    assert [item.name for item in lists.items + more.items] == ["Acme list 0", "Acme list 1", "Acme list 2"]


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, InstantlyBadRequest),
        (401, InstantlyUnauthorized),
        (402, InstantlyPaymentRequired),
        (403, InstantlyForbidden),
        (404, InstantlyNotFound),
        (429, InstantlyRateLimited),
        (500, InstantlyServerError),
    ],
)
def test_errors_are_typed_and_carry_instantlys_message(
    fake: FakeInstantly, client: InstantlyClient, status: int, error: type[Exception]
) -> None:
    request = _move(fake)
    fake.fail_next("POST", MOVE, status=status, message=f"told you {status}")
    with pytest.raises(error) as caught:
        client.move_leads(request)
    assert getattr(caught.value, "message", "") == f"told you {status}"
    assert fake.move_bodies() == []


def test_a_post_is_never_resent(fake: FakeInstantly, client: InstantlyClient) -> None:
    request = _move(fake)
    fake.fail_next("POST", MOVE, status=503, message="busy")
    with pytest.raises(InstantlyServerError):
        client.move_leads(request)
    assert len([r for r in fake.requests if r.path == MOVE]) == 1


def test_a_timed_out_post_surfaces_as_a_timeout(fake: FakeInstantly) -> None:
    request = _move(fake)
    fake.delay[MOVE] = 1.5
    with (
        InstantlyClient(api_key=fake.api_key, base_url=fake.base_url, timeout=0.5) as impatient,
        pytest.raises(InstantlyTimeout),
    ):
        impatient.move_leads(request)


def test_gets_are_retried_on_5xx_429_and_bad_json(
    fake: FakeInstantly, client: InstantlyClient, sleeps: list[float]
) -> None:
    fake.fail_next("GET", "/api/v2/campaigns", status=500, message="oops")
    fake.fail_next("GET", "/api/v2/campaigns", status=429, message="slow down", retry_after=7)
    assert client.list_campaigns().items == []
    assert 0 <= sleeps[0] <= 1, "without Retry-After the first back-off is jittered within a second"
    assert sleeps[1] == 7
    fake.fail_next("GET", "/api/v2/campaigns", status=200, body="{not json")
    assert client.list_campaigns().items == []
    fake.fail_next("GET", "/api/v2/campaigns", status=502, times=3)
    with pytest.raises(InstantlyServerError):
        client.list_campaigns()


def test_a_bad_key_is_unauthorized(fake: FakeInstantly) -> None:
    with (
        InstantlyClient(api_key="wrong-key", base_url=fake.base_url) as wrong,
        pytest.raises(InstantlyUnauthorized),
    ):
        wrong.current_workspace()


def test_an_answer_of_the_wrong_shape_is_a_protocol_error(fake: FakeInstantly, client: InstantlyClient) -> None:
    fake.fail_next("GET", "/api/v2/workspaces/current", status=200, body='{"unexpected": true}', times=3)
    with pytest.raises(InstantlyProtocolError):
        client.current_workspace()


def test_every_request_spends_the_budget_and_a_429_halves_it(fake: FakeInstantly) -> None:
    budget = RequestBudget(percent=10)
    with InstantlyClient(api_key=fake.api_key, base_url=fake.base_url, budget=budget, sleep=lambda _: None) as client:
        client.list_campaigns()
        client.move_leads(_move(fake))
        assert budget.granted == 2
        fake.fail_next("GET", "/api/v2/campaigns", status=429, message="slow down")
        client.list_campaigns()
        assert budget.limits == [(1.0, 5), (60.0, 300)]


@pytest.mark.parametrize("job_id", ["../leads/move", "a" * 23, "A" * 24, "a" * 24 + "/x", "%2e%2e", ""])
def test_an_id_not_of_instantlys_shape_never_reaches_a_url_path(job_id: str) -> None:
    seen: list[httpx.Request] = []
    client = instantly_client(lambda request: seen.append(request) or httpx.Response(500))

    with pytest.raises(InstantlyNotFound):
        client.get_job(job_id)

    assert seen == []


# --- the one factory -------------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[3]


def test_the_factory_builds_a_client_from_the_settings_a_key_and_its_budget(
    fake: FakeInstantly, sqlite_db: Database
) -> None:
    budget = RequestBudget(percent=10)
    settings = a_settings(sqlite_db, instantly_api_url=fake.base_url, instantly_timeout_seconds=4.0)
    with instantly.instantly_client(settings=settings, api_key=fake.api_key, budget=budget) as client:
        client.list_campaigns()
        assert client._http.timeout.read == 4.0
    assert budget.granted == 1
    [asked] = fake.requests
    assert asked.headers["authorization"] == f"Bearer {fake.api_key}"


def test_the_product_builds_instantly_clients_only_through_the_factory() -> None:
    built = {
        f"{path.relative_to(ROOT)}:{number}"
        for package in ("app", "bot", "handlers", "storage")
        for path in sorted((ROOT / package).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"\bInstantlyClient\(", line)
    }
    [inside] = built  # the factory's own call
    assert inside.startswith("bot/instantly/client.py:"), built
    _before, factory = (ROOT / "bot/instantly/client.py").read_text().split("\ndef instantly_client(")
    assert "InstantlyClient(" in factory, "the one call is the factory's"

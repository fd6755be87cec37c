"""PickerService.resolve: a name from a command, looked up with the pickers' searches, to one campaign or list."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from bot.instantly.client import InstantlyClient
from bot.pickers import Choice, PickerService, Resolution
from simulators.instantly import FakeInstantly


@pytest.fixture
def fake() -> Iterator[FakeInstantly]:
    with FakeInstantly() as running:
        yield running


@pytest.fixture
def pickers(fake: FakeInstantly) -> Iterator[PickerService]:
    with InstantlyClient(api_key=fake.api_key, base_url=fake.base_url) as client:
        service = PickerService(instantly=client, timeout=1.0)
        yield service
        service.close()


def test_an_exact_name_wins_over_names_that_contain_it(fake: FakeInstantly, pickers: PickerService) -> None:
    acme = fake.add_campaign("Acme")
    fake.add_campaign("Acme Q1")
    fake.add_list("Acme warm")
    assert pickers.resolve({"a": ("ACME", None)}) == {"a": Resolution(choice=Choice(f"campaign:{acme}", "Acme"))}


def test_one_partial_match_is_taken_and_several_are_counted(fake: FakeInstantly, pickers: PickerService) -> None:
    warm = fake.add_list("Acme warm leads")
    fake.add_campaign("Acme Q1")
    fake.add_campaign("Acme enterprise")
    found = pickers.resolve({"one": ("warm", None), "many": ("acme", None), "none": ("globex", None)})
    assert found == {
        "one": Resolution(choice=Choice(f"list:{warm}", "Acme warm leads")),
        "many": Resolution(campaigns=2, lists=1),
        "none": Resolution(),
    }


def test_a_kind_settles_a_name_that_is_both(fake: FakeInstantly, pickers: PickerService) -> None:
    fake.add_campaign("Cold storage")
    cold = fake.add_list("Cold storage")
    found = pickers.resolve({"both": ("cold storage", None), "list": ("Cold storage", "list")})
    assert found["both"] == Resolution(campaigns=1, lists=1)
    assert found["list"] == Resolution(choice=Choice(f"list:{cold}", "Cold storage"))
    assert not any(r.path == "/api/v2/campaigns" and r.query.get("search") == "Cold storage" for r in fake.requests)


def test_a_full_page_says_there_may_be_more(fake: FakeInstantly, pickers: PickerService) -> None:
    for n in range(55):
        fake.add_list(f"Trade show {n}")
    assert pickers.resolve({"x": ("trade", "list")}) == {"x": Resolution(lists=50, more=True)}


def test_a_slow_instantly_is_a_problem_within_the_time_box(fake: FakeInstantly, pickers: PickerService) -> None:
    fake.add_list("Acme warm")
    fake.delay["/api/v2/campaigns"] = 3.0
    started = time.monotonic()
    found = pickers.resolve({"a": ("Acme warm", None), "b": ("Acme warm", "list")})
    assert time.monotonic() - started < 1.5
    assert found["a"].problem == "Instantly was too slow to answer."
    assert found["b"].choice is not None  # a list search alone was not held up


def test_a_failing_instantly_is_a_problem(fake: FakeInstantly, pickers: PickerService) -> None:
    fake.fail_next("GET", "/api/v2/lead-lists", status=401, message="Invalid API key")
    assert pickers.resolve({"a": ("x", "list")}) == {
        "a": Resolution(problem="Instantly could not be searched just now.")
    }

"""Picker searches are cached briefly and time-boxed, because Slack drops an options answer after 3 seconds."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from bot.instantly.client import InstantlyClient
from bot.pickers import SEARCH_BURST, PickerService
from simulators.instantly import FakeInstantly


@pytest.fixture
def fake() -> Iterator[FakeInstantly]:
    with FakeInstantly() as running:
        running.add_campaign("Acme Q1")
        running.add_list("Acme warm")
        running.add_member("ann@example.com", first="Ann", last="Lee")
        yield running


def _searches(fake: FakeInstantly) -> int:
    return sum(r.path in ("/api/v2/campaigns", "/api/v2/lead-lists") for r in fake.requests)


def test_the_same_search_is_answered_from_the_cache(fake: FakeInstantly) -> None:
    with InstantlyClient(api_key=fake.api_key, base_url=fake.base_url) as client:
        pickers = PickerService(instantly=client, timeout=2)
        first = pickers.endpoints("acme")
        assert [c.label for c in first.campaigns] == ["Acme Q1"]
        assert [c.value.split(":")[0] for c in first.lists] == ["list"]
        assert _searches(fake) == 2
        assert pickers.endpoints("ACME ") == first
        assert _searches(fake) == 2
        pickers.close()


def test_a_slow_instantly_gives_a_problem_within_the_time_box(fake: FakeInstantly) -> None:
    fake.delay["/api/v2/campaigns"] = 3.0
    with InstantlyClient(api_key=fake.api_key, base_url=fake.base_url) as client:
        pickers = PickerService(instantly=client, timeout=0.5)
        started = time.monotonic()
        suggestions = pickers.endpoints("acme")
        assert time.monotonic() - started < 1.0
        # Within the 75 characters of the one option that says it.
        assert suggestions.problem == "Instantly was too slow to answer. Keep typing or try again in a moment."
        assert [c.label for c in suggestions.lists] == ["Acme warm"]
        pickers.close()


def test_members_are_offered_by_name_and_email(fake: FakeInstantly) -> None:
    with InstantlyClient(api_key=fake.api_key, base_url=fake.base_url) as client:
        pickers = PickerService(instantly=client, timeout=2)
        [member] = pickers.members("ann").members
        assert member.label == "Ann Lee (ann@example.com)"
        assert member.value.startswith("member:")
        pickers.close()


def test_one_person_typing_too_fast_is_told_so_and_costs_instantly_nothing(fake: FakeInstantly) -> None:
    with InstantlyClient(api_key=fake.api_key, base_url=fake.base_url) as client:
        pickers = PickerService(instantly=client, timeout=2)
        answers = [pickers.endpoints(f"acme {n}", person="T1:U1") for n in range(int(SEARCH_BURST) + 3)]
        searched = _searches(fake)
        someone_else = pickers.endpoints("acme", person="T1:U2")
        pickers.close()

    assert all(answer.problem is None for answer in answers[: int(SEARCH_BURST)])
    assert {answer.problem for answer in answers[int(SEARCH_BURST) :]} == {
        "You are typing faster than Instantly can be searched. Pause a moment and type one more letter."
    }
    assert searched == 2 * int(SEARCH_BURST), "refused searches never reach Instantly"
    assert someone_else.problem is None
    assert [c.label for c in someone_else.campaigns] == ["Acme Q1"]


def test_the_member_picker_is_rate_limited_per_person_too(fake: FakeInstantly) -> None:
    with InstantlyClient(api_key=fake.api_key, base_url=fake.base_url) as client:
        pickers = PickerService(instantly=client, timeout=2)
        answers = [pickers.members(f"ann{n}", person="T1:U1") for n in range(int(SEARCH_BURST) + 1)]
        pickers.close()

    assert answers[-1].problem is not None
    assert "typing faster" in answers[-1].problem

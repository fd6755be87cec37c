"""Counts after filters over signed HTTP, against the fake Instantly on loopback: with a filter set, the preview counts
the leads it takes by paging POST /leads/list, up to LEADMOVER_PREVIEW_COUNT_CAP and within its time box, and the
request for approval states the number the preview showed; with no filter, the source's count goes from the preview to
the confirmation to the request for approval."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.local_stack import DemoWorkspace, LocalStack, local_stack, seed
from handlers import ids
from tests.e2e.flows import choose, confirmation, open_modal, pick, preview_shows, preview_text

LIST_PATH = "/api/v2/leads/list"
CHANNEL = "C0SALES"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    # Approvals on, as by default. The whole of Instantly's limits, so that the eleven pages of a count past the cap
    # fit in the preview's time box however many requests the pickers made in the same second.
    with local_stack(
        database_url=f"sqlite:///{tmp_path / 'counts.db'}", leadmover_approvals=True, instantly_budget_percent=100
    ) as running:
        yield running
        assert running.slack.violations == []
        assert running.instantly.violations == []


@pytest.fixture
def workspace(stack: LocalStack) -> DemoWorkspace:
    return seed(stack.instantly)


def _pages(stack: LocalStack) -> list[Any]:
    """The count's pages of POST /leads/list (the sample asks for five leads)."""
    return [
        r for r in stack.instantly.requests if (r.method, r.path) == ("POST", LIST_PATH) and r.body.get("limit") != 5
    ]


def _filtered(stack: LocalStack, campaign: str, query: str, search: str) -> dict[str, Any]:
    """Open the form, pick `campaign` and type `search`."""
    view = open_modal(stack, channel_id=CHANNEL)
    choose(stack, view, ids.SOURCE, pick(stack, view, ids.SOURCE, query, campaign))
    assert preview_shows(stack, view["id"], f"campaign *{campaign}* holds")
    choose(stack, view, ids.SEARCH, search)
    return view


def _submit(stack: LocalStack, view: dict[str, Any]) -> dict[str, Any]:
    """Press Start with a destination and no limit: the app's answer."""
    destination = pick(stack, view, ids.DESTINATION, "trade", "Trade show 2026")
    response = stack.slack.submit_view(stack.app_url, view_id=view["id"], values={ids.DESTINATION: destination})
    assert response.elapsed < 3
    answer: dict[str, Any] = response.json()
    return answer


def _request_for_approval(stack: LocalStack) -> str:
    def found() -> list[str]:
        return [m.text for m in stack.slack.messages(CHANNEL) if "Approval needed" in m.text]

    assert stack.slack.wait_for(lambda: found() != [], timeout=5), "no request for approval was posted"
    return found()[-1]


def test_the_preview_counts_what_the_filters_take_and_the_approval_states_it(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    view = _filtered(stack, "Acme Q1 outbound", "acme", "lead1")  # lead1, lead10-19, lead100-199, lead1000-1250
    assert preview_shows(
        stack, view["id"], "Your filters take 362 leads of the 1,250 in the campaign *Acme Q1 outbound*."
    )
    pages = _pages(stack)
    assert [page.body["limit"] for page in pages] == [100] * 4, "the largest pages Instantly answers"
    assert pages[0].body == {"campaign": workspace.campaigns["Acme Q1 outbound"], "search": "lead1", "limit": 100}

    answer = _submit(stack, view)
    assert answer["response_action"] == "update"
    assert "move of 362 leads" in str(answer["view"])
    assert "asks to move 362 leads from campaign Acme Q1 outbound" in _request_for_approval(stack)
    assert len(_pages(stack)) == 4, "the approval states the preview's count: nothing was counted again"
    assert stack.instantly.move_bodies() == []


def test_past_the_cap_the_preview_and_the_approval_say_more_than_1000_of_the_sources_count(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    stack.instantly.add_campaign("Big push", leads=2480)
    view = _filtered(stack, "Big push", "big", "example.com")  # every lead
    assert preview_shows(
        stack, view["id"], "Your filters take more than 1,000 of 2,480 leads in the campaign *Big push*"
    )
    assert "(leadmover counts up to 1,000)" in preview_text(stack, view["id"])
    assert [page.body["limit"] for page in _pages(stack)] == [100] * 10 + [1]

    _submit(stack, view)
    assert "asks to move more than 1,000 of 2,480 leads from campaign Big push" in _request_for_approval(stack)
    assert len(_pages(stack)) == 11


def test_when_the_time_box_ends_mid_count_the_preview_and_the_approval_say_more_than_what_was_counted(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    stack.instantly.add_campaign("Big push", leads=2480)
    view = open_modal(stack, channel_id=CHANNEL)
    choose(stack, view, ids.SOURCE, pick(stack, view, ids.SOURCE, "big", "Big push"))
    assert preview_shows(stack, view["id"], "holds 2,480 leads")
    stack.instantly.delay[LIST_PATH] = 0.5  # the preview's time box is PICKER_TIMEOUT_SECONDS, 2 s
    choose(stack, view, ids.SEARCH, "example.com")
    assert preview_shows(stack, view["id"], "still counting when the preview's time ran out")
    found = re.search(r"Your filters take more than ([\d,]+) of 2,480 leads", preview_text(stack, view["id"]))
    assert found is not None, preview_text(stack, view["id"])
    counted = int(found.group(1).replace(",", ""))
    assert 100 <= counted < 1000
    stack.instantly.delay.clear()

    _submit(stack, view)
    assert f"asks to move more than {counted:,} of 2,480 leads from" in _request_for_approval(stack)


def test_with_no_filter_the_sources_count_goes_from_preview_to_confirmation_to_approval(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    view = open_modal(stack, channel_id=CHANNEL)
    choose(stack, view, ids.SOURCE, pick(stack, view, ids.SOURCE, "acme", "Acme Q1 outbound"))
    assert preview_shows(stack, view["id"], ":mag: The campaign *Acme Q1 outbound* holds 1,250 leads.")
    destination = pick(stack, view, ids.DESTINATION, "trade", "Trade show 2026")
    response = stack.slack.submit_view(stack.app_url, view_id=view["id"], values={ids.DESTINATION: destination})
    pushed = confirmation(stack, response, view["id"])
    assert pushed is not None
    assert "\u2014 1,250 leads \u2014" in pushed["blocks"][0]["text"]["text"]

    confirmed = stack.slack.submit_view(stack.app_url, view_id=pushed["id"], values={})
    assert confirmed.json()["response_action"] == "update"
    assert "asks to move all 1,250 leads from campaign Acme Q1 outbound" in _request_for_approval(stack)
    assert _pages(stack) == [], "no filter: nothing is paged"

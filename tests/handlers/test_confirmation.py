"""A move of every lead (no limit, no filter), delivered signed: answered with a pushed confirmation that states
the count, and started only by the confirmation's own submission, once however often it is delivered."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from handlers import ids, move_modal, preview_view, submissions
from storage.orders import MoveOrder
from tests.bolt_requests import JSON, ListenerWork, SlackSends, answer, as_slack_keeps_it, option
from tests.stand_ins import instantly_job

JOB_ID = "0190a1b2c3d4e5f6a7b8c9d0"


class Instantly:
    """Campaign analytics and POST /leads/move; every request is kept."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.analytics = httpx.Response(200, json=[{"campaign_id": "c-1", "leads_count": 1240, "extra": 1}])

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path.endswith("/campaigns/analytics"):
            return self.analytics
        return httpx.Response(200, json=instantly_job(JOB_ID))

    def moves(self) -> list[JSON]:
        moves = [r for r in self.requests if (r.method, r.url.path) == ("POST", "/api/v2/leads/move")]
        return [json.loads(r.content) for r in moves]


@pytest.fixture(autouse=True)
def settle_quickly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(submissions, "VIEW_SETTLE_SECONDS", 0.01)


@pytest.fixture
def instantly() -> Instantly:
    return Instantly()


@pytest.fixture
def instantly_handler(instantly: Instantly) -> Instantly:
    return instantly


def _everything() -> dict[str, Any]:
    return {ids.SOURCE: option("campaign:c-1", "Acme Q1"), ids.DESTINATION: option("list:l-2", "Cold <storage>")}


def _pushed(sends: SlackSends) -> JSON:
    body = answer(sends.submit(as_slack_keeps_it(move_modal.build(channel_id="C0SALES")), _everything()))
    assert body["response_action"] == "push"
    view: JSON = body["view"]
    return view


def test_a_move_of_every_lead_is_answered_with_a_confirmation_and_nothing_is_sent(
    sends: SlackSends, instantly: Instantly, work: ListenerWork
) -> None:
    view = _pushed(sends)
    assert view["callback_id"] == ids.CONFIRM_MODAL
    assert view["blocks"][0]["text"]["text"] == (
        ":warning: Every lead in the campaign *Acme Q1* \u2014 1,240 leads \u2014 will be moved to the list "
        "*Cold &lt;storage&gt;*."
    )
    work.join()
    assert instantly.moves() == []
    assert preview_view.confirmed(view) == (
        "C0SALES",
        MoveOrder.from_json(json.loads(view["private_metadata"])["order"]),
    )


def test_an_unreadable_count_is_said_and_the_confirmation_still_comes(sends: SlackSends, instantly: Instantly) -> None:
    instantly.analytics = httpx.Response(200, json={"not": "a list"})
    view = _pushed(sends)
    assert "Instantly did not say how many leads that is" in view["blocks"][0]["text"]["text"]


def test_the_confirmation_starts_the_move_once_however_often_it_comes(
    sends: SlackSends, instantly: Instantly, work: ListenerWork
) -> None:
    confirm = as_slack_keeps_it(_pushed(sends), view_id="V0CONFIRM")
    first = answer(sends.submit(confirm, {}))
    again = answer(sends.submit(confirm, {}))
    assert first["response_action"] == again["response_action"] == "update"
    assert "Asking Instantly to start the job" in json.dumps(first["view"])
    assert first["view"]["clear_on_close"] is True
    work.join()
    assert instantly.moves() == [{"campaign": "c-1", "to_list_id": "l-2", "copy_leads": False}]


def test_a_confirmation_whose_order_cannot_be_read_starts_nothing(
    sends: SlackSends, instantly: Instantly, work: ListenerWork
) -> None:
    confirm = as_slack_keeps_it(_pushed(sends), view_id="V0CONFIRM")
    confirm["private_metadata"] = json.dumps({"channel_id": "C0SALES", "order": {"source": "?"}})
    body = answer(sends.submit(confirm, {}))
    assert body["response_action"] == "update"
    assert body["view"]["title"]["text"] == "Not started"
    assert body["view"]["clear_on_close"] is False  # Back returns to the form
    work.join()
    assert instantly.moves() == []

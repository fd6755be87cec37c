"""A move of every lead (no limit, no filter), delivered signed: answered with a pushed confirmation that states
the count, and started only by the confirmation's own submission, once however often it is delivered."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from handlers import ids, move_view, preview_view
from storage.orders import MoveOrder
from tests.bolt_requests import JSON, ListenerWork, SlackSends, answer, as_slack_keeps_it, option
from tests.stand_ins import InstantlyMoves

pytestmark = pytest.mark.usefixtures("settle_quickly")


@pytest.fixture
def instantly_handler(instantly: InstantlyMoves) -> InstantlyMoves:
    return instantly


def _everything() -> dict[str, Any]:
    return {ids.SOURCE: option("campaign:c-1", "Acme Q1"), ids.DESTINATION: option("list:l-2", "Cold <storage>")}


def _pushed(sends: SlackSends) -> JSON:
    body = answer(sends.submit(as_slack_keeps_it(move_view.build(channel_id="C0SALES")), _everything()))
    assert body["response_action"] == "push"
    view: JSON = body["view"]
    return view


def test_a_move_of_every_lead_is_answered_with_a_confirmation_and_nothing_is_sent(
    sends: SlackSends, instantly: InstantlyMoves, work: ListenerWork
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


def test_an_unreadable_count_is_said_and_the_confirmation_still_comes(
    sends: SlackSends, instantly: InstantlyMoves
) -> None:
    instantly.analytics = httpx.Response(200, json={"not": "a list"})
    view = _pushed(sends)
    assert "Instantly did not say how many leads that is" in view["blocks"][0]["text"]["text"]


def test_the_confirmation_starts_the_move_once_however_often_it_comes(
    sends: SlackSends, instantly: InstantlyMoves, work: ListenerWork
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
    sends: SlackSends, instantly: InstantlyMoves, work: ListenerWork
) -> None:
    confirm = as_slack_keeps_it(_pushed(sends), view_id="V0CONFIRM")
    confirm["private_metadata"] = json.dumps({"channel_id": "C0SALES", "order": {"source": "?"}})
    body = answer(sends.submit(confirm, {}))
    assert body["response_action"] == "update"
    assert body["view"]["title"]["text"] == "Not started"
    assert body["view"]["clear_on_close"] is False  # Back returns to the form
    work.join()
    assert instantly.moves() == []

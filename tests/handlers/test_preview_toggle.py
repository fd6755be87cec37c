"""The More filters button, delivered signed to the real Bolt app: the click is acked at once, then the move modal is
updated over the hash Slack sent with it, as the button asks; a click elsewhere, or asking nothing the button asks, is
only acked."""

from __future__ import annotations

import json

from handlers import ids, more_filters, move_view
from tests.bolt_requests import (
    ListenerWork,
    SlackSends,
    answer,
    as_slack_keeps_it,
    button_click_body,
    state_values,
)
from tests.stand_ins import SlackStandIn


def _click(sends: SlackSends, value: str, *, callback_id: str = ids.MOVE_MODAL) -> None:
    view = as_slack_keeps_it(move_view.build(channel_id="C1", preview="*40 leads*"))
    view["callback_id"] = callback_id
    view["state"] = {"values": state_values(view, {ids.SEARCH: "acme"})}
    body = button_click_body(
        view, action_id=ids.MORE_FILTERS, block_id=ids.MORE_FILTERS, value=value, label="More filters"
    )
    response = sends.deliver(body)
    assert response.status == 200
    assert answer(response) is None


def test_more_filters_updates_the_modal_over_slacks_hash_with_every_field_and_what_was_entered(
    sends: SlackSends, slack: SlackStandIn, work: ListenerWork
) -> None:
    _click(sends, more_filters.SHOW)
    work.join()
    [update] = slack.calls_to("views.update")
    shown = as_slack_keeps_it(move_view.build(channel_id="C1"))
    assert (update.args["view_id"], update.args["hash"]) == (shown["id"], shown["hash"])
    blocks = {b.get("block_id"): b for b in update.args["view"]["blocks"]}
    assert set(blocks) >= set(more_filters.FIELDS)
    assert blocks[ids.SEARCH]["element"]["initial_value"] == "acme"
    assert json.loads(update.args["view"]["private_metadata"]) == {"channel_id": "C1", "more": True}


def test_fewer_filters_takes_the_empty_ones_away_again(
    sends: SlackSends, slack: SlackStandIn, work: ListenerWork
) -> None:
    _click(sends, more_filters.HIDE)
    work.join()
    [update] = slack.calls_to("views.update")
    assert not {b.get("block_id") for b in update.args["view"]["blocks"]} & set(more_filters.FIELDS)
    assert json.loads(update.args["view"]["private_metadata"]) == {"channel_id": "C1"}


def test_a_click_on_another_view_or_asking_what_the_button_never_asks_is_only_acked(
    sends: SlackSends, slack: SlackStandIn, work: ListenerWork
) -> None:
    _click(sends, more_filters.SHOW, callback_id="channel_settings")
    _click(sends, "open sesame")
    work.join()
    assert slack.calls_to("views.update") == []

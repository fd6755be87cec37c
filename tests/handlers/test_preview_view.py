"""The move modal's preview section, its dispatching inputs, the rebuild that keeps what was entered, and the
confirmation of a move of every lead: pure builders, checked against the fake Slack's Block Kit rules."""

from __future__ import annotations

import json
from typing import Any

from bot.preview import Preview
from handlers import ids, move_form, move_view, preview_view
from handlers.prefill import Fill
from simulators.slack.blockkit import check_view
from storage.orders import Endpoint, EndpointKind, LeadFilters, MoveMode, MoveOrder

ACME = Endpoint(kind=EndpointKind.CAMPAIGN, id="c-1", name="Acme <Q4>")
COLD = Endpoint(kind=EndpointKind.LIST, id="l-2", name="Cold storage")


def _block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return dict(next(b for b in view["blocks"] if b.get("block_id") == block_id))


def test_the_preview_sits_under_from_and_to_and_says_what_it_will_show() -> None:
    view = move_view.build(channel_id="C1")
    assert [b.get("block_id") for b in view["blocks"][:3]] == [ids.SOURCE, ids.DESTINATION, ids.PREVIEW]
    assert _block(view, ids.PREVIEW)["text"]["text"] == preview_view.WAITING
    assert check_view(view) == []


def test_the_source_and_the_filters_dispatch_actions_and_nothing_else_does() -> None:
    view = move_view.build(channel_id="C1", more=True)
    dispatching = {b["block_id"] for b in view["blocks"] if b.get("dispatch_action")}
    assert dispatching == {ids.SOURCE, ids.SEARCH, ids.FILTER, ids.CONTACTS, ids.ESP_CODE, ids.ESG_CODE}
    search = _block(view, ids.SEARCH)["element"]
    assert search["dispatch_action_config"] == {"trigger_actions_on": ["on_enter_pressed"]}
    contacts = _block(view, ids.CONTACTS)["element"]
    assert contacts["dispatch_action_config"] == {"trigger_actions_on": ["on_character_entered"]}


def test_a_rebuild_shows_everything_entered_and_keeps_title_ids_and_metadata() -> None:
    opened = move_view.build(channel_id="C1", copy_leads=True, more=True)
    entered = {
        ids.SOURCE: {ids.SOURCE: {"type": "external_select", "selected_option": _option("campaign:c-1", "Acme")}},
        ids.MODE: {ids.MODE: {"type": "radio_buttons", "selected_option": _option(ids.MODE_MOVE, "Move")}},
        ids.LIMIT: {ids.LIMIT: {"type": "number_input", "value": "300"}},
        ids.SEARCH: {ids.SEARCH: {"type": "plain_text_input", "value": "acme"}},
        ids.FILTER: {ids.FILTER: {"type": "static_select", "selected_option": _option("FILTER_LEAD_LOST", "Lost")}},
        ids.ESG_CODE: {ids.ESG_CODE: {"type": "static_select", "selected_option": None}},
        ids.OPTIONS: {ids.OPTIONS: {"type": "checkboxes", "selected_options": [_option("skip_duplicates", "x")]}},
    }
    current = {**opened, "id": "V1", "hash": "h", "state": {"values": entered}}
    rebuilt = move_view.rebuild(current, preview="*new*")
    assert check_view(rebuilt) == []
    assert rebuilt["title"] == opened["title"]
    assert rebuilt["private_metadata"] == opened["private_metadata"]
    ids_of = [(b.get("block_id"), (b.get("element") or {}).get("action_id")) for b in rebuilt["blocks"]]
    assert ids_of == [(b.get("block_id"), (b.get("element") or {}).get("action_id")) for b in opened["blocks"]]
    assert _block(rebuilt, ids.PREVIEW)["text"]["text"] == "*new*"
    assert _block(rebuilt, ids.SOURCE)["element"]["initial_option"] == _option("campaign:c-1", "Acme")
    assert _block(rebuilt, ids.MODE)["element"]["initial_option"]["value"] == ids.MODE_MOVE
    assert _block(rebuilt, ids.LIMIT)["element"]["initial_value"] == "300"
    assert _block(rebuilt, ids.SEARCH)["element"]["initial_value"] == "acme"
    assert _block(rebuilt, ids.FILTER)["element"]["initial_option"]["value"] == "FILTER_LEAD_LOST"
    assert "initial_option" not in _block(rebuilt, ids.ESG_CODE)["element"]
    assert [o["value"] for o in _block(rebuilt, ids.OPTIONS)["element"]["initial_options"]] == ["skip_duplicates"]
    # Read back, the rebuilt form's initial values are the order the person was making.
    assert move_form.lead_choice({"state": {"values": entered}}) == move_form.LeadChoice(
        source=Endpoint(kind=EndpointKind.CAMPAIGN, id="c-1", name="Acme"), search="acme", filter="FILTER_LEAD_LOST"
    )


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": label, "emoji": True}, "value": value}


def test_the_preview_in_words_escapes_what_instantly_and_people_wrote() -> None:
    preview = Preview(count=1240, sample=("a@x.co", "<!channel>@x.co"), sampled=True)
    text = preview_view.preview_text(source=ACME, filters=LeadFilters(), preview=preview)
    assert text.splitlines() == [
        ":mag: The campaign *Acme &lt;Q4&gt;* holds 1,240 leads.",
        "A few of the leads it holds:",
        "• a@x.co",
        "• &lt;!channel&gt;@x.co",
    ]


def test_no_match_an_unknown_count_and_a_problem_are_each_said() -> None:
    filtered = LeadFilters(search="zzz", email_provider=1)
    none_match = Preview(count=12, sampled=True, ignored=("email_provider",))
    text = preview_view.preview_text(source=COLD, filters=filtered, preview=none_match)
    assert "No lead matches your filters." in text
    assert "leaves out the email provider filter" in text
    failed = Preview(problem="Instantly is busy (rate limited) just now.")
    text = preview_view.preview_text(source=COLD, filters=LeadFilters(), preview=failed)
    assert text == (
        ":warning: No full preview for the list *Cold storage*: Instantly is busy (rate limited) just now. "
        "The form still works: you can start the move."
    )


def test_the_confirmation_states_the_count_and_carries_the_order() -> None:
    order = MoveOrder(source=ACME, destination=COLD)
    view = preview_view.confirm_view(order=order, count=1240, channel_id="C0SALES")
    assert check_view(view) == []
    assert view["callback_id"] == ids.CONFIRM_MODAL
    assert view["blocks"][0]["text"]["text"] == (
        ":warning: Every lead in the campaign *Acme &lt;Q4&gt;* \u2014 1,240 leads \u2014 will be moved to the "
        "list *Cold storage*."
    )
    assert preview_view.confirmed(view) == ("C0SALES", order)
    assert json.loads(view["private_metadata"])["order"] == order.to_json()


def test_a_copy_with_an_unknown_count_says_so() -> None:
    order = MoveOrder(source=ACME, destination=COLD, mode=MoveMode.COPY)
    view = preview_view.confirm_view(order=order, count=None, channel_id="C0SALES")
    text = view["blocks"][0]["text"]["text"]
    assert "will be copied to" in text
    assert "Instantly did not say how many leads that is just now." in text
    assert (view["title"]["text"], view["submit"]["text"]) == ("Copy every lead?", "Copy them all")


def test_unreadable_metadata_is_no_order() -> None:
    assert preview_view.confirmed({"private_metadata": "{"}) is None
    assert preview_view.confirmed({"private_metadata": json.dumps({"channel_id": "C1", "order": {}})}) is None


def test_only_a_move_with_no_limit_and_no_filter_takes_everything() -> None:
    order = MoveOrder(source=ACME, destination=COLD)
    assert move_form.takes_everything(order)
    assert not move_form.takes_everything(order.model_copy(update={"limit": 10}))
    assert not move_form.takes_everything(order.model_copy(update={"filters": LeadFilters(lead_status="X")}))


def test_a_note_the_form_opened_with_stays_until_its_field_is_filled_in() -> None:
    notes = {ids.SOURCE: "Several campaigns match “Acme”.", ids.DESTINATION: "No list is called “Cold”."}
    opened = move_view.build(channel_id="C1", fill=Fill(notes=notes))
    picked = {ids.SOURCE: {ids.SOURCE: {"type": "external_select", "selected_option": _option("campaign:c-1", "Acme")}}}
    rebuilt = move_view.rebuild({**opened, "id": "V1", "hash": "h", "state": {"values": picked}}, preview="*new*")

    assert "hint" not in _block(rebuilt, ids.SOURCE), "picked: its note has done its work"
    assert _block(rebuilt, ids.DESTINATION)["hint"]["text"] == "No list is called “Cold”."
    assert check_view(rebuilt) == []

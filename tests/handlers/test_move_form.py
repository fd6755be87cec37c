"""The move modal's submission: one model turns Slack's view state into a MoveOrder or field errors."""

from __future__ import annotations

from typing import Any

import pytest

from bot.instantly.schemas import LEAD_FILTERS
from handlers import ids, move_form, move_view
from storage.orders import Endpoint, EndpointKind, LeadFilters, MoveMode, MoveOptions, MoveOrder


def _select(value: str, label: str | None = None, kind: str = "external_select") -> dict[str, Any]:
    return {"type": kind, "selected_option": {"text": {"type": "plain_text", "text": label or value}, "value": value}}


def _view(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        ids.SOURCE: _select("campaign:c-1", "Acme Q1"),
        ids.DESTINATION: _select("list:l-2", "Acme warm"),
        ids.MODE: _select(ids.MODE_MOVE, kind="radio_buttons"),
        ids.LIMIT: {"type": "number_input", "value": None},
        ids.SEARCH: {"type": "plain_text_input", "value": None},
        ids.FILTER: {"type": "static_select", "selected_option": None},
        ids.CONTACTS: {"type": "plain_text_input", "value": None},
        ids.ASSIGNED_TO: {"type": "external_select", "selected_option": None},
        ids.ESP_CODE: {"type": "static_select", "selected_option": None},
        ids.ESG_CODE: {"type": "static_select", "selected_option": None},
        ids.OPTIONS: {"type": "checkboxes", "selected_options": []},
    }
    values.update(overrides)
    view = move_view.build(channel_id="C0SALES")
    view["state"] = {"values": {block: {block: state} for block, state in values.items() if state is not None}}
    return view


def test_a_minimal_form_becomes_a_plain_move() -> None:
    order = move_form.parse(_view())
    assert order == MoveOrder(
        source=Endpoint(kind=EndpointKind.CAMPAIGN, id="c-1", name="Acme Q1"),
        destination=Endpoint(kind=EndpointKind.LIST, id="l-2", name="Acme warm"),
    )


def test_every_field_reaches_the_order() -> None:
    order = move_form.parse(
        _view(
            source=_select("list:l-9", "Old list"),
            destination=_select("campaign:c-7", "New campaign"),
            mode=_select(ids.MODE_COPY, kind="radio_buttons"),
            limit={"type": "number_input", "value": "250"},
            search={"type": "plain_text_input", "value": "  acme.com "},
            filter=_select("FILTER_LEAD_INTERESTED", kind="static_select"),
            contacts={"type": "plain_text_input", "value": "a@x.io, B@Y.io\nc@z.io"},
            assigned_to=_select("member:u-1", "Ann"),
            esp_code=_select("2", kind="static_select"),
            esg_code=_select("all", kind="static_select"),
            options={
                "type": "checkboxes",
                "selected_options": [
                    {"value": name, "text": {"type": "plain_text", "text": name}} for name in MoveOptions.flag_names()
                ],
            },
        )
    )
    assert order == MoveOrder(
        source=Endpoint(kind=EndpointKind.LIST, id="l-9", name="Old list"),
        destination=Endpoint(kind=EndpointKind.CAMPAIGN, id="c-7", name="New campaign"),
        mode=MoveMode.COPY,
        limit=250,
        filters=LeadFilters(
            search="acme.com",
            lead_status="FILTER_LEAD_INTERESTED",
            emails=("a@x.io", "b@y.io", "c@z.io"),
            email_provider=2,
            security_gateway="all",
        ),
        options=MoveOptions(assign_to="u-1", assign_to_name="Ann", **dict.fromkeys(MoveOptions.flag_names(), True)),
    )


@pytest.mark.parametrize(
    ("overrides", "block_id", "words"),
    [
        ({ids.SOURCE: None}, ids.SOURCE, "Choose a source"),
        ({ids.DESTINATION: None}, ids.DESTINATION, "Choose a destination"),
        ({ids.DESTINATION: _select("campaign:c-1", "Acme Q1")}, ids.DESTINATION, "must differ"),
        ({ids.LIMIT: {"type": "number_input", "value": "0"}}, ids.LIMIT, "at least 1"),
        ({ids.LIMIT: {"type": "number_input", "value": "-4"}}, ids.LIMIT, "at least 1"),
        ({ids.LIMIT: {"type": "number_input", "value": "2.5"}}, ids.LIMIT, "whole number"),
        ({ids.CONTACTS: {"type": "plain_text_input", "value": "ok@x.io, not-an-email"}}, ids.CONTACTS, "not-an-email"),
        ({ids.FILTER: _select("FILTER_VAL_CONTACTD", kind="static_select")}, ids.FILTER, "listed filters"),
        ({ids.SOURCE: _select("campaign:", "x")}, ids.SOURCE, "from the suggestions"),
        ({ids.SOURCE: _select("'; drop table jobs", "x")}, ids.SOURCE, "from the suggestions"),
        ({ids.SOURCE: _select(ids.UNAVAILABLE, "slow")}, ids.SOURCE, "pick again"),
        ({ids.ESP_CODE: _select("7", kind="static_select")}, ids.ESP_CODE, "email providers"),
        ({ids.ESG_CODE: _select("9", kind="static_select")}, ids.ESG_CODE, "gateways"),
        ({ids.ASSIGNED_TO: _select("u-1")}, ids.ASSIGNED_TO, "Pick the person"),
    ],
)
def test_each_bad_field_gets_its_own_words(overrides: dict[str, Any], block_id: str, words: str) -> None:
    errors = move_form.parse(_view(**overrides))
    assert isinstance(errors, dict)
    assert block_id in errors
    assert words in errors[block_id]


def test_several_bad_fields_are_all_reported_at_once() -> None:
    errors = move_form.parse(
        _view(
            source=None,
            limit={"type": "number_input", "value": "0"},
            contacts={"type": "plain_text_input", "value": "nope"},
        )
    )
    assert isinstance(errors, dict)
    assert set(errors) == {ids.SOURCE, ids.LIMIT, ids.CONTACTS}


def test_every_filter_in_the_modal_is_accepted() -> None:
    view = move_view.build(channel_id="C1")
    block = next(b for b in view["blocks"] if b.get("block_id") == ids.FILTER)
    offered = [o["value"] for group in block["element"]["option_groups"] for o in group["options"]]
    assert sorted(offered) == sorted(LEAD_FILTERS)
    for value in offered:
        assert isinstance(move_form.parse(_view(filter=_select(value, kind="static_select"))), MoveOrder)


def test_channel_rides_in_private_metadata() -> None:
    assert move_form.channel_of(move_view.build(channel_id="C0XYZ")) == "C0XYZ"
    assert move_form.channel_of({"private_metadata": "not json"}) is None
    assert move_form.channel_of({}) is None


def test_a_form_opened_by_run_again_says_so_and_keeps_saying_it_through_a_preview() -> None:
    opened = move_view.build(channel_id="C0SALES", run_again_of=12)
    assert move_form.run_again(opened)
    assert move_form.channel_of(opened) == "C0SALES"
    assert move_form.run_again(move_view.rebuild(opened, preview="…"))
    assert not move_form.run_again(move_view.build(channel_id="C0SALES"))
    assert not move_form.run_again({"private_metadata": "not json"})

"""The move order in leadmover's own words: what it accepts, and that it survives being stored as JSON."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from storage.orders import LeadFilters, MoveMode, MoveOptions, MoveOrder
from tests.factories import an_order, campaign, lead_list


def test_an_order_survives_json_unchanged() -> None:
    order = an_order(
        copy=True,
        limit=10,
        filters=LeadFilters(search="ß & <b>", emails=("a@x.io",), email_provider=1),
        options=MoveOptions(skip_duplicates=True, assign_to="u-1"),
    )

    stored = json.loads(json.dumps(order.to_json()))

    assert MoveOrder.from_json(stored) == order


def test_the_stored_form_speaks_our_words() -> None:
    stored = an_order(options=MoveOptions(ignore_source_filters=True)).to_json()

    assert set(stored) == {"source", "destination", "mode", "limit", "filters", "options"}
    assert stored["mode"] == "move"
    assert stored["options"]["ignore_source_filters"] is True
    assert stored["source"] == {"kind": "campaign", "id": "c-1", "name": "Acme Q1"}


def test_a_copy_copies_and_a_move_does_not() -> None:
    assert an_order(copy=True).copies
    assert an_order().mode == MoveMode.MOVE
    assert not an_order().copies


def test_the_on_off_options_are_the_boolean_fields_in_order() -> None:
    assert MoveOptions.flag_names() == (
        "skip_duplicates",
        "skip_duplicates_in_campaigns",
        "skip_leads_in_verification",
        "reset_interest_status",
        "ignore_source_filters",
    )
    assert MoveOptions(reset_interest_status=True, skip_duplicates=True).flags_set() == (
        "skip_duplicates",
        "reset_interest_status",
    )


def test_the_same_place_is_the_same_kind_and_id_whatever_its_name() -> None:
    assert campaign("c-1", "Old name").same_place(campaign("c-1", "New name"))
    assert not campaign("x").same_place(lead_list("x"))


@pytest.mark.parametrize(
    "broken",
    [
        {"limit": 0},
        {"mode": "teleport"},
        {"source": {"kind": "folder", "id": "f", "name": "F"}},
        {"to_list_id": "l-2"},  # an Instantly field is not ours
    ],
)
def test_an_order_refuses_what_it_does_not_know(broken: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        MoveOrder.from_json({**an_order().to_json(), **broken})


def test_an_order_that_takes_nothing_back_is_written_as_the_previous_version_reads_it() -> None:
    asked = an_order(options=MoveOptions(assign_to="u-1"))
    assert "takes_back" not in asked.to_json(), "a process one version older refuses unknown fields"
    assert "assign_to_name" not in asked.to_json()["options"]
    named = an_order(options=MoveOptions(assign_to="u-1", assign_to_name="Ann Lee (ann@x.io)"))
    assert MoveOrder.from_json(named.to_json()) == named
    assert MoveOrder.from_json(asked.to_json()) == asked
    back = asked.model_copy(update={"takes_back": 12})
    assert back.to_json()["takes_back"] == 12
    assert MoveOrder.from_json(back.to_json()) == back

"""A MoveOrder becomes exactly the POST /leads/move body Instantly documents, and nothing it did not ask for."""

from __future__ import annotations

import pytest

from bot.instantly.requests import move_request
from storage.orders import LeadFilters, MoveOptions
from tests.factories import an_order, campaign, lead_list


def test_a_plain_move_sends_only_where_from_where_to_and_the_mode() -> None:
    body = move_request(an_order(source=campaign("c-1"), destination=lead_list("l-2"))).to_body()

    assert body == {"campaign": "c-1", "to_list_id": "l-2", "copy_leads": False}


def test_a_copy_from_a_list_to_a_campaign_with_everything_set() -> None:
    order = an_order(
        source=lead_list("l-9"),
        destination=campaign("c-7"),
        copy=True,
        limit=250,
        filters=LeadFilters(
            search="acme.com",
            lead_status="FILTER_LEAD_INTERESTED",
            emails=("a@x.io", "b@y.io"),
            email_provider=2,
            security_gateway="all",
        ),
        options=MoveOptions(assign_to="u-1", skip_duplicates=True, ignore_source_filters=True),
    )

    assert move_request(order).to_body() == {
        "list_id": "l-9",
        "to_campaign_id": "c-7",
        "copy_leads": True,
        "limit": 250,
        "search": "acme.com",
        "filter": "FILTER_LEAD_INTERESTED",
        "contacts": ["a@x.io", "b@y.io"],
        "esp_code": 2,
        "esg_code": "all",
        "assigned_to": "u-1",
        "check_duplicates": True,
        "ignore_resource_filter_clauses": True,
    }


@pytest.mark.parametrize(
    ("option", "field"),
    [
        ("skip_duplicates", "check_duplicates"),
        ("skip_duplicates_in_campaigns", "check_duplicates_in_campaigns"),
        ("skip_leads_in_verification", "skip_leads_in_verification"),
        ("reset_interest_status", "reset_interest_status"),
        ("ignore_source_filters", "ignore_resource_filter_clauses"),
    ],
)
def test_each_option_asks_for_its_own_instantly_field(option: str, field: str) -> None:
    body = move_request(an_order(options=MoveOptions(**{option: True}))).to_body()

    assert {key for key, value in body.items() if value is True} == {field}


def test_every_option_has_an_instantly_field() -> None:
    everything = MoveOptions(**dict.fromkeys(MoveOptions.flag_names(), True))

    body = move_request(an_order(options=everything)).to_body()

    assert sum(value is True for value in body.values()) == len(MoveOptions.flag_names())

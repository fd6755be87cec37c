"""The Instantly simulator checks requests against Instantly's OpenAPI spec, and its own answers too."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from simulators.instantly import FakeInstantly
from simulators.instantly.spec import ContractError, load_spec
from tests.simulators.instantly.calls import move


@pytest.mark.parametrize(
    ("extra", "message_start"),
    [
        ({"to_list": "typo"}, "body Additional properties are not allowed ('to_list' was unexpected)"),
        ({"contacts": ["not-an-email"]}, "body/contacts/0 "),
        ({"esp_code": "1"}, "body/esp_code '1' is not of type 'number'"),
        ({"queries": [{"actionType": "reply", "values": {"days": 1}}]}, "body/queries/0/values Additional"),
    ],
)
def test_move_body_is_checked_against_the_closed_spec(
    fake: FakeInstantly, client: httpx.Client, extra: dict[str, Any], message_start: str
) -> None:
    destination = fake.add_list("Destination")

    answer = client.post("/leads/move", json={"to_list_id": destination, **extra})

    assert answer.status_code == 400
    error = answer.json()
    assert (error["statusCode"], error["error"]) == (400, "Bad Request")
    assert error["message"].startswith(message_start)
    assert len(fake.violations) == 1
    assert fake.move_bodies() == []


def test_unknown_routes_methods_and_query_parameters(fake: FakeInstantly, client: httpx.Client) -> None:
    assert client.get("/leads/copy").status_code == 404
    assert client.delete("/campaigns").json()["error"] == "Not Found"
    assert client.get("/campaigns", params={"limt": 5}).status_code == 400
    assert client.get("/campaigns", params={"limit": 500}).status_code == 400
    assert len(fake.violations) == 4
    assert [request.status for request in fake.requests] == [404, 404, 400, 400]
    assert fake.requests[2].query == {"limt": "5"}


def test_happy_path_answers_pass_the_self_check(fake: FakeInstantly, client: httpx.Client) -> None:
    campaign = fake.add_campaign("Campaign", status=2)
    lead_list = fake.add_list("List", leads=5)
    member = fake.add_member("ann@example.com", first="Ann")

    answers = [
        client.get("/workspaces/current"),
        client.get("/campaigns", params={"search": "camp", "limit": 100}),
        client.get(f"/campaigns/{campaign}"),
        client.get("/campaigns/analytics", params={"id": campaign}),
        client.get("/lead-lists", params={"search": "list"}),
        client.get(f"/lead-lists/{lead_list}"),
        client.get(f"/lead-lists/{lead_list}/verification-stats"),
        client.get("/workspace-members", params={"search": "ann"}),
        client.get("/lead-labels"),
        client.post("/leads/list", json={"list_id": lead_list, "limit": 3}),
    ]
    job = move(
        client,
        list_id=lead_list,
        to_campaign_id=campaign,
        filter="FILTER_VAL_CONTACTED",
        contacts=["lead1@x.example.com"],
        esp_code=1,
        esg_code="all",
        assigned_to=member,
        check_duplicates=True,
    )
    for _ in range(4):
        answers.append(client.get("/background-jobs", params={"ids": job["id"], "limit": 100}))
    answers.append(client.get(f"/background-jobs/{job['id']}", params={"data_fields": "moved_leads"}))

    assert all(answer.status_code == 200 for answer in answers)
    assert all(answer.headers["content-type"] == "application/json; charset=utf-8" for answer in answers)
    assert answers[-1].json()["status"] == "success"
    assert fake.violations == []


def test_the_spec_ships_as_package_data_and_matches_literal_paths_first() -> None:
    spec = load_spec()
    op, params = spec.match("GET", "/api/v2/campaigns/analytics")
    assert (op.template, params) == ("/api/v2/campaigns/analytics", {})
    op, params = spec.match("GET", "/api/v2/campaigns/c%201")
    assert (op.template, params) == ("/api/v2/campaigns/{id}", {"id": "c 1"})
    with pytest.raises(ContractError) as err:
        spec.match("GET", "/api/v2/nowhere")
    assert err.value.status == 404


def test_query_values_are_typed_and_checked() -> None:
    spec = load_spec()
    op, _ = spec.match("GET", "/api/v2/campaigns")
    assert spec.check_query(op, {"limit": ["5"], "search": ["acme"]}) == {"limit": 5, "search": "acme"}
    with pytest.raises(ContractError, match="limt is not a documented parameter"):
        spec.check_query(op, {"limt": ["5"]})
    with pytest.raises(ContractError, match="must not be repeated"):
        spec.check_query(op, {"search": ["a", "b"]})


def test_bodies_must_be_json_objects_of_the_documented_shape() -> None:
    spec = load_spec()
    op, _ = spec.match("POST", "/api/v2/leads/move")
    assert spec.check_body(op, b'{"to_list_id": "x"}', "application/json") == {"to_list_id": "x"}
    with pytest.raises(ContractError) as err:
        spec.check_body(op, b'{"to_list_id": "x"}', "text/plain")
    assert err.value.status == 415
    with pytest.raises(ContractError, match="not valid JSON"):
        spec.check_body(op, b'{"limit": NaN}', "application/json")

"""API key scopes in the fake Instantly: read from the spec, wildcards honoured, a missing one answered 403."""

from __future__ import annotations

import ssl
from collections.abc import Callable

import httpx
import pytest

from simulators.instantly import FakeInstantly
from simulators.instantly.scopes import ScopeRules, grants
from simulators.instantly.spec import load_spec
from tests.simulators.instantly.calls import client_for

# The scopes README.md asks a leadmover key to have.
LEADMOVER_SCOPES = (
    "leads:read",
    "leads:update",
    "background-jobs:read",
    "campaigns:read",
    "lead_lists:read",
    "workspaces:read",
    "workspace_members:read",
)

Request = Callable[[httpx.Client, str, str], httpx.Response]
REQUESTS: dict[str, Request] = {
    "GET /campaigns": lambda c, campaign, lead_list: c.get("/campaigns"),
    "GET /campaigns/{id}": lambda c, campaign, lead_list: c.get(f"/campaigns/{campaign}"),
    "GET /campaigns/analytics": lambda c, campaign, lead_list: c.get("/campaigns/analytics", params={"id": campaign}),
    "GET /lead-lists": lambda c, campaign, lead_list: c.get("/lead-lists"),
    "GET /lead-lists/{id}": lambda c, campaign, lead_list: c.get(f"/lead-lists/{lead_list}"),
    "GET /lead-lists/{id}/verification-stats": lambda c, campaign, lead_list: c.get(
        f"/lead-lists/{lead_list}/verification-stats"
    ),
    "GET /workspace-members": lambda c, campaign, lead_list: c.get("/workspace-members"),
    "GET /workspaces/current": lambda c, campaign, lead_list: c.get("/workspaces/current"),
    "GET /lead-labels": lambda c, campaign, lead_list: c.get("/lead-labels"),
    "POST /leads/list": lambda c, campaign, lead_list: c.post("/leads/list", json={"list_id": lead_list}),
    "POST /leads/move": lambda c, campaign, lead_list: c.post(
        "/leads/move", json={"list_id": lead_list, "to_campaign_id": campaign}
    ),
    "GET /background-jobs": lambda c, campaign, lead_list: c.get("/background-jobs"),
    "GET /background-jobs/{id}": lambda c, campaign, lead_list: c.get(f"/background-jobs/{'a' * 24}"),
}
EVERYTHING = set(REQUESTS)
READS = EVERYTHING - {"POST /leads/move"}


def _allowed(fake: FakeInstantly, tls: ssl.SSLContext, scopes: list[str] | None) -> set[str]:
    """Which of REQUESTS a key with `scopes` gets past the scope check (a 404 for a made-up job id counts)."""
    workspace = fake.add_workspace(name="Scoped", api_key="scoped-key", scopes=scopes)
    campaign, lead_list = workspace.add_campaign("Campaign"), workspace.add_list("List")
    allowed = set()
    with client_for(fake.base_url, "scoped-key", verify=tls) as client:
        for name, send in REQUESTS.items():
            answer = send(client, campaign, lead_list)
            if answer.status_code == 403:
                body = answer.json()
                assert (body["statusCode"], body["error"]) == (403, "Forbidden")
                assert "required scope" in body["message"]
            else:
                assert answer.status_code in (200, 404), f"{name}: {answer.text}"
                allowed.add(name)
    assert fake.violations == []  # a key short of a scope is the customer's setup, not a client bug
    return allowed


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [
        pytest.param(None, EVERYTHING, id="none-means-all"),
        pytest.param(["all:all"], EVERYTHING, id="all:all"),
        pytest.param(list(LEADMOVER_SCOPES), EVERYTHING - {"GET /lead-labels"}, id="leadmover"),
        pytest.param(["all:read"], READS, id="all:read"),
        pytest.param(["all:update"], {"POST /leads/move"}, id="all:update"),
        pytest.param(["leads:all"], {"POST /leads/list", "POST /leads/move"}, id="leads:all"),
        pytest.param(["leads:update"], {"POST /leads/move"}, id="update-is-not-read"),
        # No scope named in the spec: analytics is guarded as campaigns, verification stats as lead lists.
        pytest.param(
            ["campaigns:read"], {"GET /campaigns", "GET /campaigns/{id}", "GET /campaigns/analytics"}, id="campaigns"
        ),
        pytest.param(
            ["lead_lists:all"],
            {"GET /lead-lists", "GET /lead-lists/{id}", "GET /lead-lists/{id}/verification-stats"},
            id="lead_lists:all",
        ),
        pytest.param(
            ["background-jobs:read", "workspaces:read"],
            {"GET /background-jobs", "GET /background-jobs/{id}", "GET /workspaces/current"},
            id="jobs-and-workspace",
        ),
        pytest.param([], set(), id="no-scopes"),
    ],
)
def test_a_key_reaches_exactly_what_its_scopes_allow(
    fake: FakeInstantly, tls: ssl.SSLContext, scopes: list[str] | None, expected: set[str]
) -> None:
    assert _allowed(fake, tls, scopes) == expected


def test_the_403_names_the_scopes_the_operation_wants(fake: FakeInstantly, tls: ssl.SSLContext) -> None:
    reader = fake.add_workspace(name="Reader", api_key="reader", scopes=["all:read"])
    destination = reader.add_list("Destination")
    with client_for(fake.base_url, "reader", verify=tls) as client:
        answer = client.post("/leads/move", json={"to_list_id": destination})

    assert answer.status_code == 403
    assert answer.json() == {
        "statusCode": 403,
        "error": "Forbidden",
        "message": "This API key does not have the required scope. "
        "It needs one of: leads:update, leads:all, all:update, all:all",
    }
    assert fake.requests[-1].workspace_id == reader.workspace_id
    assert reader.move_bodies() == []


def test_a_default_key_can_be_scoped_too(tls: ssl.SSLContext) -> None:
    with FakeInstantly(scopes=["campaigns:read"]) as fake, client_for(fake.base_url, fake.api_key, verify=tls) as c:
        assert c.get("/campaigns").status_code == 200
        assert c.get("/lead-lists").status_code == 403
        assert fake.rate_limited == 0


def test_every_documented_operation_has_scopes_from_the_spec() -> None:
    spec = load_spec()
    rules = ScopeRules(spec)
    accepted = {f"{op.method} {op.template.removeprefix('/api/v2')}": rules.accepted(op) for op in spec.operations}

    assert set(accepted) == EVERYTHING  # the table above covers every operation the fake serves
    assert accepted["POST /leads/move"] == ("leads:update", "leads:all", "all:update", "all:all")
    assert accepted["GET /background-jobs"] == ("background-jobs:read", "background-jobs:all", "all:read", "all:all")
    assert accepted["GET /campaigns/analytics"] == accepted["GET /campaigns"]
    assert accepted["GET /lead-lists/{id}/verification-stats"] == accepted["GET /lead-lists/{id}"]


@pytest.mark.parametrize(
    ("held", "required", "expected"),
    [
        ("leads:read", "leads:read", True),
        ("leads:all", "leads:update", True),
        ("all:read", "campaigns:read", True),
        ("all:update", "leads:update", True),
        ("all:all", "lead_lists:read", True),
        ("leads:update", "leads:read", False),
        ("all:update", "leads:read", False),
        ("campaigns:all", "leads:read", False),
        ("all:read", "all:all", False),
    ],
)
def test_wildcards_cover_a_resource_an_action_or_both(held: str, required: str, expected: bool) -> None:
    assert grants(held, required) is expected

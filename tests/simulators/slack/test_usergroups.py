"""User groups in the fake Slack, read over HTTP with slack_sdk: usergroups.users.list and usergroups.list, per
workspace and per Enterprise Grid organization."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from simulators.slack import FakeSlack


def _error(call: Callable[[], object]) -> str:
    with pytest.raises(SlackApiError) as err:
        call()
    return str(err.value.response["error"])


def test_the_members_of_a_group(fake: FakeSlack, client: WebClient) -> None:
    fake.add_usergroup("S0LEADS", handle="lead-movers", name="Lead movers", users=["U0ALICE", "U0BOB", "U0ALICE"])

    answer = client.usergroups_users_list(usergroup="S0LEADS")

    assert answer.data == {"ok": True, "users": ["U0ALICE", "U0BOB"]}  # each member once, in order
    fake.set_usergroup_users("S0LEADS", ["W0CAROL"])
    assert client.usergroups_users_list(usergroup="S0LEADS")["users"] == ["W0CAROL"]
    fake.set_usergroup_users("S0LEADS", [])
    assert client.usergroups_users_list(usergroup="S0LEADS")["users"] == []
    [call] = fake.calls_to("usergroups.users.list")[:1]
    assert call.args == {"usergroup": "S0LEADS"}
    assert fake.violations == []


def test_an_unknown_group_is_no_such_subteam(fake: FakeSlack, client: WebClient) -> None:
    assert _error(lambda: client.usergroups_users_list(usergroup="S0NOBODY")) == "no_such_subteam"
    assert fake.violations == []  # a group deleted since the app stored its id is no app bug

    assert _error(lambda: client.api_call("usergroups.users.list", params={})) == "invalid_arguments"
    assert fake.violations == ["usergroups.users.list: no usergroup given"]


def test_a_disabled_group_needs_include_disabled(fake: FakeSlack, client: WebClient) -> None:
    fake.add_usergroup("S0OLD", handle="old-team", users=["U0ALICE"], disabled=True)

    assert _error(lambda: client.usergroups_users_list(usergroup="S0OLD")) == "no_such_subteam"
    assert client.usergroups_users_list(usergroup="S0OLD", include_disabled=True)["users"] == ["U0ALICE"]


def test_another_workspaces_group_is_a_mix_up(fake: FakeSlack, client: WebClient) -> None:
    fake.add_team("T0ACME", name="Acme", domain="acme")
    fake.add_usergroup("S0ACME", team_id="T0ACME", handle="acme-admins", users=["U0ACMEADMIN"])
    acme = WebClient(token=fake.install_token(team_id="T0ACME"), base_url=fake.api_url)

    assert acme.usergroups_users_list(usergroup="S0ACME")["users"] == ["U0ACMEADMIN"]
    assert _error(lambda: client.usergroups_users_list(usergroup="S0ACME")) == "no_such_subteam"
    assert fake.violations == [
        "usergroups.users.list: used team T0LEADMOVR's token on T0ACME's user group S0ACME",
    ]


def test_an_organizations_group_is_seen_from_each_of_its_workspaces() -> None:
    with FakeSlack() as fake:
        fake.add_team("T0EAST", name="East", domain="east", enterprise_id="E0GRID", enterprise_name="Grid")
        fake.add_team("T0WEST", name="West", domain="west", enterprise_id="E0GRID", enterprise_name="Grid")
        fake.add_usergroup("S0ORG", team_id="E0GRID", handle="org-admins", users=["W0ADA"])
        fake.add_usergroup("S0EAST", team_id="T0EAST", handle="east-only", users=["W0BEN"])
        west = WebClient(token=fake.install_token(team_id="T0WEST"), base_url=fake.api_url)
        org = WebClient(token=fake.install_token(team_id="T0EAST", enterprise_install=True), base_url=fake.api_url)

        assert west.usergroups_users_list(usergroup="S0ORG")["users"] == ["W0ADA"]
        assert _error(lambda: west.usergroups_users_list(usergroup="S0EAST")) == "no_such_subteam"
        assert org.usergroups_users_list(usergroup="S0EAST", team_id="T0EAST")["users"] == ["W0BEN"]
        # An org-wide token must say which workspace it asks for.
        assert _error(lambda: org.usergroups_users_list(usergroup="S0ORG")) == "missing_argument"
        assert fake.violations == [
            "usergroups.users.list: used team T0WEST's token on T0EAST's user group S0EAST",
            "usergroups.users.list: an org-wide token needs a team_id argument",
        ]


def test_usergroups_list_in_slacks_shape(fake: FakeSlack, client: WebClient) -> None:
    fake.add_usergroup("S0LEADS", handle="lead-movers", name="Lead movers", users=["U0ALICE", "U0BOB"])
    fake.add_usergroup("S0OLD", handle="old-team", users=["U0ALICE"], disabled=True)

    [group] = client.usergroups_list()["usergroups"]
    assert {k: group[k] for k in ("id", "team_id", "handle", "name", "is_usergroup", "date_delete")} == {
        "id": "S0LEADS",
        "team_id": fake.team_id,
        "handle": "lead-movers",
        "name": "Lead movers",
        "is_usergroup": True,
        "date_delete": 0,
    }
    assert "users" not in group
    assert "user_count" not in group
    assert group["prefs"] == {"channels": [], "groups": []}

    groups = client.usergroups_list(include_disabled=True, include_users=True, include_count=True)["usergroups"]
    assert [(g["id"], g["users"], g["user_count"]) for g in groups] == [
        ("S0LEADS", ["U0ALICE", "U0BOB"], 2),
        ("S0OLD", ["U0ALICE"], 1),
    ]
    assert groups[1]["date_delete"] > 0


def test_registering_groups_checks_the_test_setup(fake: FakeSlack) -> None:
    with pytest.raises(ValueError, match="not a Slack user group id"):
        fake.add_usergroup("G0LEADS", handle="leads")
    with pytest.raises(ValueError, match="not a Slack user id"):
        fake.add_usergroup("S0LEADS", handle="leads", users=["alice"])
    with pytest.raises(ValueError, match="not one string"):
        fake.add_usergroup("S0LEADS", handle="leads", users="U0ALICE")
    with pytest.raises(ValueError, match="unknown team"):
        fake.add_usergroup("S0LEADS", team_id="T0NOBODY", handle="leads")
    with pytest.raises(ValueError, match="no registered workspace"):
        fake.add_usergroup("S0LEADS", team_id="E0NOBODY", handle="leads")
    with pytest.raises(ValueError, match="unknown user group"):
        fake.set_usergroup_users("S0NOBODY", ["U0ALICE"])
    fake.add_usergroup("S0LEADS", handle="@leads")  # Slack's handles are written without their @
    with pytest.raises(ValueError, match="already user group S0LEADS"):
        fake.add_usergroup("S0OTHER", handle="leads")
    fake.add_usergroup("S0LEADS", handle="leads", users=["U0BOB"])  # the same id again replaces it

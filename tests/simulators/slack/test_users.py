"""users.info in the fake Slack, as slack_sdk sees it: Slack's user object, per workspace, Slack Connect guests."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from simulators.slack import FakeSlack


def _user(client: WebClient, user_id: str) -> dict[str, Any]:
    return dict(client.users_info(user=user_id)["user"])


def _fails(client: WebClient, user_id: str) -> str:
    with pytest.raises(SlackApiError) as err:
        client.users_info(user=user_id)
    return str(err.value.response["error"])


def test_a_registered_user_in_slacks_shape(fake: FakeSlack, client: WebClient) -> None:
    fake.add_user("U0ADMIN", name="ada", real_name="Ada Lovelace", is_admin=True, is_owner=True)

    user = _user(client, "U0ADMIN")

    assert (user["id"], user["team_id"], user["name"], user["real_name"]) == (
        "U0ADMIN",
        fake.team_id,
        "ada",
        "Ada Lovelace",
    )
    flags = (
        "is_admin",
        "is_owner",
        "is_primary_owner",
        "is_restricted",
        "is_ultra_restricted",
        "is_bot",
        "is_app_user",
    )
    assert [user[flag] for flag in flags] == [True, True, False, False, False, False, False]
    assert user["deleted"] is False
    assert isinstance(user["updated"], int)
    assert {"tz", "tz_label", "tz_offset", "color"} <= set(user)
    profile = user["profile"]
    assert (profile["real_name"], profile["display_name"], profile["first_name"]) == ("Ada Lovelace", "ada", "Ada")
    assert profile["image_72"].startswith("https://")
    assert "locale" not in user
    assert client.users_info(user="U0ADMIN", include_locale=True)["user"]["locale"] == "en-US"


def test_guests_deactivated_accounts_and_bots(fake: FakeSlack, client: WebClient) -> None:
    fake.add_user("U0GUEST", is_restricted=True)
    fake.add_user("U0SINGLE", is_restricted=True, is_ultra_restricted=True)
    fake.add_user("U0GONE", deleted=True)

    assert (_user(client, "U0GUEST")["is_restricted"], _user(client, "U0GUEST")["is_ultra_restricted"]) == (True, False)
    assert _user(client, "U0SINGLE")["is_ultra_restricted"] is True
    gone = _user(client, "U0GONE")
    assert gone["deleted"] is True
    assert "is_admin" not in gone  # Slack leaves the role flags out for a deactivated account
    bot = _user(client, fake.bot_user_id)
    assert (bot["is_bot"], bot["profile"]["bot_id"], bot["profile"]["api_app_id"]) == (True, fake.bot_id, fake.app_id)


def test_unregistered_ids_are_members_unless_strict(fake: FakeSlack, client: WebClient) -> None:
    alice = _user(client, "U0ALICE")
    assert (alice["team_id"], alice["name"], alice["is_admin"], alice["is_restricted"]) == (
        fake.team_id,
        "alice",
        False,
        False,
    )
    assert _fails(client, "C0SALES") == "user_not_found"
    fake.strict_users = True
    assert _fails(client, "U0ALICE") == "user_not_found"
    fake.add_user("U0ALICE")
    assert _user(client, "U0ALICE")["id"] == "U0ALICE"
    assert fake.violations == []


def test_each_workspace_sees_its_members_and_the_guests_shared_into_it() -> None:
    with FakeSlack(strict_users=True) as fake:
        fake.add_team("T0ACME", name="Acme", domain="acme")
        fake.add_team("T0PART", name="Partner", domain="partner")
        fake.add_user("U0ADA", team_id="T0ACME")
        fake.add_user("U0PAT", team_id="T0PART", shared_with=("T0ACME",))
        acme = WebClient(token=fake.install_token(team_id="T0ACME"), base_url=fake.api_url)
        home = WebClient(token=fake.bot_token, base_url=fake.api_url)

        assert _user(acme, "U0ADA")["team_id"] == "T0ACME"
        assert _user(acme, "U0PAT")["team_id"] == "T0PART"  # a Slack Connect guest keeps its home workspace
        assert _user(acme, "U0BOT0ACME")["is_bot"] is True
        assert _fails(home, "U0ADA") == "user_not_found"
        assert _fails(home, "U0PAT") == "user_not_found"
        assert _fails(home, "U0BOT0ACME") == "user_not_found"
        with pytest.raises(ValueError, match="unknown team"):
            fake.add_user("U0X", team_id="T0NOBODY")


def test_an_organizations_members_are_seen_from_each_of_its_workspaces() -> None:
    with FakeSlack(strict_users=True) as fake:
        for team in ("T0GRIDA", "T0GRIDB"):
            fake.add_team(team, name=team, domain=team.lower(), enterprise_id="E0ORG", enterprise_name="Org")
        fake.add_user("W0ADA", team_id="T0GRIDA", is_admin=True)
        grid_b = WebClient(token=fake.install_token(team_id="T0GRIDB"), base_url=fake.api_url)

        user = _user(grid_b, "W0ADA")

        assert user["team_id"] == "T0GRIDA"
        assert user["enterprise_user"] == {
            "id": "W0ADA",
            "enterprise_id": "E0ORG",
            "enterprise_name": "Org",
            "is_admin": True,
            "is_owner": False,
            "is_primary_owner": False,
            "teams": ["T0GRIDA"],
        }


def test_users_info_reads_form_or_query_args_only(fake: FakeSlack) -> None:
    answer = httpx.post(
        f"{fake.api_url}users.info",
        json={"user": "U0ALICE"},
        headers={"Authorization": f"Bearer {fake.bot_token}"},
        timeout=5,
    ).json()
    assert answer == {"ok": False, "error": "user_not_found"}
    assert fake.violations == ["users.info: Slack ignores JSON bodies for this method; send form or query args"]

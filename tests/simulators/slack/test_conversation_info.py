"""conversations.info in the fake Slack, as the real slack_sdk WebClient sees it: the conversation object in Slack's
shape, shared with another organization (Slack Connect) or within a Grid organization, and Slack's errors for private
channels, unknown ids and missing scopes."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from simulators.slack import FakeSlack

# The fields of Slack's own example answer for a public channel (docs.slack.dev, conversations.info).
EXAMPLE_FIELDS = {
    "id",
    "name",
    "is_channel",
    "is_group",
    "is_im",
    "is_mpim",
    "is_private",
    "created",
    "is_archived",
    "is_general",
    "unlinked",
    "name_normalized",
    "is_shared",
    "is_frozen",
    "is_org_shared",
    "is_pending_ext_shared",
    "pending_shared",
    "context_team_id",
    "updated",
    "parent_conversation",
    "creator",
    "is_ext_shared",
    "shared_team_ids",
    "pending_connected_team_ids",
    "is_member",
    "topic",
    "purpose",
    "previous_names",
}


def _info(client: WebClient, channel: str, **args: Any) -> dict[str, Any]:
    answer = client.conversations_info(channel=channel, **args)
    assert set(answer.data) == {"ok", "channel"}
    found: dict[str, Any] = answer["channel"]
    return found


def _error(client: WebClient, channel: str) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as err:
        client.conversations_info(channel=channel)
    return dict(err.value.response.data)


def test_a_channel_of_the_workspace_alone_is_not_shared(fake: FakeSlack, client: WebClient) -> None:
    found = _info(client, "C0SALES", include_num_members=True)

    assert set(found) >= EXAMPLE_FIELDS
    assert (found["id"], found["name"], found["is_channel"], found["is_private"]) == ("C0SALES", "sales", True, False)
    assert (found["is_shared"], found["is_ext_shared"], found["is_org_shared"]) == (False, False, False)
    assert found["shared_team_ids"] == [fake.team_id]
    assert (found["context_team_id"], found["is_member"], found["num_members"]) == (fake.team_id, True, 1)
    assert fake.violations == []


def test_a_slack_connect_channel_says_it_is_shared_with_another_organization(
    fake: FakeSlack, client: WebClient
) -> None:
    fake.add_channel("C0PARTNER", "acme-partner", shared_with=["T0PARTNER"])

    found = _info(client, "C0PARTNER")

    assert (found["is_shared"], found["is_ext_shared"], found["is_org_shared"]) == (True, True, False)
    assert found["shared_team_ids"] == [fake.team_id, "T0PARTNER"]
    assert fake.violations == []


def test_a_channel_shared_inside_a_grid_organization_is_org_shared_not_external() -> None:
    with FakeSlack(team_id="T0HOME") as fake:
        fake.add_team("T0SISTER", name="Sister", domain="sister", enterprise_id="E0ORG")
        fake.add_team("T0MAIN", name="Main", domain="main", enterprise_id="E0ORG")
        fake.add_channel("C0ORGWIDE", "org-wide", team_id="T0MAIN", shared_with=["T0SISTER"])
        fake.add_channel("C0BOTH", "both", team_id="T0MAIN", shared_with=["T0SISTER", "T0OUTSIDE"])
        client = WebClient(token=fake.install_token(team_id="T0MAIN"), base_url=fake.api_url)

        org_wide, both = _info(client, "C0ORGWIDE"), _info(client, "C0BOTH")

        assert (org_wide["is_shared"], org_wide["is_org_shared"], org_wide["is_ext_shared"]) == (True, True, False)
        assert (both["is_org_shared"], both["is_ext_shared"]) == (True, True)
        assert both["shared_team_ids"] == ["T0MAIN", "T0SISTER", "T0OUTSIDE"]
        assert fake.violations == []


def test_a_private_channel_the_bot_is_not_in_and_an_unknown_one_are_not_found(
    fake: FakeSlack, client: WebClient
) -> None:
    fake.add_channel("C0SECRET", "secret", private=True, bot_is_member=False)
    fake.add_channel("C0DEALS", "deals", private=True)
    fake.add_channel("C0OPEN", "open", bot_is_member=False)

    assert _error(client, "C0SECRET")["error"] == "channel_not_found"
    assert _error(client, "C0NOWHERE")["error"] == "channel_not_found"
    assert _info(client, "C0DEALS")["is_private"] is True
    assert _info(client, "C0OPEN")["is_member"] is False, "a public channel is read from outside"
    assert fake.violations == []


def test_a_token_without_the_scope_is_told_which_one_it_needs(fake: FakeSlack, client: WebClient) -> None:
    fake.add_channel("C0DEALS", "deals", private=True)
    fake.grant_scopes(fake.team_id, ("commands", "channels:read"))

    assert _info(client, "C0SALES")["id"] == "C0SALES"
    refused = _error(client, "C0DEALS")
    assert (refused["error"], refused["needed"]) == ("missing_scope", "groups:read")

    fake.grant_scopes(fake.team_id, ("commands",))
    assert _error(client, "C0SALES")["error"] == "missing_scope"
    assert fake.violations == []


def test_another_workspaces_channel_is_not_found_and_reported(fake: FakeSlack, client: WebClient) -> None:
    fake.add_team("T0OTHER", name="Other", domain="other")
    fake.add_channel("C0THEIRS", "theirs", team_id="T0OTHER")

    assert _error(client, "C0THEIRS")["error"] == "channel_not_found"
    assert fake.violations == ["conversations.info: used team T0LEADMOVR's token on team T0OTHER's channel C0THEIRS"]

"""Who is an admin of a Slack workspace (bot.access.AccessService): admins and owners are, members, deactivated people,
people of another workspace and people Slack names no workspace for are not, Slack's answer is remembered for ten
minutes (an injected clock), and when Slack cannot say, no one is."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient

from bot.access import RULES_CACHE_SECONDS, AccessService
from bot.workspaces import NotInstalled
from storage.db import Database
from tests.stand_ins import JSON, Clock, SlackStandIn


class SlackUsers(SlackStandIn):
    """The Slack stand-in, also answering users.info from a table of people."""

    def __init__(self, *, team_id: str = "T1") -> None:
        super().__init__(team_id=team_id)
        self.users: dict[str, JSON] = {}

    def person(self, user_id: str, *, team: str = "T1", **flags: Any) -> None:
        self.users[user_id] = {
            "id": user_id,
            "team_id": team,
            "name": user_id.lower(),
            "deleted": False,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_bot": False,
            **flags,
        }

    def _serve(self, method: str, args: JSON) -> JSON:
        if method == "users.info":
            return {"user": self.users[str(args["user"])]}
        return super()._serve(method, args)


@pytest.fixture
def slack() -> SlackUsers:
    return SlackUsers()


@pytest.fixture
def clock() -> Clock:
    return Clock(now=5000.0)


@pytest.fixture
def access(sqlite_db: Database, slack: SlackUsers, clock: Clock) -> AccessService:
    return AccessService(db=sqlite_db, slack=lambda _team_id: slack, clock=clock)


@pytest.mark.parametrize("role", ["is_admin", "is_owner", "is_primary_owner"])
def test_admins_and_owners_are_admins(slack: SlackUsers, access: AccessService, role: str) -> None:
    flags: dict[str, Any] = {role: True}
    slack.person("U1", **flags)
    assert access.is_admin(team_id="T1", user_id="U1")
    [call] = slack.calls_to("users.info")
    assert call.args["user"] == "U1"


def test_a_plain_member_is_not_an_admin(slack: SlackUsers, access: AccessService) -> None:
    slack.person("U1")
    assert not access.is_admin(team_id="T1", user_id="U1")


def test_a_deactivated_admin_is_not_an_admin(slack: SlackUsers, access: AccessService) -> None:
    slack.person("U1", is_admin=True, deleted=True)
    assert not access.is_admin(team_id="T1", user_id="U1")


def test_an_admin_of_another_workspace_is_not_an_admin_here(slack: SlackUsers, access: AccessService) -> None:
    slack.person("U1", team="T2", is_admin=True, is_owner=True)
    assert not access.is_admin(team_id="T1", user_id="U1")


def test_someone_slack_names_no_workspace_for_is_not_a_member(slack: SlackUsers, access: AccessService) -> None:
    slack.person("U1", is_admin=True)
    del slack.users["U1"]["team_id"]

    assert access.person(team_id="T1", user_id="U1").external
    assert not access.is_admin(team_id="T1", user_id="U1")


def test_the_answer_is_remembered_so_slack_is_asked_once(slack: SlackUsers, access: AccessService) -> None:
    slack.person("U1", is_admin=True)
    slack.person("U2")

    for _ in range(3):
        assert access.is_admin(team_id="T1", user_id="U1")
        assert not access.is_admin(team_id="T1", user_id="U2")

    assert [call.args["user"] for call in slack.calls_to("users.info")] == ["U1", "U2"]


def test_a_demotion_shows_once_the_ten_minutes_the_answer_is_remembered_run_out(
    slack: SlackUsers, access: AccessService, clock: Clock
) -> None:
    slack.person("U1", is_admin=True)
    assert access.is_admin(team_id="T1", user_id="U1")

    slack.person("U1")  # demoted in Slack
    clock.now += 599
    assert access.is_admin(team_id="T1", user_id="U1"), "still remembered after 9 min 59 s"
    clock.now += 2
    assert not access.is_admin(team_id="T1", user_id="U1"), "asked again after ten minutes"
    assert len(slack.calls_to("users.info")) == 2


def test_the_same_person_id_in_two_workspaces_is_asked_about_in_each(sqlite_db: Database, clock: Clock) -> None:
    slacks = {"T1": SlackUsers(team_id="T1"), "T2": SlackUsers(team_id="T2")}
    slacks["T1"].person("U1", team="T1", is_admin=True)
    slacks["T2"].person("U1", team="T2")
    access = AccessService(db=sqlite_db, slack=lambda team_id: slacks[team_id], clock=clock)

    assert access.is_admin(team_id="T1", user_id="U1")
    assert not access.is_admin(team_id="T2", user_id="U1")


def test_when_slack_fails_no_one_is_an_admin_and_the_failure_is_not_remembered(
    slack: SlackUsers, access: AccessService
) -> None:
    slack.person("U1", is_admin=True)
    slack.fail("users.info", "user_not_found")

    assert not access.is_admin(team_id="T1", user_id="U1")
    assert access.is_admin(team_id="T1", user_id="U1"), "asked again, and Slack answers this time"


def test_a_rate_limited_lookup_is_not_an_admin(slack: SlackUsers, access: AccessService) -> None:
    slack.person("U1", is_admin=True)
    slack.fail("users.info", "ratelimited", retry_after=30)
    assert not access.is_admin(team_id="T1", user_id="U1")


def test_in_a_workspace_leadmover_is_not_installed_in_no_one_is_an_admin(sqlite_db: Database, clock: Clock) -> None:
    def not_installed(team_id: str) -> WebClient:
        raise NotInstalled(team_id)

    assert not AccessService(db=sqlite_db, slack=not_installed, clock=clock).is_admin(team_id="T9", user_id="U1")


def test_rules_set_by_another_process_count_within_seconds_and_this_ones_at_once(
    sqlite_db: Database, slack: SlackUsers, clock: Clock
) -> None:
    slack.person("U2")
    here = AccessService(db=sqlite_db, slack=lambda _team_id: slack, clock=clock)
    there = AccessService(db=sqlite_db, slack=lambda _team_id: slack, clock=clock)
    assert here.refusal_to_move(team_id="T1", user_id="U2") is None

    there.deny(team_id="T1", subject_id="U2", by="UADMIN")
    assert here.refusal_to_move(team_id="T1", user_id="U2") is None, "the rules read a moment ago still stand"
    clock.now += RULES_CACHE_SECONDS
    assert "removed your access" in (here.refusal_to_move(team_id="T1", user_id="U2") or "")

    here.allow(team_id="T1", subject_id="U2", by="UADMIN")
    assert here.refusal_to_move(team_id="T1", user_id="U2") is None, "this process's own change counts at once"

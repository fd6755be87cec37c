"""Who may move leads, and who may approve big moves (bot.access.AccessService over the Slack stand-in and a real
SQLite database): every full member while no one in particular is allowed; guests and people of other organisations
never (a Grid person of the same org is not external); once someone is allowed, only the allowed, by person, user
group (its members remembered for a while) or LEADMOVER_ALLOWED_USERS; a deny beats an allow; admins always; when
Slack cannot say, no one (and the words say to try again). Approving: never the requester, else approvers and admins.
allow and deny are written to the audit log, and deny hands the people it concerns to on_denied."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.access import GROUP_CACHE_SECONDS, AccessService
from bot.workspaces import NotInstalled
from storage import access_rules, audit, workspaces
from storage.access_rules import Effect
from storage.db import Database
from tests.stand_ins import Clock, SlackStandIn


@pytest.fixture
def slack() -> SlackStandIn:
    return SlackStandIn(team_id="T1")


@pytest.fixture
def clock() -> Clock:
    return Clock(now=1000.0)


@pytest.fixture
def denied() -> list[tuple[str, set[str]]]:
    return []


def _access(
    db: Database,
    slack: SlackStandIn,
    clock: Clock,
    *,
    denied: list[tuple[str, set[str]]] | None = None,
    admins: Iterable[str] = (),
    allowed: Iterable[str] = (),
    approvers: Iterable[str] = (),
) -> AccessService:
    calls = denied if denied is not None else []
    return AccessService(
        db=db,
        slack=lambda _team_id: slack,
        admins=admins,
        allowed=allowed,
        approvers=approvers,
        on_denied=lambda team_id, user_ids: calls.append((team_id, set(user_ids))),
        clock=clock,
    )


@pytest.fixture
def access(sqlite_db: Database, slack: SlackStandIn, clock: Clock, denied: list[tuple[str, set[str]]]) -> AccessService:
    return _access(sqlite_db, slack, clock, denied=denied)


def _may_move(access: AccessService, user_id: str, team_id: str = "T1") -> bool:
    return access.refusal_to_move(team_id=team_id, user_id=user_id) is None


def _refusal(access: AccessService, user_id: str) -> str:
    refusal = access.refusal_to_move(team_id="T1", user_id=user_id)
    assert refusal is not None, f"{user_id} was let move"
    return refusal


# --- who Slack says they are --------------------------------------------------------------------------------------


def test_with_no_one_allowed_in_particular_every_full_member_may_move(access: AccessService) -> None:
    assert _may_move(access, "U1")
    assert _may_move(access, "U2")


@pytest.mark.parametrize("kind", ["is_restricted", "is_ultra_restricted"])
def test_a_guest_is_refused_with_words_naming_who_can_grant_access(
    sqlite_db: Database, slack: SlackStandIn, clock: Clock, kind: str
) -> None:
    slack.people["UGUEST"] = {kind: True}
    access = _access(sqlite_db, slack, clock, admins=["UADMIN"])

    refusal = _refusal(access, "UGUEST")

    assert "Guests cannot move leads" in refusal
    assert "workspace admin decides who is a full member" in refusal
    assert "/leads allow" not in refusal, "allowing a guest would change nothing"


def test_a_guest_is_refused_even_when_allowed_by_name(access: AccessService, slack: SlackStandIn) -> None:
    slack.people["UGUEST"] = {"is_restricted": True}
    access.allow(team_id="T1", subject_id="UGUEST", by="UADMIN")

    assert "Guests" in _refusal(access, "UGUEST")


def test_a_person_of_another_organisation_is_refused(access: AccessService, slack: SlackStandIn) -> None:
    slack.people["UEXT"] = {"team_id": "TOTHER"}

    refusal = _refusal(access, "UEXT")

    assert "other organisations" in refusal
    assert "/leads allow" not in refusal, "allowing an outsider would change nothing"


def test_an_outside_admin_is_refused_too(access: AccessService, slack: SlackStandIn) -> None:
    slack.people["UEXT"] = {"team_id": "TOTHER", "is_admin": True, "is_owner": True}

    assert "other organisations" in _refusal(access, "UEXT")


def test_a_grid_person_of_the_same_org_from_another_workspace_is_not_external(
    sqlite_db: Database, access: AccessService, slack: SlackStandIn
) -> None:
    workspaces.note_enterprise(sqlite_db, team_id="T1", enterprise_id="E1")
    slack.people["UGRID"] = {"team_id": "T2", "enterprise_user": {"enterprise_id": "E1", "teams": ["T1", "T2"]}}

    assert _may_move(access, "UGRID")


@pytest.mark.parametrize(
    ("org_of_workspace", "org_of_person"),
    [("E1", "E2"), (None, "E1"), ("E1", None)],
    ids=["another org", "workspace in no org", "person in no org"],
)
def test_a_person_of_another_workspace_outside_the_org_is_external(
    sqlite_db: Database,
    access: AccessService,
    slack: SlackStandIn,
    org_of_workspace: str | None,
    org_of_person: str | None,
) -> None:
    workspaces.note_enterprise(sqlite_db, team_id="T1", enterprise_id=org_of_workspace)
    person: dict[str, Any] = {"team_id": "T2"}
    if org_of_person is not None:
        person["enterprise_user"] = {"enterprise_id": org_of_person}
    slack.people["UEXT"] = person

    assert "other organisations" in _refusal(access, "UEXT")


# --- the allowlist ------------------------------------------------------------------------------------------------


def test_once_one_person_is_allowed_only_they_may_move(access: AccessService) -> None:
    access.allow(team_id="T1", subject_id="U1", by="UADMIN")

    assert _may_move(access, "U1")
    refusal = _refusal(access, "U2")
    assert "Only the people on this workspace's leadmover list" in refusal
    assert "/leads allow" in refusal


def test_an_allowlist_in_one_workspace_leaves_another_open(sqlite_db: Database, clock: Clock) -> None:
    slacks = {team: SlackStandIn(team_id=team) for team in ("T1", "T2")}  # U2 is a member of both
    access = AccessService(db=sqlite_db, slack=lambda team_id: slacks[team_id], clock=clock)
    access.allow(team_id="T1", subject_id="U1", by="UADMIN")

    assert not _may_move(access, "U2", team_id="T1")
    assert _may_move(access, "U2", team_id="T2")


def test_members_of_an_allowed_user_group_may_move(access: AccessService, slack: SlackStandIn) -> None:
    slack.usergroups["SOPS"] = ["U2", "U3"]
    access.allow(team_id="T1", subject_id="SOPS", by="UADMIN")

    assert _may_move(access, "U2")
    assert _may_move(access, "U3")
    assert not _may_move(access, "U4")
    [call] = slack.calls_to("usergroups.users.list")
    assert call.args["usergroup"] == "SOPS"


def test_a_groups_members_are_remembered_for_a_while_then_asked_again(
    access: AccessService, slack: SlackStandIn, clock: Clock
) -> None:
    slack.usergroups["SOPS"] = ["U2"]
    access.allow(team_id="T1", subject_id="SOPS", by="UADMIN")
    assert _may_move(access, "U2")

    slack.usergroups["SOPS"] = ["U3"]  # U2 leaves the group in Slack
    clock.now += GROUP_CACHE_SECONDS - 1
    assert _may_move(access, "U2"), "still remembered"
    assert len(slack.calls_to("usergroups.users.list")) == 1, "Slack was not asked again"

    clock.now += 2
    assert not _may_move(access, "U2"), "asked again once the time is up"
    assert _may_move(access, "U3")
    assert len(slack.calls_to("usergroups.users.list")) == 2


def test_a_denied_person_is_refused_though_their_group_is_allowed(access: AccessService, slack: SlackStandIn) -> None:
    slack.usergroups["SOPS"] = ["U2", "U3"]
    access.allow(team_id="T1", subject_id="SOPS", by="UADMIN")
    access.deny(team_id="T1", subject_id="U2", by="UADMIN")

    refusal = _refusal(access, "U2")
    assert "removed your access" in refusal
    assert _may_move(access, "U3")


def test_a_denied_group_is_refused_though_its_member_is_allowed_by_name(
    access: AccessService, slack: SlackStandIn
) -> None:
    slack.usergroups["SBAD"] = ["U2"]
    access.allow(team_id="T1", subject_id="U2", by="UADMIN")
    access.deny(team_id="T1", subject_id="SBAD", by="UADMIN")

    assert "removed your access" in _refusal(access, "U2")


def test_a_denied_person_is_refused_while_everyone_else_may_move(access: AccessService) -> None:
    access.deny(team_id="T1", subject_id="U2", by="UADMIN")

    assert "removed your access" in _refusal(access, "U2")
    assert _may_move(access, "U3")


def test_allowing_a_denied_person_again_lets_them_move(access: AccessService) -> None:
    access.deny(team_id="T1", subject_id="U2", by="UADMIN")
    access.allow(team_id="T1", subject_id="U2", by="UADMIN")

    assert _may_move(access, "U2")


def test_the_allowed_users_setting_is_an_allowlist_in_every_workspace(
    sqlite_db: Database, slack: SlackStandIn, clock: Clock
) -> None:
    slack.usergroups["SOPS"] = ["U7"]
    access = _access(sqlite_db, slack, clock, allowed=["U5", "SOPS"])

    assert access.access_list(team_id="T1").restricted
    assert _may_move(access, "U5")
    assert _may_move(access, "U7"), "a group in the setting lets its members move"
    assert "Only the people" in _refusal(access, "U6")
    assert not _may_move(access, "U6", team_id="T2")


def test_the_allowed_users_setting_does_not_beat_a_deny(sqlite_db: Database, slack: SlackStandIn, clock: Clock) -> None:
    access = _access(sqlite_db, slack, clock, allowed=["U5"])
    access.deny(team_id="T1", subject_id="U5", by="UADMIN")

    assert "removed your access" in _refusal(access, "U5")


# --- admins ----------------------------------------------------------------------------------------------------


def test_admins_from_the_settings_are_admins_and_may_move_without_asking_slack(
    sqlite_db: Database, slack: SlackStandIn, clock: Clock
) -> None:
    access = _access(sqlite_db, slack, clock, admins=["UADMIN"])
    access.allow(team_id="T1", subject_id="U1", by="UADMIN")
    access.deny(team_id="T1", subject_id="UADMIN", by="UOTHER")

    assert access.is_admin(team_id="T1", user_id="UADMIN")
    assert _may_move(access, "UADMIN")
    assert slack.calls_to("users.info") == []


@pytest.mark.parametrize("role", ["is_admin", "is_owner", "is_primary_owner"])
def test_slack_admins_may_always_move(access: AccessService, slack: SlackStandIn, role: str) -> None:
    slack.people["UBOSS"] = {role: True}
    access.allow(team_id="T1", subject_id="U1", by="UADMIN")

    assert _may_move(access, "UBOSS"), "not on the list, but a Slack admin"


# --- when Slack cannot say -------------------------------------------------------------------------------------


@pytest.mark.parametrize("error", ["user_not_found", "ratelimited", "internal_error"])
def test_when_slack_cannot_say_who_someone_is_they_are_refused_and_told_to_try_again(
    access: AccessService, slack: SlackStandIn, error: str
) -> None:
    slack.fail("users.info", error)

    refusal = _refusal(access, "U1")

    assert "try again" in refusal
    assert _may_move(access, "U1"), "the failure is not remembered"


def test_in_a_workspace_leadmover_is_not_installed_in_no_one_may_move(sqlite_db: Database, clock: Clock) -> None:
    def not_installed(team_id: str) -> WebClient:
        raise NotInstalled(team_id)

    access = AccessService(db=sqlite_db, slack=not_installed, clock=clock)

    assert "try again" in (access.refusal_to_move(team_id="T9", user_id="U1") or "")


def test_a_member_of_a_denied_group_is_refused_when_slack_cannot_list_the_group(
    access: AccessService, slack: SlackStandIn, clock: Clock
) -> None:
    slack.usergroups["SBAD"] = ["U2"]
    access.deny(team_id="T1", subject_id="SBAD", by="UADMIN")
    clock.now += GROUP_CACHE_SECONDS + 1  # what deny read of the group is forgotten
    slack.fail("usergroups.users.list", "ratelimited")

    refusal = _refusal(access, "U2")
    assert "try again" in refusal


def test_a_member_of_an_allowed_group_is_told_to_try_again_when_slack_cannot_list_the_group(
    access: AccessService, slack: SlackStandIn
) -> None:
    slack.usergroups["SOPS"] = ["U2"]
    access.allow(team_id="T1", subject_id="SOPS", by="UADMIN")
    slack.fail("usergroups.users.list", "ratelimited")

    assert "try again" in _refusal(access, "U2")


# --- approving ---------------------------------------------------------------------------------------------------


def test_the_requester_may_never_approve_their_own_move_not_even_an_admin(
    sqlite_db: Database, slack: SlackStandIn, clock: Clock
) -> None:
    slack.people["UBOSS"] = {"is_admin": True}
    access = _access(sqlite_db, slack, clock, admins=["UADMIN"], approvers=["UAPP"])

    for person in ("UADMIN", "UBOSS", "UAPP", "U1"):
        refusal = access.refusal_to_approve(team_id="T1", user_id=person, requester_id=person)
        assert refusal is not None
        assert "someone else must approve" in refusal


def test_approvers_by_id_and_by_group_and_admins_may_approve_and_no_one_else(
    sqlite_db: Database, slack: SlackStandIn, clock: Clock
) -> None:
    slack.people["UBOSS"] = {"is_owner": True}
    slack.usergroups["SAPP"] = ["UGROUPED"]
    access = _access(sqlite_db, slack, clock, admins=["UADMIN"], approvers=["UAPP", "SAPP"])

    def may_approve(person: str) -> bool:
        return access.refusal_to_approve(team_id="T1", user_id=person, requester_id="U1") is None

    assert may_approve("UAPP"), "an approver by id"
    assert may_approve("UGROUPED"), "a member of an approvers' group"
    assert may_approve("UADMIN"), "an admin from the settings"
    assert may_approve("UBOSS"), "a Slack owner"
    assert not may_approve("U2")
    refusal = access.refusal_to_approve(team_id="T1", user_id="U2", requester_id="U1")
    assert refusal is not None
    assert "admins and the approvers" in refusal


def test_an_outside_admin_may_not_approve(access: AccessService, slack: SlackStandIn) -> None:
    slack.people["UEXT"] = {"team_id": "TOTHER", "is_admin": True}

    assert access.refusal_to_approve(team_id="T1", user_id="UEXT", requester_id="U1") is not None


# --- changing the rules ------------------------------------------------------------------------------------------


def test_allowing_is_stored_and_written_to_the_audit_log(sqlite_db: Database, access: AccessService) -> None:
    access.allow(team_id="T1", subject_id="SOPS", by="UADMIN")

    assert [(r.subject_id, r.effect, r.set_by) for r in access_rules.rules(sqlite_db, team_id="T1")] == [
        ("SOPS", Effect.ALLOW, "UADMIN")
    ]
    [entry] = audit.entries(sqlite_db)
    assert (entry.team_id, entry.user_id, entry.action, entry.detail, entry.outcome) == (
        "T1",
        "UADMIN",
        "allow",
        {"subject": "SOPS"},
        "allowed",
    )


def test_denying_a_person_hands_them_to_on_denied_and_is_written_to_the_audit_log(
    sqlite_db: Database, access: AccessService, denied: list[tuple[str, set[str]]]
) -> None:
    access.deny(team_id="T1", subject_id="U2", by="UADMIN")

    assert denied == [("T1", {"U2"})]
    [entry] = audit.entries(sqlite_db)
    assert (entry.team_id, entry.user_id, entry.action, entry.detail, entry.outcome) == (
        "T1",
        "UADMIN",
        "deny",
        {"subject": "U2"},
        "denied",
    )


def test_denying_a_group_hands_its_members_to_on_denied(
    access: AccessService, slack: SlackStandIn, denied: list[tuple[str, set[str]]]
) -> None:
    slack.usergroups["SOPS"] = ["U2", "U3"]

    access.deny(team_id="T1", subject_id="SOPS", by="UADMIN")

    assert denied == [("T1", {"U2", "U3"})]

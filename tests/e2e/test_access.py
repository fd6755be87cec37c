"""Who may move leads, end to end over signed HTTP: full members while no one in particular is allowed, then only the
allowed people and groups; guests, people from other organisations and denied people never; admins manage the list
and read the audit log; everyone sees only their own jobs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.local_stack import DemoWorkspace, LocalStack, local_stack, seed
from handlers import ids
from tests.e2e.flows import pick, submit_move

TEAM = "T0LEADMOVR"
ADMIN, ALICE, BOB, CAROL, GUEST, STRANGER = "U0ADMIN", "U0ALICE", "U0BOB", "U0CAROL", "U0GUEST", "U0STRANGER"
SALES_OPS = "S0SALESOPS"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    with local_stack(database_url=f"sqlite:///{tmp_path / 'access.db'}", leadmover_admins="U0OPERATOR") as running:
        slack = running.slack
        slack.add_user(ADMIN, is_admin=True)
        for person in (ALICE, BOB, CAROL, "U0OPERATOR"):
            slack.add_user(person)
        slack.add_user(GUEST, is_restricted=True)
        slack.add_team("T0OTHERORG", name="Other Org", domain="other")
        slack.add_user(STRANGER, team_id="T0OTHERORG", shared_with=(TEAM,))
        slack.add_usergroup(SALES_OPS, handle="sales-ops", users=[CAROL])
        yield running
        assert running.slack.violations == []
        assert running.instantly.violations == []


@pytest.fixture
def workspace(stack: LocalStack) -> DemoWorkspace:
    return seed(stack.instantly)


def said(stack: LocalStack, user: str, text: str) -> str:
    """What `user` is told in answer to `/leads <text>`: the ack's text, or the message that followed."""
    before = len(stack.slack.responses)
    response = stack.slack.send_command(stack.app_url, text=text, user_id=user)
    assert response.status == 200
    body = response.json() if response.body.strip().startswith("{") else {}
    if body.get("text"):
        return str(body["text"])
    assert stack.slack.wait_for(lambda: len(stack.slack.responses) > before, timeout=5), f"no answer to {text!r}"
    return str(stack.slack.responses[-1].get("text", ""))


def opens_modal(stack: LocalStack, user: str) -> bool:
    """Whether `/leads move` opens the form for `user`; a refusal is an answer in words instead."""
    trigger = stack.slack.issue_trigger_id()
    answers = len(stack.slack.responses)
    acked = stack.slack.send_command(stack.app_url, text="move", user_id=user, trigger_id=trigger).json() or {}
    opened = stack.slack.wait_for(
        lambda: (
            stack.slack.view_opened_by(trigger) is not None
            or bool(acked.get("text"))
            or len(stack.slack.responses) > answers
        ),
        timeout=5,
    )
    assert opened, "neither the form nor an answer came"
    return stack.slack.view_opened_by(trigger) is not None


def test_while_no_one_is_allowed_every_full_member_may_move_and_help_says_how_to_restrict(stack: LocalStack) -> None:
    assert opens_modal(stack, ALICE)
    help_text = said(stack, ALICE, "help")
    assert "Every full member" in help_text
    assert "/leads allow" in help_text


def test_guests_and_people_from_other_organisations_are_refused_and_told_who_can_help(stack: LocalStack) -> None:
    for person, words, who in (
        (GUEST, "Guests", "workspace admin decides"),
        (STRANGER, "other organisations", "someone in the workspace"),
    ):
        refusal = said(stack, person, "move")
        assert words in refusal
        assert who in refusal
    assert stack.slack.opened_views() == []
    assert stack.instantly.request_count == 0


def test_the_pickers_are_refused_too_and_ask_instantly_nothing(stack: LocalStack, workspace: DemoWorkspace) -> None:
    trigger = stack.slack.issue_trigger_id()
    stack.slack.send_command(stack.app_url, text="move", user_id=ALICE, trigger_id=trigger)
    assert stack.slack.wait_for(lambda: stack.slack.view_opened_by(trigger) is not None, timeout=5)
    view = stack.slack.view_opened_by(trigger)
    assert view is not None
    before = stack.instantly.request_count
    answer = stack.slack.load_options(
        stack.app_url, view_id=view["id"], action_id=ids.SOURCE, value="acme", user_id=GUEST
    )
    found = answer.json()
    options = [o for group in found.get("option_groups", []) for o in group["options"]] + found.get("options", [])
    assert [o["value"] for o in options] == [ids.UNAVAILABLE]
    assert "may not move leads" in options[0]["text"]["text"]
    assert stack.instantly.request_count == before


def test_once_admins_allow_people_and_groups_only_they_may_move(stack: LocalStack, workspace: DemoWorkspace) -> None:
    slack = stack.slack
    assert "may now move" in said(stack, ADMIN, f"allow {slack.mention(BOB)} {slack.group_mention(SALES_OPS)}")
    assert "Only the people on this workspace's leadmover list" in said(stack, ALICE, "move")
    assert opens_modal(stack, BOB)
    assert opens_modal(stack, CAROL)  # through @sales-ops
    assert opens_modal(stack, ADMIN)
    listed = said(stack, ADMIN, "access")
    assert f"<@{BOB}>" in listed
    assert f"<!subteam^{SALES_OPS}>" in listed


def test_only_admins_manage_the_list_and_a_name_slack_did_not_link_is_explained(stack: LocalStack) -> None:
    assert "Only leadmover admins" in said(stack, ALICE, f"allow {stack.slack.mention(ALICE)}")
    assert "could not tell who" in said(stack, ADMIN, "allow @bob")
    assert "may now move" in said(stack, "U0OPERATOR", f"allow {stack.slack.mention(BOB)}")  # LEADMOVER_ADMINS


def test_a_denied_person_is_refused_even_while_their_group_is_allowed(stack: LocalStack) -> None:
    slack = stack.slack
    said(stack, ADMIN, f"allow {slack.group_mention(SALES_OPS)}")
    assert "may no longer move" in said(stack, ADMIN, f"deny {slack.mention(CAROL)}")
    assert "removed your access" in said(stack, CAROL, "move")


def test_a_submission_by_someone_refused_meanwhile_is_refused_in_the_form(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    trigger = stack.slack.issue_trigger_id()
    stack.slack.send_command(stack.app_url, text="move", user_id=ALICE, trigger_id=trigger)
    assert stack.slack.wait_for(lambda: stack.slack.view_opened_by(trigger) is not None, timeout=5)
    view = stack.slack.view_opened_by(trigger)
    assert view is not None
    values = {
        ids.SOURCE: pick(stack, view, ids.SOURCE, "acme q1", "Acme Q1 outbound"),
        ids.DESTINATION: pick(stack, view, ids.DESTINATION, "warm", "Acme warm leads"),
    }
    said(stack, ADMIN, f"deny {stack.slack.mention(ALICE)}")
    answer = stack.slack.submit_view(stack.app_url, view_id=view["id"], values=values, user_id=ALICE).json()
    assert answer["response_action"] == "errors"
    assert "removed your access" in answer["errors"][ids.SOURCE]
    assert stack.instantly.move_bodies() == []


def _move(stack: LocalStack, user: str) -> None:
    trigger = stack.slack.issue_trigger_id()
    stack.slack.send_command(stack.app_url, text="move", user_id=user, trigger_id=trigger)
    assert stack.slack.wait_for(lambda: stack.slack.view_opened_by(trigger) is not None, timeout=5)
    view = stack.slack.view_opened_by(trigger)
    assert view is not None
    values = {
        ids.SOURCE: pick(stack, view, ids.SOURCE, "acme q1", "Acme Q1 outbound"),
        ids.DESTINATION: pick(stack, view, ids.DESTINATION, "warm", "Acme warm leads"),
    }
    submit_move(stack.slack, stack.app_url, view_id=view["id"], values=values, user_id=user)
    assert stack.slack.wait_for(lambda: _jobs(stack, user) != [], timeout=10)


def _jobs(stack: LocalStack, user: str) -> list[Any]:
    return stack.services.moves.recent_jobs(team_id=TEAM, user_id=user, limit=5)


def test_people_see_their_own_jobs_and_admins_see_everyones(stack: LocalStack, workspace: DemoWorkspace) -> None:
    _move(stack, ALICE)
    job = _jobs(stack, ALICE)[0]
    assert stack.slack.wait_for(lambda: _jobs(stack, ALICE)[0].instantly_job_id is not None, timeout=10)
    instantly_id = _jobs(stack, ALICE)[0].instantly_job_id
    for reference in (str(job.id), str(instantly_id)):
        assert "found no job" in said(stack, BOB, f"status {reference}")
        assert "found no job" not in said(stack, ALICE, f"status {reference}")
        assert "found no job" not in said(stack, ADMIN, f"status {reference}")
    assert f"Job #{job.id} " not in said(stack, BOB, "jobs")
    everyones = said(stack, ADMIN, "jobs")
    assert everyones.startswith("Recent jobs in this workspace:"), "an admin's list says whose it is"
    assert f"Job #{job.id} " in everyones


def test_admins_read_the_latest_audit_entries_and_no_one_else_may(stack: LocalStack, workspace: DemoWorkspace) -> None:
    said(stack, ADMIN, f"allow {stack.slack.mention(ALICE)}")
    _move(stack, ALICE)
    assert stack.slack.wait_for(lambda: _jobs(stack, ALICE)[0].instantly_job_id is not None, timeout=10)
    log = said(stack, ADMIN, "audit")
    assert "*allow*" in log
    assert "*move*" in log
    assert str(_jobs(stack, ALICE)[0].instantly_job_id) in log
    assert "Only leadmover admins" in said(stack, ALICE, "audit")
    exported = json.loads(stack.services.audit.export(team_id=TEAM))
    assert {entry["action"] for entry in exported} >= {"allow", "move"}


def test_help_shows_each_person_what_they_may_do_here(stack: LocalStack) -> None:
    member, admin, guest = said(stack, ALICE, "help"), said(stack, ADMIN, "help"), said(stack, GUEST, "help")
    assert "You may move and copy leads here" in member
    assert "/leads audit" not in member
    assert "You are a leadmover admin here" in admin
    assert "/leads audit" in admin
    assert "You may not move leads here" in guest
    assert "Guests" in guest
    said(stack, ADMIN, f"allow {stack.slack.mention(BOB)}")
    assert "You may not move leads here" in said(stack, ALICE, "help")
    assert "Only admins and the people on this workspace's list" in said(stack, BOB, "help")

"""Listeners reach the services through Bolt's context, put there by a middleware, never through a global; and the
workspace a request acts in is the one Bolt authorized: the token's own (a single token's auth.test, or the
workspace's install), or for an org-wide install the workspace the payload names, only while the org may speak for
it. A team, org or is_enterprise_install the payload names never decides."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from slack_bolt import BoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.response import BoltResponse

from bot.services import Services
from handlers.context import NOT_COVERED, provide, services_of, team_and_user
from storage import installations, workspaces
from storage.db import Database
from tests.bolt_requests import TEAM, USER, SlackSends, answer
from tests.factories import running_job

COMMAND = {"command": "/leads", "team_id": "T9", "enterprise_id": "E9"}


def _through(services: Services, context: BoltContext, body: dict[str, Any] | None = None) -> BoltResponse | None:
    """Run the middleware as Bolt does after its authorization; None once it went on to the listeners."""
    middleware: Callable[..., BoltResponse | None] = provide(services)
    return middleware(context=context, body=body if body is not None else COMMAND, next=lambda: None)


def _authorized(*, team: str | None, org: str | None, payload_team: str = "T9", payload_org: str = "E9") -> BoltContext:
    """A context as Bolt leaves it: the payload's team and org, and what its authorization found."""
    context = BoltContext(team_id=payload_team, enterprise_id=payload_org, user_id="U1")
    context.set_authorize_result(AuthorizeResult(enterprise_id=org, team_id=team, bot_token="xoxb-1", bot_id="B1"))
    return context


def test_the_middleware_puts_the_services_in_the_context_and_goes_on(services: Services) -> None:
    context = _authorized(team="T1", org=None)

    assert _through(services, context) is None
    assert services_of(context) is services


def test_a_context_without_services_is_a_bug_said_plainly() -> None:
    with pytest.raises(KeyError):
        services_of(BoltContext())


def test_the_tokens_workspace_and_org_act_whatever_the_payload_names(services: Services, sqlite_db: Database) -> None:
    context = _authorized(team="T1", org="E1", payload_team="T9", payload_org="E9")

    assert _through(services, context) is None

    assert (context.team_id, context.enterprise_id) == ("T1", "E1")
    assert workspaces.enterprise_of(sqlite_db, team_id="T1") == "E1", "learned from Slack's authorization"
    assert workspaces.enterprise_of(sqlite_db, team_id="T9") is None


def test_the_team_and_person_of_a_payload_are_the_authorized_team_and_whoever_acted(services: Services) -> None:
    context = _authorized(team="T1", org=None)
    _through(services, context)
    payload = {"team": {"id": "T9"}, "view": {"team_id": "T8"}, "user": {"id": "U2", "team_id": "T7"}}

    assert team_and_user(payload, context) == ("T1", "U2")
    assert team_and_user({}, context) == ("T1", "U1")


def test_a_command_naming_another_team_lists_the_tokens_workspace_jobs(sends: SlackSends, sqlite_db: Database) -> None:
    here = running_job(sqlite_db, "a" * 24, team=TEAM, user=USER)
    running_job(sqlite_db, "b" * 24, team="T9", user=USER)

    text = answer(sends.command("jobs", team_id="T9"))["text"]

    assert f"Job #{here.id} " in text
    assert text.count("• Job #") == 1


# --- an org-wide install ----------------------------------------------------------------------------------------


def test_an_org_wide_install_acts_in_the_workspace_the_payload_names_and_learns_its_org(
    services: Services, sqlite_db: Database
) -> None:
    context = _authorized(team=None, org="E1", payload_team="T5", payload_org="E1")

    assert _through(services, context) is None

    assert (context.team_id, context.enterprise_id) == ("T5", "E1")
    assert workspaces.enterprise_of(sqlite_db, team_id="T5") == "E1"


def test_an_org_never_speaks_for_a_workspace_known_to_be_another_orgs(services: Services, sqlite_db: Database) -> None:
    workspaces.note_enterprise(sqlite_db, team_id="T5", enterprise_id="E2")
    context = _authorized(team=None, org="E1", payload_team="T5", payload_org="E1")

    refused = _through(services, context)

    assert refused is not None
    assert NOT_COVERED in refused.body
    assert workspaces.enterprise_of(sqlite_db, team_id="T5") == "E2", "what was known stays"


def test_an_org_never_speaks_for_a_workspace_with_an_install_of_its_own(
    services: Services, sqlite_db: Database
) -> None:
    installations.save(
        sqlite_db,
        enterprise_id="",
        team_id="T5",
        is_enterprise_install=False,
        installer_user_id="U1",
        sealed="sealed-own-install",
        token_expires_at=None,
    )
    context = _authorized(team=None, org="E1", payload_team="T5", payload_org="E1")

    refused = _through(services, context, body={"type": "block_actions"})

    assert refused is not None
    assert (refused.status, refused.body) == (200, "")
    assert workspaces.enterprise_of(sqlite_db, team_id="T5") is None


def test_an_uninstall_event_authorizes_no_token_and_goes_on_as_slack_named_it(services: Services) -> None:
    context = BoltContext(enterprise_id="E1", team_id=None)
    context.set_authorize_result(AuthorizeResult(enterprise_id="E1", team_id=None))

    assert _through(services, context, body={"type": "event_callback"}) is None
    assert (context.team_id, context.enterprise_id) == (None, "E1")

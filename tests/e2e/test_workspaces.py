"""Many workspaces, end to end: two Slack workspaces install leadmover through the real OAuth flow and connect their
own Instantly keys, and nothing of one ever reaches the other. On SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select

from app.local_stack import LocalStack, local_stack
from handlers import ids
from storage.db import Database
from tests.e2e.tenants import Tenant, command_answer, connect, final_replies, install_tenant, move, offered, open_move

ACME, GLOBEX = "T0ACME", "T0GLOBEX"
KEY_ACME, KEY_GLOBEX = "ka-acme-instantly-key-0001", "kb-globex-instantly-key-0002"


@dataclass(frozen=True)
class TwoWorkspaces:
    stack: LocalStack
    acme: Tenant
    globex: Tenant


@pytest.fixture
def two(database_url: str) -> Iterator[TwoWorkspaces]:
    with local_stack(database_url=database_url, oauth=True) as stack:
        acme = install_tenant(stack, ACME, "Acme Corp", KEY_ACME, "Acme Q1 outbound", "Acme parked")
        globex = install_tenant(stack, GLOBEX, "Globex Inc", KEY_GLOBEX, "Globex renewals", "Globex parked")
        assert connect(stack, acme).json()["response_action"] == "update"
        assert connect(stack, globex).json()["response_action"] == "update"
        yield TwoWorkspaces(stack, acme, globex)
        assert stack.slack.violations == []
        assert stack.instantly.violations == []


def test_connecting_names_the_instantly_workspace_the_key_reaches(two: TwoWorkspaces) -> None:
    answer = connect(two.stack, two.acme)
    shown = str(answer.json()["view"])
    assert "Acme Corp Outreach" in shown
    assert "leads:update" in shown  # what could not be checked is said


def test_pickers_offer_only_the_workspaces_own_campaigns(two: TwoWorkspaces) -> None:
    for tenant, other in ((two.acme, two.globex), (two.globex, two.acme)):
        labels = [o["text"]["text"] for o in offered(two.stack, tenant, open_move(two.stack, tenant))]
        assert tenant.campaign in labels
        assert other.campaign not in labels
        assert other.destination not in labels


def test_moves_reach_instantly_with_the_workspaces_own_key_only(two: TwoWorkspaces) -> None:
    move(two.stack, two.acme)
    move(two.stack, two.globex)
    assert len(two.acme.instantly.move_bodies()) == len(two.globex.instantly.move_bodies()) == 1
    for tenant in (two.acme, two.globex):
        answered_for = {r.workspace_id for r in two.stack.instantly.requests_with_key(tenant.api_key)}
        assert answered_for == {tenant.instantly.workspace_id}
    assert two.stack.instantly.requests_with_key("instantly-test-key") == []  # no default key in this mode
    assert "completed" in final_replies(two.stack, two.acme)[0]


def test_jobs_and_status_never_show_another_workspaces_job(two: TwoWorkspaces) -> None:
    move(two.stack, two.globex)
    globex_job = two.stack.services.moves.recent_jobs(team_id=GLOBEX, user_id=two.globex.admin, limit=1)[0]
    instantly_id = str(globex_job.instantly_job_id)
    assert instantly_id in command_answer(two.stack, two.globex, f"status {globex_job.id}")
    by_number = command_answer(two.stack, two.acme, f"status {globex_job.id}")
    by_instantly_id = command_answer(two.stack, two.acme, f"status {instantly_id}")
    listed = command_answer(two.stack, two.acme, "jobs")
    for answer in (by_number, listed):
        assert instantly_id not in answer
    assert "found no job" in by_number
    assert "found no job" in by_instantly_id


def test_uninstalling_one_workspace_leaves_the_other_working(two: TwoWorkspaces) -> None:
    stack = two.stack
    assert stack.slack.uninstall(stack.app_url, team_id=GLOBEX).status == 200
    refused = command_answer(stack, two.globex, "move")
    assert "not installed" in refused
    move(stack, two.acme)
    assert "completed" in final_replies(stack, two.acme)[0]
    assert stack.services.connections.current(GLOBEX) is None


def test_a_revoked_instantly_key_leaves_the_other_workspace_working(two: TwoWorkspaces) -> None:
    stack = two.stack
    stack.instantly.revoke_key(KEY_GLOBEX)
    view = open_move(stack, two.globex)
    assert [o["value"] for o in offered(stack, two.globex, view)] == [ids.UNAVAILABLE]
    move(stack, two.acme)
    assert "completed" in final_replies(stack, two.acme)[0]


def test_a_signed_request_from_a_team_without_an_installation_is_refused_in_words(two: TwoWorkspaces) -> None:
    stack = two.stack
    stack.slack.add_team("T0NOBODY", name="Nobody", domain="nobody")
    before = stack.instantly.request_count
    response = stack.slack.send_command(stack.app_url, text="move", team_id="T0NOBODY", user_id="U0NOBODY")
    assert response.status == 200
    assert stack.slack.wait_for(lambda: stack.slack.responses != [], timeout=5)
    assert "not installed" in str(stack.slack.responses[-1].get("text"))
    assert stack.instantly.request_count == before
    assert stack.slack.opened_views() == [] or all(v.get("team_id") != "T0NOBODY" for v in stack.slack.opened_views())


def test_only_admins_connect_and_a_bad_key_is_named_in_the_form(two: TwoWorkspaces) -> None:
    stack = two.stack
    rep = Tenant(ACME, "U0ACMEREP", two.acme.channel, KEY_ACME, two.acme.instantly, "", "")
    stack.slack.send_command(stack.app_url, text="connect", team_id=ACME, user_id=rep.admin, channel_id=rep.channel)
    assert stack.slack.wait_for(lambda: stack.slack.responses != [], timeout=5)
    assert "Only Slack workspace admins and owners" in str(stack.slack.responses[-1].get("text"))
    stack.instantly.add_workspace(name="Narrow", api_key="narrow-key-000001", scopes=["workspaces:read"])
    answer = connect(stack, two.acme, api_key="narrow-key-000001").json()
    assert answer["response_action"] == "errors"
    problem = answer["errors"][ids.API_KEY]
    assert "`campaigns:read`" in problem
    assert "`lead_lists:read`" in problem
    assert "`background-jobs:read`" in problem
    assert stack.services.connections.current(ACME).instantly_workspace_name == "Acme Corp Outreach"  # kept


def test_the_database_holds_no_secret_in_plain_text(two: TwoWorkspaces) -> None:
    secrets = [KEY_ACME, KEY_GLOBEX, *two.stack.slack.installed_tokens(ACME), *two.stack.slack.installed_tokens(GLOBEX)]
    assert len(secrets) >= 4
    dumped = _dump(two.stack.services.db)
    for secret in secrets:
        assert secret not in dumped
    if two.stack.services.db.is_sqlite:
        path = Path(two.stack.services.db.engine.url.database or "")
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        for secret in secrets:
            assert secret.encode() not in raw


def _dump(db: Database) -> str:
    """Every value of every table, as text."""
    metadata = MetaData()
    metadata.reflect(db.engine)
    with db.engine.connect() as connection:
        return "\n".join(
            repr(row) for table in metadata.sorted_tables for row in connection.execute(select(table)).all()
        )

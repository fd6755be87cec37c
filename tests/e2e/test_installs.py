"""Installs over time, end to end: tokens that rotate, an Enterprise Grid org-wide install and its uninstall, an
uninstall while a move runs, disconnecting Instantly, and a workspace that never connected a key."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from app.local_stack import LocalStack, local_stack
from bot.connections import DISCONNECTED, ORG_UNINSTALLED, UNINSTALLED
from storage import audit, jobs
from storage.models import Phase
from tests.e2e.tenants import Tenant, command_answer, connect, final_replies, install_tenant, move, start_move

ACME = "T0ACME"
KEY = "acme-instantly-key-000001"


@pytest.fixture
def oauth_stack(tmp_path: Path) -> Iterator[LocalStack]:
    with local_stack(database_url=f"sqlite:///{tmp_path / 'installs.db'}", oauth=True) as stack:
        yield stack
        assert stack.slack.violations == []
        assert stack.instantly.violations == []


def test_the_poller_and_the_writer_refresh_a_rotating_token_before_it_expires(tmp_path: Path) -> None:
    # Tokens live 302 s and are refreshed in their last 300 s: two seconds after the install each one is due.
    with local_stack(
        database_url=f"sqlite:///{tmp_path / 'rotation.db'}",
        oauth=True,
        slack_options={"token_rotation": True, "token_lifetime_seconds": 302},
        slack_token_refresh_minutes=5,
    ) as stack:
        acme = install_tenant(stack, ACME, "Acme Corp", KEY, "Acme Q1 outbound", "Acme parked")
        assert connect(stack, acme).json()["response_action"] == "update"
        first_token = stack.slack.installed_tokens(ACME)[0]
        time.sleep(2.2)
        stack.slack.expire_tokens(ACME)  # the token from the install no longer works
        move(stack, acme)
        assert "completed" in final_replies(stack, acme)[0]
        refreshes = [e for e in stack.slack.oauth_exchanges if e.grant_type == "refresh_token"]
        assert refreshes
        assert all(exchange.ok for exchange in refreshes)
        assert stack.services.installations is not None
        assert stack.services.installations.bot_token(team_id=ACME) != first_token
        assert stack.slack.violations == []


def test_an_org_wide_install_serves_every_workspace_of_the_org(oauth_stack: LocalStack) -> None:
    stack = oauth_stack
    first = install_tenant(
        stack,
        "T0GRIDA",
        "Alpha Grid",
        "grid-alpha-key-000001",
        "Alpha outbound",
        "Alpha parked",
        enterprise_id="E0GRID",
        enterprise_install=True,
    )
    second = install_tenant(
        stack,
        "T0GRIDB",
        "Beta Grid",
        "grid-beta-key-0000001",
        "Beta outbound",
        "Beta parked",
        enterprise_id="E0GRID",
        install=False,
    )
    for tenant in (first, second):
        assert connect(stack, tenant).json()["response_action"] == "update"
    move(stack, second)
    assert "completed" in final_replies(stack, second)[0]
    assert {r.workspace_id for r in stack.instantly.requests_with_key(second.api_key)} == {
        second.instantly.workspace_id
    }


@pytest.mark.parametrize("event", ["app_uninstalled", "tokens_revoked"])
def test_an_org_wide_uninstall_forgets_each_workspace_of_the_org_and_says_why(tmp_path: Path, event: str) -> None:
    with local_stack(
        database_url=f"sqlite:///{tmp_path / 'org-uninstall.db'}", oauth=True, poll_interval_seconds=60
    ) as stack:
        grid = [
            install_tenant(stack, team, name, key, "Outbound", "Parked", enterprise_id="E0GRID", **how)
            for team, name, key, how in (
                ("T0GRIDA", "Alpha Grid", "grid-alpha-key-000001", {"enterprise_install": True}),
                ("T0GRIDB", "Beta Grid", "grid-beta-key-0000001", {"install": False}),
            )
        ]
        acme = install_tenant(stack, ACME, "Acme Corp", KEY, "Acme Q1 outbound", "Acme parked")
        for tenant in (*grid, acme):
            assert connect(stack, tenant).json()["response_action"] == "update"
        running = start_move(stack, grid[1])

        if event == "app_uninstalled":
            answered = stack.slack.uninstall(stack.app_url, team_id="E0GRID", tokens_revoked=False)
        else:
            answered = stack.slack.revoke_tokens(stack.app_url, team_id="E0GRID")
        assert answered.status == 200
        db = stack.services.db

        def forgotten(tenant: Tenant) -> list[str]:
            return [e.outcome for e in audit.entries(db, team_id=tenant.team_id, limit=10) if e.action == "uninstall"]

        # Acked first, then done: each workspace's forgetting ends with its audit entry.
        assert stack.slack.wait_for(lambda: all(forgotten(tenant) for tenant in grid), timeout=5)
        stopped = jobs.get(db, job_id=running.id)
        assert stopped is not None
        assert (stopped.phase, stopped.error) == (Phase.DONE, ORG_UNINSTALLED)
        assert stack.services.installations is not None
        for tenant in grid:
            assert stack.services.connections.current(tenant.team_id) is None
            assert stack.services.installations.bot_token(team_id=tenant.team_id) is None
            [outcome] = forgotten(tenant)
            assert outcome.startswith(f"tokens deleted ({event}); its Instantly key deleted")
        assert stack.services.connections.current(ACME) is not None, "another customer keeps its key"
        calls_before = stack.slack.call_count
        stack.services.writer.drain()
        stack.services.poller.tick()
        assert stack.slack.call_count == calls_before  # nothing is sent with a token that is gone
        assert "not installed" in command_answer(stack, grid[1], "jobs")
        assert stack.slack.violations == []


def test_an_uninstall_stops_following_the_workspaces_jobs_and_says_why_on_each(tmp_path: Path) -> None:
    # Polled only every minute, the move is still running when leadmover is uninstalled.
    with local_stack(
        database_url=f"sqlite:///{tmp_path / 'uninstall.db'}", oauth=True, poll_interval_seconds=60
    ) as stack:
        acme = install_tenant(stack, ACME, "Acme Corp", KEY, "Acme Q1 outbound", "Acme parked")
        connect(stack, acme)
        running = start_move(stack, acme)
        assert stack.slack.uninstall(stack.app_url, team_id=ACME).status == 200
        # The event is acked before the work: wait for the job to stop.
        assert stack.slack.wait_for(
            lambda: getattr(jobs.get(stack.services.db, job_id=running.id), "phase", None) == Phase.DONE, timeout=10
        )
        stopped = jobs.get(stack.services.db, job_id=running.id)
        assert stopped is not None
        assert stopped.phase == Phase.DONE
        assert stopped.error == UNINSTALLED
        assert stack.services.connections.current(ACME) is None
        assert stack.services.installations is not None
        assert stack.services.installations.bot_token(team_id=ACME) is None
        calls_before = stack.slack.call_count
        stack.services.writer.drain()
        stack.services.poller.tick()
        assert stack.slack.call_count == calls_before  # nothing is sent with a token that is gone
        assert stack.slack.violations == []


def test_disconnecting_tells_each_running_jobs_thread_and_only_admins_may(tmp_path: Path) -> None:
    with local_stack(
        database_url=f"sqlite:///{tmp_path / 'disconnect.db'}", oauth=True, poll_interval_seconds=60
    ) as stack:
        acme = install_tenant(stack, ACME, "Acme Corp", KEY, "Acme Q1 outbound", "Acme parked")
        connect(stack, acme)
        running = start_move(stack, acme)
        rep = replace(acme, admin="U0ACMEREP")
        assert "Only Slack workspace admins and owners" in command_answer(stack, rep, "disconnect")
        assert stack.services.connections.current(ACME) is not None
        assert "Acme Corp Outreach" in command_answer(stack, acme, "disconnect")
        assert stack.slack.wait_for(lambda: final_replies(stack, acme) != [], timeout=10)
        assert "Stopped checking on this move" in final_replies(stack, acme)[0]
        stopped = jobs.get(stack.services.db, job_id=running.id)
        assert stopped is not None
        assert stopped.error == DISCONNECTED
        before = stack.instantly.request_count
        assert "not connected to Instantly" in command_answer(stack, acme, "move")
        assert stack.instantly.request_count == before
        assert stack.slack.violations == []


def test_a_workspace_without_a_key_is_told_who_can_connect_and_nothing_reaches_instantly(
    oauth_stack: LocalStack,
) -> None:
    acme = install_tenant(oauth_stack, ACME, "Acme Corp", KEY, "Acme Q1 outbound", "Acme parked")
    answer = command_answer(oauth_stack, acme, "move")
    assert answer.endswith("\n[]"), "one line of text, no blocks"
    assert answer.count("\n") == 1
    assert "admin or owner" in answer
    assert "/leads connect" in answer
    assert oauth_stack.slack.opened_views() == []
    assert oauth_stack.instantly.request_count == 0


def test_a_redirect_without_the_installers_state_installs_nothing(oauth_stack: LocalStack) -> None:
    stack = oauth_stack
    stack.slack.add_team(ACME, name="Acme Corp", domain="acme")
    forged = httpx.get(f"{stack.base_url}/slack/oauth_redirect", params={"code": "stolen", "state": "made-up"})
    assert forged.status_code >= 400
    cancelled = stack.slack.install(stack.base_url, team_id=ACME, user_id="U0ACMEADMIN", deny=True)
    assert not cancelled.installed
    assert stack.services.installations is not None
    assert stack.services.installations.bot_token(team_id=ACME) is None
    assert [e for e in stack.slack.oauth_exchanges if e.grant_type == "authorization_code"] == []

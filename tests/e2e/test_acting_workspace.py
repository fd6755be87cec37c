"""The workspace a request acts in is the one Bolt authorized, end to end over signed HTTP: with one token, the token's
team whatever team a payload names; installed by OAuth, the installation that matched, never an org a payload pairs
with a workspace of its own."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from app.local_stack import LocalStack, local_stack, seed
from simulators.slack.delivery import sign
from storage import access_rules, audit, workspaces
from tests.e2e.tenants import install_tenant

HOST, OUTSIDE = "T0LEADMOVR", "T0OTHERORG"
ADMIN, STRANGER, BOB = "U0ADMIN", "U0STRANGER", "U0BOB"


@pytest.fixture
def connected(stack: LocalStack) -> LocalStack:
    """One workspace on the environment's token, with an admin, a member and someone from another organisation
    (Slack Connect) in its channels."""
    seed(stack.instantly)
    stack.slack.add_user(ADMIN, is_admin=True)
    stack.slack.add_user(BOB)
    stack.slack.add_team(OUTSIDE, name="Other Org", domain="other")
    stack.slack.add_user(STRANGER, team_id=OUTSIDE, shared_with=(HOST,))
    return stack


def said(stack: LocalStack, *, user: str, text: str, team_id: str) -> str:
    """What `user` is told in answer to `/leads <text>` sent with a payload naming `team_id`, typed in the host's
    channel (so its trigger opens a modal there)."""
    before = len(stack.slack.responses)
    trigger = stack.slack.issue_trigger_id(team_id=HOST)
    response = stack.slack.send_command(stack.app_url, text=text, user_id=user, team_id=team_id, trigger_id=trigger)
    assert response.status == 200
    body = response.json() if response.body.strip().startswith("{") else {}
    if body.get("text"):
        return str(body["text"])
    assert stack.slack.wait_for(lambda: len(stack.slack.responses) > before, timeout=5), f"no answer to {text!r}"
    return str(stack.slack.responses[-1].get("text", ""))


def test_a_slack_connect_person_whose_payload_names_their_own_team_is_refused(connected: LocalStack) -> None:
    refusal = said(connected, user=STRANGER, text="move", team_id=OUTSIDE)
    assert "other organisations" in refusal
    assert connected.slack.opened_views() == []
    assert connected.instantly.request_count == 0


def test_a_payload_naming_another_team_acts_in_the_tokens_workspace(connected: LocalStack) -> None:
    db = connected.services.db
    assert "may now move" in said(connected, user=ADMIN, text=f"allow {connected.slack.mention(BOB)}", team_id=OUTSIDE)
    assert [rule.subject_id for rule in access_rules.rules(db, team_id=HOST)] == [BOB]
    assert access_rules.rules(db, team_id=OUTSIDE) == []
    assert [entry.action for entry in audit.entries(db, team_id=HOST, limit=5)] == ["allow"]
    assert audit.entries(db, team_id=OUTSIDE, limit=5) == []


# --- installed by OAuth ---------------------------------------------------------------------------------------


@pytest.fixture
def oauth_stack(tmp_path: Path) -> Iterator[LocalStack]:
    with local_stack(database_url=f"sqlite:///{tmp_path / 'acting.db'}", oauth=True) as running:
        yield running
        assert running.slack.violations == []
        assert running.instantly.violations == []


def forged_command(stack: LocalStack, *, text: str, team_id: str, enterprise_id: str, user_id: str) -> httpx.Response:
    """A correctly signed slash command whose payload pairs `team_id` with `enterprise_id`, sent as a script would."""
    secret = stack.settings.slack_signing_secret
    assert secret is not None
    body = urlencode(
        {
            "token": "fake-verification-token",
            "team_id": team_id,
            "team_domain": "acme",
            "enterprise_id": enterprise_id,
            "enterprise_name": "Someone Else's Org",
            "channel_id": "C0ACME",
            "channel_name": "acme-sales",
            "user_id": user_id,
            "user_name": "admin",
            "command": "/leads",
            "text": text,
            "api_app_id": "A0LEADMOVER",
            "is_enterprise_install": "true",
            "response_url": f"{stack.slack.base_url}/commands/forged",
            "trigger_id": "1.2.forged",
        }
    )
    stamp = str(int(time.time()))
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": sign(signing_secret=secret.get_secret_value(), timestamp=stamp, body=body),
    }
    return httpx.post(stack.app_url, content=body, headers=headers, timeout=10)


def test_a_request_pairing_a_workspace_with_another_orgs_id_never_hands_its_work_to_that_org(
    oauth_stack: LocalStack,
) -> None:
    stack = oauth_stack
    acme = install_tenant(stack, "T0ACME", "Acme Corp", "acme-instantly-key-000001", "Acme outbound", "Acme parked")
    install_tenant(
        stack,
        "T0GRIDA",
        "Alpha Grid",
        "grid-alpha-key-000001",
        "Alpha outbound",
        "Alpha parked",
        enterprise_id="E0GRID",
        enterprise_install=True,
    )
    [acme_token] = stack.slack.installed_tokens(acme.team_id)
    assert forged_command(
        stack, text="help", team_id=acme.team_id, enterprise_id="E0GRID", user_id=acme.admin
    ).is_success

    assert workspaces.enterprise_of(stack.services.db, team_id=acme.team_id) is None
    assert stack.services.installations is not None
    assert stack.services.installations.bot_token(team_id=acme.team_id) == acme_token
    assert stack.services.workspaces.slack(acme.team_id).token == acme_token, "the writer and poller use Acme's own"

"""Workspaces installed the way a team installs leadmover: through OAuth, an admin, a channel and an Instantly key
of their own; and what their people do there (connect, open the move modal, move, ask about jobs)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.local_stack import LocalStack
from handlers import ids
from simulators.instantly import InstantlyWorkspace
from storage.models import Phase
from storage.records import JobRecord
from tests.e2e.flows import submit_move


@dataclass(frozen=True)
class Tenant:
    team_id: str
    admin: str
    channel: str
    api_key: str
    instantly: InstantlyWorkspace
    campaign: str
    destination: str


def install_tenant(
    stack: LocalStack,
    team_id: str,
    name: str,
    api_key: str,
    campaign: str,
    destination: str,
    *,
    enterprise_id: str | None = None,
    install: bool = True,
    enterprise_install: bool = False,
) -> Tenant:
    """A workspace with an admin, a rep and a channel, its own Instantly workspace, and leadmover installed."""
    slack, short = stack.slack, name.split()[0].upper()
    slack.add_team(team_id, name=name, domain=name.split()[0].lower(), enterprise_id=enterprise_id)
    admin, channel = f"U0{short}ADMIN", f"C0{short}"
    slack.add_user(admin, team_id=team_id, is_admin=True)
    slack.add_user(f"U0{short}REP", team_id=team_id)
    slack.add_channel(channel, f"{name.split()[0].lower()}-sales", team_id=team_id)
    workspace = stack.instantly.add_workspace(name=f"{name} Outreach", api_key=api_key)
    workspace.add_campaign(campaign, leads=200)
    workspace.add_list(destination, leads=10)
    if install:  # a workspace of an org that installed leadmover org-wide needs no install of its own
        installed = slack.install(stack.base_url, team_id=team_id, user_id=admin, enterprise_install=enterprise_install)
        assert installed.status == 200, installed
    return Tenant(team_id, admin, channel, api_key, workspace, campaign, destination)


def connect(stack: LocalStack, tenant: Tenant, api_key: str | None = None) -> Any:
    """An admin runs /leads connect and pastes the key; returns the app's answer to the submission."""
    trigger = stack.slack.issue_trigger_id(team_id=tenant.team_id)
    stack.slack.send_command(
        stack.app_url,
        text="connect",
        team_id=tenant.team_id,
        user_id=tenant.admin,
        channel_id=tenant.channel,
        trigger_id=trigger,
    )
    assert stack.slack.wait_for(lambda: stack.slack.view_opened_by(trigger) is not None, timeout=5)
    view = stack.slack.view_opened_by(trigger)
    assert view is not None
    assert view["callback_id"] == ids.CONNECT_MODAL
    return stack.slack.submit_view(
        stack.app_url,
        view_id=view["id"],
        values={ids.API_KEY: api_key or tenant.api_key},
        user_id=tenant.admin,
        team_id=tenant.team_id,
    )


def open_move(stack: LocalStack, tenant: Tenant) -> dict[str, Any]:
    trigger = stack.slack.issue_trigger_id(team_id=tenant.team_id)
    response = stack.slack.send_command(
        stack.app_url,
        text="move",
        team_id=tenant.team_id,
        user_id=tenant.admin,
        channel_id=tenant.channel,
        trigger_id=trigger,
    )
    assert response.status == 200
    assert stack.slack.wait_for(lambda: stack.slack.view_opened_by(trigger) is not None, timeout=5)
    view = stack.slack.view_opened_by(trigger)
    assert view is not None
    return view


def offered(stack: LocalStack, tenant: Tenant, view: dict[str, Any], query: str = "") -> list[dict[str, Any]]:
    answer = stack.slack.load_options(
        stack.app_url,
        view_id=view["id"],
        action_id=ids.SOURCE,
        value=query,
        user_id=tenant.admin,
        team_id=tenant.team_id,
    ).json()
    return [o for group in answer.get("option_groups", []) for o in group["options"]] + answer.get("options", [])


def move(stack: LocalStack, tenant: Tenant) -> None:
    """Move the tenant's campaign into its list and wait for the final reply in its channel."""
    view = open_move(stack, tenant)
    options = {o["text"]["text"]: o for o in offered(stack, tenant, view)}
    answer = submit_move(
        stack.slack,
        stack.app_url,
        view_id=view["id"],
        values={ids.SOURCE: options[tenant.campaign], ids.DESTINATION: options[tenant.destination]},
        user_id=tenant.admin,
        team_id=tenant.team_id,
    )
    assert answer.status == 200
    assert stack.slack.wait_for(lambda: final_replies(stack, tenant) != [], timeout=15), "no final reply"


def final_replies(stack: LocalStack, tenant: Tenant) -> list[str]:
    return [
        reply.text
        for message in stack.slack.messages(tenant.channel, team_id=tenant.team_id)
        for reply in stack.slack.replies(tenant.channel, message.ts, team_id=tenant.team_id)
    ]


def command_answer(stack: LocalStack, tenant: Tenant, text: str) -> str:
    """What the person sees in answer to `/leads <text>` (its text, then its blocks as JSON): the ack, or what came
    later by response_url."""
    before = len(stack.slack.responses)
    response = stack.slack.send_command(
        stack.app_url, text=text, team_id=tenant.team_id, user_id=tenant.admin, channel_id=tenant.channel
    )
    assert response.status == 200
    body = response.json() if response.body.strip().startswith("{") else {}
    if not body.get("text"):
        assert stack.slack.wait_for(lambda: len(stack.slack.responses) > before, timeout=5)
        body = stack.slack.responses[-1]
    return f"{body.get('text', '')}\n{json.dumps(body.get('blocks') or [], ensure_ascii=False)}"


def start_move(stack: LocalStack, tenant: Tenant) -> JobRecord:
    """Start a move and return its job as soon as Instantly has started it (it is not followed to its end)."""
    view = open_move(stack, tenant)
    options = {o["text"]["text"]: o for o in offered(stack, tenant, view)}
    submit_move(
        stack.slack,
        stack.app_url,
        view_id=view["id"],
        values={ids.SOURCE: options[tenant.campaign], ids.DESTINATION: options[tenant.destination]},
        user_id=tenant.admin,
        team_id=tenant.team_id,
    )

    def started() -> JobRecord | None:
        found = stack.services.moves.recent_jobs(team_id=tenant.team_id, user_id=tenant.admin, limit=1)
        return found[0] if found and found[0].phase == Phase.RUNNING else None

    assert stack.slack.wait_for(lambda: started() is not None, timeout=10)
    record = started()
    assert record is not None
    return record

"""How listeners reach the services and the workspace a request acts in: a middleware puts both in Bolt's context,
never in a module global, the workspace as Bolt authorized it and never as a payload names it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from slack_bolt import BoltContext
from slack_bolt.response import BoltResponse

from bot.services import Services

_KEY = "leadmover_services"
NOT_COVERED: Final = (
    ":warning: leadmover could not tell which of its workspaces this came from, so it did nothing. "
    "A workspace admin can install it in this workspace."
)


def provide(services: Services) -> Callable[..., BoltResponse | None]:
    """A global middleware, run after Bolt's authorization: makes `services` available to every listener, and sets
    the context's team and org to the ones Bolt authorized (see `_authorized`)."""

    def provide_services(
        context: BoltContext, body: dict[str, Any], next: Callable[[], BoltResponse | None]
    ) -> BoltResponse | None:
        context[_KEY] = services
        result = context.authorize_result
        if result is None or not (result.bot_token or result.user_token):
            # Nothing was authorized with a token: Slack's uninstall and revocation events, which name the
            # workspace or org whose tokens just went (events.py), and the checks Bolt answers itself.
            return next()
        acting = _authorized(context, services)
        if acting is None:
            return _refused(body)
        context["team_id"], context["enterprise_id"] = acting
        return next()

    return provide_services


def _authorized(context: BoltContext, services: Services) -> tuple[str, str | None] | None:
    """(workspace, Grid org) a request acts in, from what Bolt authorized; None if that covers no one workspace.

    A token of one workspace answers for that workspace alone: the single token's `auth.test`, or the install of
    the workspace that matched (its own install always wins, storage.installations.find). A payload naming another
    team acts in the token's workspace, where users.info then tells its members from everyone else. Only an
    org-wide install speaks for many workspaces; then the payload names which, and it is taken only for a workspace
    with no install of its own that is not known to be another org's (bot.workspaces.Workspaces.note_org).
    """
    result = context.authorize_result
    assert result is not None
    org = result.enterprise_id or None
    if result.team_id and result.team_id != org and not result.team_id.startswith("E"):
        services.workspaces.note_org(team_id=result.team_id, enterprise_id=org)
        return result.team_id, org
    team = str(context.team_id or "")
    if not team or not services.workspaces.note_org(team_id=team, enterprise_id=org, org_wide=True):
        return None
    return team, org


def _refused(body: dict[str, Any]) -> BoltResponse:
    if "command" in body:  # a slash command's ack is shown to the person who typed it
        answer = json.dumps({"response_type": "ephemeral", "text": NOT_COVERED})
        return BoltResponse(status=200, body=answer, headers={"content-type": "application/json;charset=utf-8"})
    return BoltResponse(status=200, body="")


def team_and_user(body: dict[str, Any], context: BoltContext) -> tuple[str, str]:
    """(workspace, person) of an interaction payload (a click, a submission): the workspace Bolt authorized the
    request for (`provide` put it in the context), never a team the payload names; the person Slack says acted."""
    user = body.get("user") or {}
    user_id = user.get("id") or context.user_id
    return str(context.team_id or ""), str(user_id or "")


def services_of(context: BoltContext | dict[str, Any]) -> Services:
    services = context[_KEY]
    assert isinstance(services, Services)
    return services

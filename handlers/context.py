"""How listeners reach the services: a middleware puts them in Bolt's context, never in a module global."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext
from slack_bolt.response import BoltResponse

from bot.services import Services

_KEY = "leadmover_services"


def provide(services: Services) -> Callable[..., BoltResponse | None]:
    """A global middleware that makes `services` available to every listener (and notes a Grid workspace's org)."""

    def provide_services(context: BoltContext, next: Callable[[], BoltResponse | None]) -> BoltResponse | None:
        context[_KEY] = services
        if context.enterprise_id and context.team_id:
            # An Enterprise Grid workspace: its org's install speaks for it, also in work done outside requests.
            services.workspaces.note_org(team_id=context.team_id, enterprise_id=context.enterprise_id)
        return next()

    return provide_services


def team_and_user(body: dict[str, Any], context: BoltContext | None = None) -> tuple[str, str]:
    """(workspace, person) of an interaction payload (a click, a submission). Slack names the team on the payload;
    the view's team, the person's team and Bolt's context stand in where a payload shape leaves it out."""
    user = body.get("user") or {}
    view = body.get("view") or {}
    team_id = (body.get("team") or {}).get("id") or view.get("team_id") or user.get("team_id")
    team_id = team_id or (context.team_id if context is not None else None)
    user_id = user.get("id") or (context.user_id if context is not None else None)
    return str(team_id or ""), str(user_id or "")


def services_of(context: BoltContext | dict[str, Any]) -> Services:
    services = context[_KEY]
    assert isinstance(services, Services)
    return services

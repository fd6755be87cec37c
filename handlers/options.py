"""Suggestions for the modal's external selects, searched in Instantly as the person types."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from slack_bolt import Ack, App, BoltContext

from bot.instantly.errors import InstantlyNotConnected
from bot.pickers import Choice, PickerService, Suggestions
from handlers import ids
from handlers.blocks import option, plain_text
from handlers.context import services_of

NO_ACCESS: Final = "You may not move leads here: /leads help says who can allow you"
NOT_CONNECTED: Final = "Not connected to Instantly: an admin can run /leads connect"


def register(app: App) -> None:
    app.options(ids.SOURCE)(suggest_endpoints)
    app.options(ids.DESTINATION)(suggest_endpoints)
    app.options(ids.ASSIGNED_TO)(suggest_members)


def suggest_endpoints(ack: Ack, body: dict[str, Any], payload: dict[str, Any], context: BoltContext) -> None:
    suggestions = _suggestions(context, body, payload, search=PickerService.endpoints)
    groups = option_groups(suggestions)
    # Slack wants `options: []` for "no results"; an empty list of groups is not valid.
    if groups:
        ack(option_groups=groups)
    else:
        ack(options=[])


def suggest_members(ack: Ack, body: dict[str, Any], payload: dict[str, Any], context: BoltContext) -> None:
    ack(options=member_options(_suggestions(context, body, payload, search=PickerService.members)))


def _suggestions(
    context: BoltContext,
    body: dict[str, Any],
    payload: dict[str, Any],
    *,
    search: Callable[..., Suggestions],
) -> Suggestions:
    """What the person's typing finds, if they may see it and the workspace has an Instantly key."""
    if _refused(context, body):
        return Suggestions(problem=NO_ACCESS)
    pickers = _pickers(context)
    if pickers is None:
        return Suggestions(problem=NOT_CONNECTED)
    return search(pickers, str(payload.get("value") or ""), person=_person(body, context))


def _pickers(context: BoltContext) -> PickerService | None:
    """The pickers of the workspace the person types in, never another's; None if it has no Instantly key."""
    try:
        return services_of(context).workspaces.pickers(str(context.team_id or ""))
    except InstantlyNotConnected:
        return None


def _refused(context: BoltContext, body: dict[str, Any]) -> bool:
    """Campaign names and members' emails are for movers only."""
    user = str((body.get("user") or {}).get("id") or context.user_id or "")
    access = services_of(context).access
    return access.refusal_to_move(team_id=str(context.team_id or ""), user_id=user) is not None


def _person(body: dict[str, Any], context: BoltContext) -> str:
    """Who is typing, across workspaces: searches are rate-limited per person."""
    user = str((body.get("user") or {}).get("id") or context.user_id or "")
    return f"{context.team_id or ''}:{user}"


def option_groups(suggestions: Suggestions) -> list[dict[str, Any]]:
    """Campaigns and lists as Slack option groups; a problem becomes one option that says so."""
    groups = []
    for label, choices in (("Campaigns", suggestions.campaigns), ("Lists", suggestions.lists)):
        if choices:
            groups.append({"label": plain_text(label), "options": _options(choices)})
    if suggestions.problem:
        groups.append({"label": plain_text("Instantly"), "options": [option(ids.UNAVAILABLE, suggestions.problem)]})
    return groups


def _options(choices: tuple[Choice, ...]) -> list[dict[str, Any]]:
    return [option(choice.value, choice.label) for choice in choices[:100]]


def member_options(suggestions: Suggestions) -> list[dict[str, Any]]:
    options = _options(suggestions.members)
    if suggestions.problem:
        options.append(option(ids.UNAVAILABLE, suggestions.problem))
    return options

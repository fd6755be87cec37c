"""The move modal's preview: picking a source or changing a filter (block_actions) acks at once, asks Instantly
how many leads the source holds and for a few that the filters take, then updates the modal with views.update.

The update carries the hash Slack sent with the action: a `hash_conflict` means the person changed something newer,
whose own action brings its own preview, so that one is dropped quietly.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.instantly_errors import InstantlyError
from bot.preview import Preview, problem_in_words
from bot.services import Services
from handlers import ids, move_form, move_modal, preview_view
from handlers.context import services_of
from handlers.move_modal import State
from handlers.prefill import Fill

log = logging.getLogger(__name__)

# Each of these dispatches a block_actions from the move modal (dispatch_action on its input block).
WATCHED: Final = (ids.SOURCE, ids.SEARCH, ids.FILTER, ids.CONTACTS, ids.ESP_CODE, ids.ESG_CODE)


def register(app: App) -> None:
    for action_id in WATCHED:
        app.action({"type": "block_actions", "action_id": action_id})(refresh_preview)


def refresh_preview(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    view = body.get("view") or {}
    if view.get("callback_id") != ids.MOVE_MODAL or not view.get("id"):
        return  # the same action_id in another surface is none of the preview's business
    services = services_of(context)
    team_id = str((body.get("team") or {}).get("id") or view.get("team_id") or context.team_id or "")
    user_id = str((body.get("user") or {}).get("id") or context.user_id or "")
    text = _preview_text(services=services, view=view, team_id=team_id, user_id=user_id)
    try:
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=move_modal.rebuild(view, preview=text))
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response else str(exc)
        if error == "hash_conflict":
            log.debug("preview of view %s dropped: the person changed the form meanwhile", view["id"])
        else:
            log.warning("views.update of a move modal's preview failed: %s", error)


def filled_preview(*, services: Services, fill: Fill, team_id: str, user_id: str, entered: State | None = None) -> str:
    """The preview of a form leadmover filled in (from the command, or Run again): Slack sends no action for an
    initial value, so the source it names is previewed here with the filters `entered`, read as if the person had
    picked them."""
    choice = fill.picked.get(ids.SOURCE)
    if choice is None:
        return preview_view.WAITING
    picked = {"type": "external_select", "selected_option": {"value": choice.value, "text": {"text": choice.label}}}
    view = {"state": {"values": {**(entered or {}), ids.SOURCE: {ids.SOURCE: picked}}}}
    return _preview_text(services=services, view=view, team_id=team_id, user_id=user_id)


def _preview_text(*, services: Services, view: dict[str, Any], team_id: str, user_id: str) -> str:
    # Lead e-mails are for movers only, like the pickers' campaign names.
    refused = services.access.refusal_to_move(team_id=team_id, user_id=user_id)
    if refused is not None:
        return f":no_entry: {refused}"
    choice = move_form.lead_choice(view)
    if choice is None:
        return preview_view.WAITING
    if isinstance(choice, dict):
        return preview_view.invalid_text(choice)
    filters = choice.lead_filters()
    try:
        preview = services.preview.preview(team_id=team_id, source=choice.source, filters=filters)
    except InstantlyError as exc:  # no client at all: not connected, or its key cannot be opened
        preview = Preview(problem=problem_in_words(exc))
    return preview_view.preview_text(source=choice.source, filters=filters, preview=preview)

"""`/leads settings`, run in a channel, opens a modal to set how leadmover speaks there: announce every job or only
failures, broadcast failures to the channel, mention the requester on success, list a few moved e-mails in the final
reply, and the mode the move modal starts with. Anyone who may move leads in the workspace may change them
(access.refusal_to_move is None): they shape only what leadmover posts in a channel those people share. The listeners
live here, the blocks and their ids in channel_settings_view.py.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from slack_bolt import Ack, App, BoltContext
from slack_sdk.errors import SlackApiError

from bot.slack.errors import slack_error
from handlers.channel_settings_view import (
    ANNOUNCE,
    BROADCAST_FAILURES,
    DEFAULT_MODE,
    FAILURES,
    MENTION_ON_SUCCESS,
    MENTION_WATCHERS,
    SAMPLE,
    SETTINGS_MODAL,
    SHOW_SAMPLE,
    saved_view,
    settings_view,
)
from handlers.context import services_of, team_and_user
from handlers.verbs import Audience, Help, Invocation, Verb
from storage.channel_settings import ChannelSettings
from storage.models import AnnounceMode
from storage.orders import MoveMode

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.view(SETTINGS_MODAL)(handle_settings_submission)


# --- the command's verb ------------------------------------------------------------------------------------------


def open_settings(call: Invocation) -> None:
    """After the ack: the modal for the channel the command was typed in, for anyone who may move leads."""
    services, respond = call.services, call.respond
    team_id, user_id, channel_id = call.team_id, call.user_id, call.channel_id
    refused = services.access.refusal_to_move(team_id=team_id, user_id=user_id)
    if refused is not None:
        respond(
            response_type="ephemeral",
            text=f"Only people who may move leads can change this channel's settings. {refused}",
        )
        return
    current = services.channel_settings.of(team_id=team_id, channel_id=channel_id)
    view = settings_view(channel_id=channel_id, current=current)
    try:
        call.client.views_open(trigger_id=call.command["trigger_id"], view=view)
    except SlackApiError as exc:
        log.warning("views.open failed: %s", slack_error(exc))
        respond(
            response_type="ephemeral", text="Slack did not let me open the form in time. Run `/leads settings` again."
        )


VERBS: Final = (
    Verb(
        name="settings",
        audience=Audience.MOVERS,
        help=(Help(says="how I report jobs in this channel, and whether the move form starts with Copy"),),
        handle=open_settings,
        acked_first=True,  # access may ask Slack; the modal or the refusal follows the ack
    ),
)


# --- the modal's submission --------------------------------------------------------------------------------------


def parse(values: dict[str, Any]) -> ChannelSettings:
    """The settings a submitted view's state.values holds; anything missing keeps the default, but a box not ticked
    is off: the sample of moved e-mails is then left out too."""

    def chosen(block_id: str) -> str | None:
        selected = ((values.get(block_id) or {}).get(block_id) or {}).get("selected_option") or {}
        value = selected.get("value")
        return str(value) if value is not None else None

    def ticked(block_id: str) -> set[str]:
        selected = ((values.get(block_id) or {}).get(block_id) or {}).get("selected_options") or []
        return {str(option.get("value")) for option in selected if isinstance(option, dict)}

    checked = ticked(FAILURES)
    announce = chosen(ANNOUNCE)
    mode = chosen(DEFAULT_MODE)
    return ChannelSettings(
        announce=AnnounceMode(announce) if announce in set(AnnounceMode) else AnnounceMode.EVERY_JOB,
        broadcast_failures=BROADCAST_FAILURES in checked,
        mention_on_success=MENTION_ON_SUCCESS in checked,
        mention_watchers=MENTION_WATCHERS in checked,
        default_mode=MoveMode(mode) if mode in set(MoveMode) else MoveMode.MOVE,
        show_sample=SHOW_SAMPLE in ticked(SAMPLE),
    )


def handle_settings_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services = services_of(context)
    team_id, user_id = team_and_user(body, context)
    channel_id = str(view.get("private_metadata") or "")
    # Checked again: access may have changed since the modal opened.
    refused = services.access.refusal_to_move(team_id=team_id, user_id=user_id)
    if refused is not None:
        ack(response_action="errors", errors={ANNOUNCE: refused[:150]})
        return
    settings = parse((view.get("state") or {}).get("values") or {})
    saved = services.channel_settings.change(team_id=team_id, channel_id=channel_id, user_id=user_id, settings=settings)
    ack(response_action="update", view=saved_view(channel_id=channel_id, saved=saved))

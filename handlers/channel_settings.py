"""`/leads settings`, run in a channel, opens a modal to set how leadmover speaks there: announce every job or only
failures, broadcast failures to the channel, mention the requester on success, and the mode the move modal starts
with. Anyone who may move leads in the workspace may change them (access.refusal_to_move is None): they shape only
what leadmover posts in a channel those people share. The ids, the blocks and the listeners live here.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services import Services
from bot.slack.blocks import messages
from handlers.context import services_of, team_and_user
from storage.channel_settings import ChannelSettings
from storage.models import AnnounceMode
from storage.orders import MoveMode

log = logging.getLogger(__name__)

View = dict[str, Any]

SETTINGS_MODAL: Final = "channel_settings"
# Each input block's block_id equals its element's action_id, so state is read as values[X][X].
ANNOUNCE: Final = "announce"
FAILURES: Final = "failures"  # checkboxes: the two failure-and-success options
DEFAULT_MODE: Final = "default_mode"
BROADCAST_FAILURES: Final = "broadcast_failures"
MENTION_ON_SUCCESS: Final = "mention_on_success"


def register(app: App) -> None:
    app.view(SETTINGS_MODAL)(handle_settings_submission)


# --- blocks ------------------------------------------------------------------------------------------------------


def _text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _option(value: str, label: str, description: str | None = None) -> dict[str, Any]:
    option: dict[str, Any] = {"text": _text(label), "value": value}
    if description:
        option["description"] = _text(description)
    return option


_ANNOUNCE_OPTIONS: Final = {
    AnnounceMode.EVERY_JOB: _option(AnnounceMode.EVERY_JOB, "Every job", "An announcement and a final reply each"),
    AnnounceMode.FAILURES: _option(
        AnnounceMode.FAILURES, "Only failures", "A job that succeeds posts nothing in this channel"
    ),
}
_FAILURE_OPTIONS: Final = {
    BROADCAST_FAILURES: _option(
        BROADCAST_FAILURES, "Show failures in the channel", "The reply in the thread is also sent to the channel"
    ),
    MENTION_ON_SUCCESS: _option(
        MENTION_ON_SUCCESS, "Mention the requester on success", "A failure always mentions them"
    ),
}
_MODE_OPTIONS: Final = {
    MoveMode.MOVE: _option(MoveMode.MOVE, "Move", "Take the leads out of the source"),
    MoveMode.COPY: _option(MoveMode.COPY, "Copy", "Leave the originals where they are"),
}


def settings_view(*, channel_id: str, current: ChannelSettings) -> View:
    """The modal, showing the channel's settings as they are; the channel rides in private_metadata."""
    checked = [
        _FAILURE_OPTIONS[key]
        for key, on in (
            (BROADCAST_FAILURES, current.broadcast_failures),
            (MENTION_ON_SUCCESS, current.mention_on_success),
        )
        if on
    ]
    failures: dict[str, Any] = {"type": "checkboxes", "action_id": FAILURES, "options": list(_FAILURE_OPTIONS.values())}
    if checked:
        failures["initial_options"] = checked  # Slack refuses an empty initial_options
    return {
        "type": "modal",
        "callback_id": SETTINGS_MODAL,
        "private_metadata": channel_id,
        "title": _text("Channel settings"),
        "submit": _text("Save"),
        "close": _text("Cancel"),
        "blocks": [
            messages.section(f"How leadmover reports jobs started in <#{channel_id}>."),
            _radio(ANNOUNCE, "Post about", _ANNOUNCE_OPTIONS, current.announce),
            {"type": "input", "block_id": FAILURES, "optional": True, "label": _text("Replies"), "element": failures},
            _radio(DEFAULT_MODE, "The move form starts with", _MODE_OPTIONS, current.default_mode),
            messages.context(
                "`/leads copy` always starts with Copy. Anyone who may move leads may change these settings."
            ),
        ],
    }


def _radio(block_id: str, label: str, options: dict[Any, dict[str, Any]], chosen: str) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": _text(label),
        "element": {
            "type": "radio_buttons",
            "action_id": block_id,
            "options": list(options.values()),
            "initial_option": options[chosen],
        },
    }


def saved_view(*, channel_id: str, saved: ChannelSettings) -> View:
    about = "only failures" if saved.only_failures else "every job"
    lines = [
        f":white_check_mark: Saved. In <#{channel_id}> I post about {about}.",
        "Failures are also shown in the channel." if saved.broadcast_failures else "Failures stay in their thread.",
        "A success mentions its requester." if saved.mention_on_success else "A success mentions no one.",
        f"`/leads move` starts as a {saved.default_mode.value}.",
    ]
    return {
        "type": "modal",
        "callback_id": f"{SETTINGS_MODAL}_saved",
        "title": _text("Channel settings"),
        "close": _text("Done"),
        "blocks": [messages.section("\n".join(lines))],
    }


# --- the command's verb ------------------------------------------------------------------------------------------


def open_settings(*, services: Services, client: WebClient, command: dict[str, Any], respond: Respond) -> None:
    """After the ack: the modal for the channel the command was typed in, for anyone who may move leads."""
    team_id, user_id = str(command.get("team_id", "")), str(command.get("user_id", ""))
    channel_id = str(command.get("channel_id", ""))
    refused = services.access.refusal_to_move(team_id=team_id, user_id=user_id)
    if refused is not None:
        respond(
            response_type="ephemeral",
            text=f"Only people who may move leads can change this channel's settings. {refused}",
        )
        return
    current = services.channel_settings.of(team_id=team_id, channel_id=channel_id)
    try:
        client.views_open(trigger_id=command["trigger_id"], view=settings_view(channel_id=channel_id, current=current))
    except SlackApiError as exc:
        log.warning("views.open failed: %s", exc.response.get("error") if exc.response else exc)
        respond(
            response_type="ephemeral", text="Slack did not let me open the form in time. Run `/leads settings` again."
        )


# --- the modal's submission --------------------------------------------------------------------------------------


def parse(values: dict[str, Any]) -> ChannelSettings:
    """The settings a submitted view's state.values holds; anything missing keeps the default."""

    def chosen(block_id: str) -> str | None:
        selected = ((values.get(block_id) or {}).get(block_id) or {}).get("selected_option") or {}
        value = selected.get("value")
        return str(value) if value is not None else None

    selected = ((values.get(FAILURES) or {}).get(FAILURES) or {}).get("selected_options") or []
    checked = {str(option.get("value")) for option in selected if isinstance(option, dict)}
    announce = chosen(ANNOUNCE)
    mode = chosen(DEFAULT_MODE)
    return ChannelSettings(
        announce=AnnounceMode(announce) if announce in set(AnnounceMode) else AnnounceMode.EVERY_JOB,
        broadcast_failures=BROADCAST_FAILURES in checked,
        mention_on_success=MENTION_ON_SUCCESS in checked,
        default_mode=MoveMode(mode) if mode in set(MoveMode) else MoveMode.MOVE,
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

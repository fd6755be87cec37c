"""Opening a modal from a command or a button: views.open within the trigger's 3 s, or the person told to try again."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.errors import slack_error

log = logging.getLogger(__name__)


def open_modal(
    *, client: WebClient, respond: Respond, trigger_id: str, view: dict[str, Any], again: str
) -> dict[str, Any] | None:
    """The view Slack opened, or None when it would not (a trigger used or past its 3 s): the person then reads
    "Slack did not open the form in time" and `again`, what to do, in a message only they see."""
    try:
        opened = client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        log.warning("views.open of %s failed: %s", view.get("callback_id"), slack_error(exc))
        respond(response_type="ephemeral", replace_original=False, text=f"Slack did not open the form in time. {again}")
        return None
    shown: dict[str, Any] = opened["view"]
    return shown

"""Pure Block Kit builders for `/leads settings`: the modal showing a channel's settings, and what it becomes once
saved. The ids its blocks carry are shared with the listener (handlers/channel_settings.py) and the tests."""

from __future__ import annotations

from typing import Any, Final

from bot.slack.blocks import messages
from handlers.blocks import View, option, plain_text
from storage.channel_settings import ChannelSettings
from storage.models import AnnounceMode
from storage.orders import MoveMode

SETTINGS_MODAL: Final = "channel_settings"
# Each input block's block_id equals its element's action_id, so state is read as values[X][X].
ANNOUNCE: Final = "announce"
FAILURES: Final = "failures"  # checkboxes: the two failure-and-success options
DEFAULT_MODE: Final = "default_mode"
# Where the default mode applies, and where it does not: what people type says itself which they want.
MODE_NOTE: Final = (
    "The default applies to App Home's New move and Run again; `/leads move` always opens a move and "
    "`/leads copy` a copy."
)
BROADCAST_FAILURES: Final = "broadcast_failures"
MENTION_ON_SUCCESS: Final = "mention_on_success"
MENTION_WATCHERS: Final = "mention_watchers"
SAMPLE: Final = "sample"  # checkboxes: whether final replies offer Show moved leads
SHOW_SAMPLE: Final = "show_sample"

_ANNOUNCE_OPTIONS: Final = {
    AnnounceMode.EVERY_JOB: option(AnnounceMode.EVERY_JOB, "Every job", "An announcement and a final reply each"),
    AnnounceMode.FAILURES: option(
        AnnounceMode.FAILURES, "Only failures", "A job that succeeds posts nothing in this channel"
    ),
}
_FAILURE_OPTIONS: Final = {
    BROADCAST_FAILURES: option(
        BROADCAST_FAILURES, "Show failures in the channel", "The reply in the thread is also sent to the channel"
    ),
    MENTION_ON_SUCCESS: option(
        MENTION_ON_SUCCESS, "Mention the requester on success", "A failure always mentions them"
    ),
    MENTION_WATCHERS: option(
        MENTION_WATCHERS, "Mention who set /leads watch when a watched job fails", "Otherwise it mentions no one"
    ),
}
_SAMPLE_OPTION: Final = option(
    SHOW_SAMPLE, "Offer Show moved leads under the final reply", "Only the person who presses it sees the e-mails"
)
_MODE_OPTIONS: Final = {
    MoveMode.MOVE: option(MoveMode.MOVE, "Move", "Take the leads out of the source"),
    MoveMode.COPY: option(MoveMode.COPY, "Copy", "Leave the originals where they are"),
}


def settings_view(*, channel_id: str, current: ChannelSettings) -> View:
    """The modal, showing the channel's settings as they are; the channel rides in private_metadata."""
    checked = [
        _FAILURE_OPTIONS[key]
        for key, on in (
            (BROADCAST_FAILURES, current.broadcast_failures),
            (MENTION_ON_SUCCESS, current.mention_on_success),
            (MENTION_WATCHERS, current.mention_watchers),
        )
        if on
    ]
    failures: dict[str, Any] = {"type": "checkboxes", "action_id": FAILURES, "options": list(_FAILURE_OPTIONS.values())}
    if checked:
        failures["initial_options"] = checked  # Slack refuses an empty initial_options
    sample: dict[str, Any] = {"type": "checkboxes", "action_id": SAMPLE, "options": [_SAMPLE_OPTION]}
    if current.show_sample:
        sample["initial_options"] = [_SAMPLE_OPTION]
    return {
        "type": "modal",
        "callback_id": SETTINGS_MODAL,
        "private_metadata": channel_id,
        "title": plain_text("Channel settings"),
        "submit": plain_text("Save"),
        "close": plain_text("Cancel"),
        "blocks": [
            messages.section(f"How leadmover reports jobs started in <#{channel_id}>."),
            _radio(ANNOUNCE, "Post about", _ANNOUNCE_OPTIONS, current.announce),
            {
                "type": "input",
                "block_id": FAILURES,
                "optional": True,
                "label": plain_text("Replies"),
                "element": failures,
            },
            {
                "type": "input",
                "block_id": SAMPLE,
                "optional": True,
                "label": plain_text("Lead e-mails"),
                "element": sample,
            },
            _radio(DEFAULT_MODE, "New move and Run again start as", _MODE_OPTIONS, current.default_mode),
            messages.context(
                "In a channel shared with another organisation, no e-mail is ever listed: the reply says where to "
                f"see them in Instantly. {MODE_NOTE} Anyone who may move leads may change these settings."
            ),
        ],
    }


def _radio(block_id: str, label: str, options: dict[Any, dict[str, Any]], chosen: str) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain_text(label),
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
        "A watched job that fails mentions who set the watch."
        if saved.mention_watchers
        else "A watched job mentions no one.",
        "A final reply offers Show moved leads, seen only by the person who presses it."
        if saved.show_sample
        else "A final reply offers no e-mail; it says where to see them in Instantly.",
        f"New move and Run again start as a {saved.default_mode.value}. {MODE_NOTE}",
    ]
    return {
        "type": "modal",
        "callback_id": f"{SETTINGS_MODAL}_saved",
        "title": plain_text("Channel settings"),
        "close": plain_text("Done"),
        "blocks": [messages.section("\n".join(lines))],
    }

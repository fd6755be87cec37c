"""Looking in Slack before posting again: a write a crash (or a lost answer) left "maybe sent" is looked for in the
one place it went, by the job carried in its message metadata, so nothing is posted twice. Also Slack's error codes
the reporter and the writer share.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final, NamedTuple

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.errors import REVOKED, slack_error
from bot.slack.pacing import Spacing
from storage.models import NotificationState
from storage.outbox import Notification

log = logging.getLogger(__name__)

# Slack's 2025 limits for apps outside the Marketplace: conversations.history and .replies once a minute per
# workspace, at most 15 messages each.
HISTORY_SPACING_SECONDS: Final = 60.0
HISTORY_LIMIT: Final = 15
# Where a message that several jobs share lists them all in its metadata, as "12,13,14" (job_id names the first).
SHARED_IDS_KEY: Final = "job_ids"
# Our clock and Slack's may differ a little; a message sent at `attempted_at` is looked for from a bit before.
CLOCK_SKEW_SECONDS: Final = 5.0

# The Slack client that speaks for leadmover in a workspace (bot.workspaces.NotInstalled if there is none).
SlackFor = Callable[[str], WebClient]


class Found(NamedTuple):
    """A message an earlier attempt got out, and every job it names (more than one when jobs share it)."""

    channel: str
    ts: str
    job_ids: tuple[int, ...]


def names_job(payload: Mapping[str, Any], job_id: int) -> tuple[int, ...] | None:
    """The jobs a message's metadata names, when `job_id` is one of them; else None."""
    shared = str(payload.get(SHARED_IDS_KEY) or "")
    named = tuple(int(part) for part in shared.split(",") if part.isdecimal()) or (payload.get("job_id"),)
    return tuple(i for i in named if isinstance(i, int)) if job_id in named else None


class LookLater(Exception):
    """A write whose fate is unknown must be looked for before it is sent again, and looking must wait."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"looking for an earlier post must wait {seconds:.0f}s (Slack's history limit)")
        self.seconds = seconds


class Lookback:
    """Finds a job's message that an earlier attempt may have posted, within Slack's history limit."""

    def __init__(self, *, slack: SlackFor, spacing: float = HISTORY_SPACING_SECONDS) -> None:
        self._slack = slack
        self._history = Spacing(interval=spacing)

    def posted_before(
        self, notification: Notification, *, team_id: str, job_id: int, thread_ts: str | None, event: str
    ) -> Found | None:
        """This job's message if an earlier attempt got it out; asked only after such an attempt.

        Slack gives apps outside its Marketplace one history request a minute, of at most 15 messages: so only a
        write whose fate is unknown is looked for, in the one place its attempt went, from the moment it was sent,
        and a workspace that looked less than a minute ago waits (LookLater) rather than posting blindly.
        """
        if notification.state != NotificationState.SENDING or notification.attempted_at is None:
            return None
        place = notification.sent_to or notification.channel_id
        if not self._history.try_take(notification.team_id):
            raise LookLater(self._history.wait_time(notification.team_id))
        found = find_message(self._slack(team_id), place, thread_ts, event, job_id, since=notification.attempted_at)
        if found is not None:
            log.info("job %s: found its %s already in Slack (%s); not posting again", job_id, event, found[1])
        return found


def find_message(
    slack: WebClient, channel: str, thread_ts: str | None, event: str, job_id: int, *, since: datetime
) -> Found | None:
    oldest = f"{since.replace(tzinfo=UTC).timestamp() - CLOCK_SKEW_SECONDS:.6f}"
    try:
        if channel.startswith(("U", "W")):
            channel = str(slack.conversations_open(users=channel)["channel"]["id"])
        if thread_ts:
            page = slack.conversations_replies(
                channel=channel, ts=thread_ts, oldest=oldest, include_all_metadata=True, limit=HISTORY_LIMIT
            )
        else:
            page = slack.conversations_history(
                channel=channel, oldest=oldest, include_all_metadata=True, limit=HISTORY_LIMIT
            )
    except SlackApiError as exc:
        if slack_error(exc) in REVOKED or slack_error(exc) == "ratelimited":
            raise
        # Cannot look (no access, or no such channel): posting is better than losing the message.
        log.info("could not look for an earlier post in %s: %s", channel, slack_error(exc))
        return None
    for message in page.get("messages") or []:
        metadata = message.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        named = names_job(payload, job_id) if metadata.get("event_type") == event else None
        if named is not None:
            return Found(channel, str(message["ts"]), named)
    return None

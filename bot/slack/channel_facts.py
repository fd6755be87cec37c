"""Whether a Slack channel is shared with another organisation (conversations.info), remembered briefly per channel;
when Slack cannot say, the answer is "unknown" (None), which callers take as shared."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.slack.errors import slack_error
from bot.slack.lookback import SlackFor
from bot.workspaces import NotInstalled

log = logging.getLogger(__name__)

FACTS_CACHE_SECONDS: Final = 300.0  # a channel is rarely shared or unshared; a few minutes late is fine
_MAX_CHANNELS: Final = 10_000


@dataclass(frozen=True)
class _Seen:
    at: float
    outside: bool


def shared_outside(channel: Mapping[str, Any], *, team_id: str) -> bool:
    """Whether a conversation object (Slack's conversations.info) reaches people of another organisation: Slack
    Connect (is_ext_shared, or on its way there), or shared with another workspace outside this one's Grid org.

    A channel shared only inside a Grid organisation (is_org_shared) stays inside the company.
    """
    if channel.get("is_ext_shared") or channel.get("is_pending_ext_shared"):
        return True
    if channel.get("is_org_shared"):
        return False
    others = {str(team) for team in channel.get("shared_team_ids") or []} - {team_id}
    return bool(channel.get("is_shared")) or bool(others)


class ChannelFacts:
    def __init__(self, *, slack: SlackFor, clock: Callable[[], float] = time.monotonic) -> None:
        self._slack = slack
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], _Seen] = {}

    def shared_outside(self, *, team_id: str, channel_id: str) -> bool | None:
        """Whether people of another organisation read the channel; None when Slack cannot say (an error, a missing
        scope, a private channel leadmover is not in). Only answers are remembered, never a failure to get one."""
        key, now = (team_id, channel_id), self._clock()
        with self._lock:
            cached = self._seen.get(key)
        if cached is not None and now - cached.at < FACTS_CACHE_SECONDS:
            return cached.outside
        outside = self._read(team_id, channel_id)
        if outside is None:
            return None
        with self._lock:
            if len(self._seen) > _MAX_CHANNELS:
                self._seen.clear()
            self._seen[key] = _Seen(at=now, outside=outside)
        return outside

    def _read(self, team_id: str, channel_id: str) -> bool | None:
        try:
            answer = self._slack(team_id).conversations_info(channel=channel_id)
        except SlackApiError as exc:
            log.info("could not read channel %s in %s: %s", channel_id, team_id, slack_error(exc))
            return None
        except (SlackClientError, NotInstalled, OSError) as exc:
            log.warning("could not read channel %s in %s: %s", channel_id, team_id, exc)
            return None
        channel = answer.get("channel")
        if not isinstance(channel, Mapping):
            log.warning("conversations.info of %s in %s named no channel", channel_id, team_id)
            return None
        return shared_outside(channel, team_id=team_id)

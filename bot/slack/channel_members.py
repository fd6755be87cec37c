"""Whether a person is in a Slack channel (conversations.members), read a page at a time until they turn up, and
remembered briefly per channel; when Slack cannot say, the answer is "unknown", never "no" or "yes"."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.slack.errors import slack_error
from bot.slack.lookback import SlackFor
from bot.workspaces import NotInstalled

log = logging.getLogger(__name__)

MEMBERS_CACHE_SECONDS: Final = 120.0
PAGE_SIZE: Final = 200  # Slack recommends no more than 200 a page
MAX_PAGES: Final = 10  # a person waits for the answer: past 2,000 members leadmover stops and cannot tell
_MAX_CHANNELS: Final = 10_000


@dataclass(frozen=True)
class _Seen:
    at: float
    members: frozenset[str]
    complete: bool  # the whole list was read, so someone not in it is not a member


class ChannelMembers:
    def __init__(self, *, slack: SlackFor, clock: Callable[[], float] = time.monotonic) -> None:
        self._slack = slack
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], _Seen] = {}

    def includes(self, *, team_id: str, channel_id: str, user_id: str) -> bool | None:
        """Whether the person is a member of the channel; None when Slack cannot say (an error, a private channel
        leadmover is not in, a rate limit, a channel too big to read while someone waits)."""
        if channel_id.startswith("D"):
            return None  # a DM's members are its person and leadmover; reading one would need im:read
        key, now = (team_id, channel_id), self._clock()
        with self._lock:
            cached = self._seen.get(key)
        if cached is not None and now - cached.at < MEMBERS_CACHE_SECONDS:
            if user_id in cached.members:
                return True
            if cached.complete:
                return False
        seen = self._read(team_id, channel_id, user_id, now)
        if seen is None:
            return None
        with self._lock:
            if len(self._seen) > _MAX_CHANNELS:
                self._seen.clear()
            self._seen[key] = seen
        if user_id in seen.members:
            return True
        return False if seen.complete else None

    def _read(self, team_id: str, channel_id: str, user_id: str, now: float) -> _Seen | None:
        """The members read until the person turned up or the list ended (or MAX_PAGES); None if Slack failed."""
        members: set[str] = set()
        cursor: str | None = None
        try:
            client = self._slack(team_id)
            for _ in range(MAX_PAGES):
                page = client.conversations_members(channel=channel_id, limit=PAGE_SIZE, cursor=cursor)
                members.update(str(member) for member in page.get("members") or [])
                cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "") or None
                if user_id in members or cursor is None:
                    break
        except SlackApiError as exc:
            log.info("could not read the members of %s in %s: %s", channel_id, team_id, slack_error(exc))
            return None
        except (SlackClientError, NotInstalled, OSError) as exc:
            log.warning("could not read the members of %s in %s: %s", channel_id, team_id, exc)
            return None
        return _Seen(at=now, members=frozenset(members), complete=cursor is None)

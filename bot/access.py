"""Who may do what in a workspace. Today: who is an admin (a Slack workspace admin or owner), read with
users.info and remembered for at most ten minutes, so a demotion takes effect soon without asking Slack each time."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Final

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.workspaces import NotInstalled

log = logging.getLogger(__name__)

ADMIN_CACHE_SECONDS: Final = 600.0


class AccessService:
    def __init__(self, *, slack: Callable[[str], WebClient], clock: Callable[[], float] = time.monotonic) -> None:
        self._slack = slack
        self._clock = clock
        self._lock = threading.Lock()
        self._admins: dict[tuple[str, str], tuple[float, bool]] = {}

    def is_admin(self, *, team_id: str, user_id: str) -> bool:
        """Whether the person is an admin or owner of the Slack workspace; False when Slack cannot say."""
        key, now = (team_id, user_id), self._clock()
        with self._lock:
            cached = self._admins.get(key)
        if cached is not None and now - cached[0] < ADMIN_CACHE_SECONDS:
            return cached[1]
        try:
            user = self._slack(team_id).users_info(user=user_id)["user"] or {}
        except (SlackApiError, NotInstalled) as exc:
            log.warning("could not read %s's role in %s: %s", user_id, team_id, exc)
            return False
        admin = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        admin = admin and user.get("team_id", team_id) == team_id and not user.get("deleted")
        with self._lock:
            if len(self._admins) > 50_000:
                self._admins.clear()
            self._admins[key] = (now, admin)
        return admin

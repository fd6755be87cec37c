"""A sentence for one channel, or one person by DM, outside any job's thread: what a schedule did on its own (a run
skipped, a schedule paused). Said once by the one process that handled it; Slack's refusal is logged, never raised."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.slack.errors import slack_error
from bot.slack.lookback import SlackFor
from bot.workspaces import NotInstalled

log = logging.getLogger(__name__)


class Notices:
    def __init__(self, *, slack: SlackFor) -> None:
        self._slack = slack

    def tell(self, team_id: str, where: str, text: str) -> None:
        """Post `text` in channel `where` (or, for a user id, by DM)."""
        self.post(team_id, where, text)

    def post(self, team_id: str, where: str, text: str, blocks: list[dict[str, Any]] | None = None) -> str | None:
        """Post a message (with `blocks`, when given); its ts, or None when Slack refused it."""
        try:
            answer = self._slack(team_id).chat_postMessage(channel=where, text=text, blocks=blocks, unfurl_links=False)
        except SlackApiError as exc:
            log.warning("could not tell %s in %s: %s", where, team_id, slack_error(exc))
            return None
        except (NotInstalled, OSError) as exc:
            log.warning("could not tell %s in %s: %s", where, team_id, exc)
            return None
        return str(answer.get("ts") or "") or None

    def replace(self, team_id: str, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        """Edit a message posted earlier (a request for approval, once decided)."""
        try:
            self._slack(team_id).chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError as exc:
            log.warning("could not edit %s in %s: %s", ts, team_id, slack_error(exc))
        except (NotInstalled, OSError) as exc:
            log.warning("could not edit %s in %s: %s", ts, team_id, exc)

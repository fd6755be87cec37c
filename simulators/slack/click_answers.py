"""What the response_url of a click in a message does with the app's posts, as Slack does it: ``delete_original``
deletes the message clicked in, ``replace_original`` replaces it whole (text and blocks), anything else is a new
message in the same place, ephemeral to the person who clicked unless ``response_type`` is ``in_channel``. When
that cannot be done the post is answered with HTTP 404 and the reason (``message_not_found`` for a message gone).

The message may be the clicker's own ephemeral message: those live in one list for every workspace (`ephemerals`),
where a deleted one stays, marked ``deleted``, so that counts and positions tests took stay valid.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from simulators.slack.messages import assign_ids
from simulators.slack.protocol import JSON, ApiError, Workspace, truthy
from simulators.slack.teams import Teams


class ClickAnswers:
    """Makes the response_url callbacks of clicks, and finds and rewrites ephemeral messages."""

    def __init__(self, *, teams: Teams) -> None:
        self._teams = teams
        self._lock = threading.Lock()

    def to_message(
        self, ws: Workspace, channel_id: str, ts: str, *, user_id: str, thread_ts: str | None
    ) -> Callable[[JSON], str | None]:
        """What each post to the response_url of a click by `user_id` in message `ts` does; it returns the error
        when it cannot. Not an app bug: another person's click may have deleted the message a moment before."""
        chats = self._teams.conversations(ws.team_id)

        def answer(body: JSON) -> str | None:
            delete, replace = truthy(body.get("delete_original")), truthy(body.get("replace_original"))
            if delete or replace:
                text, blocks = str(body.get("text") or ""), body.get("blocks")
                done = self._rewrite_ephemeral(ws.team_id, channel_id, ts, text=text, blocks=blocks, delete=delete)
                if done or chats.rewrite(channel_id, ts, text=text, blocks=blocks, delete=delete):
                    return None
                return "message_not_found"
            args = {key: body.get(key) for key in ("text", "blocks", "attachments")}
            args |= {"channel": channel_id, "thread_ts": body.get("thread_ts") or thread_ts}
            try:
                if body.get("response_type") == "in_channel":
                    chats.chat_post_message(args)
                else:
                    chats.chat_post_ephemeral(args | {"user": user_id})
            except ApiError as exc:
                return exc.error
            return None

        return answer

    def ephemeral(self, team_id: str, channel_id: str, ts: str) -> dict[str, Any] | None:
        """The ephemeral message `ts` of a channel of workspace `team_id`, unless deleted."""
        with self._lock:
            return next(
                (
                    entry
                    for entry in self._teams.ephemerals
                    if (entry["team_id"], entry["channel"], entry["message_ts"]) == (team_id, channel_id, ts)
                    and not entry.get("deleted")
                ),
                None,
            )

    def _rewrite_ephemeral(
        self, team_id: str, channel_id: str, ts: str, *, text: str, blocks: list[JSON] | None, delete: bool
    ) -> bool:
        entry = self.ephemeral(team_id, channel_id, ts)
        if entry is None:
            return False
        with self._lock:
            entry.update({"deleted": True} if delete else {"text": text, "blocks": assign_ids(blocks) or []})
        return True

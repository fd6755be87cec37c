"""How a job started elsewhere is named to a channel: its type, what it touches and who started it, with the
workspace's Instantly members read once every MEMBERS_SECONDS."""

from __future__ import annotations

import logging
import time
from typing import Final

from bot.instantly.errors import InstantlyError
from bot.instantly.schemas import BackgroundJob
from bot.moves import InstantlyFor
from bot.slack.blocks.messages import escape, job_type_words
from bot.workspaces import NotInstalled, Workspaces

log = logging.getLogger(__name__)

# How long the Instantly members' names are trusted: a new member is named within this.
MEMBERS_SECONDS: Final = 600.0


class JobHeadlines:
    def __init__(self, *, workspaces: Workspaces, instantly: InstantlyFor) -> None:
        self._workspaces = workspaces
        self._instantly = instantly
        self._members: dict[str, tuple[float, dict[str, str]]] = {}

    def headline(self, team_id: str, job: BackgroundJob) -> str:
        """The type, what it touches and who started it: "Import leads into list *Acme inbound*, started by Ann Lee"."""
        kind = job_type_words(job.type)
        touched = self._touched(team_id, job)
        preposition = {"import-leads": "into", "export-leads": "from", "move-leads": "from"}.get(job.type, "on")
        what = f"{kind} {preposition} {touched}" if touched else kind
        return f"{what}, started by {self._who(team_id, job.user_id)}"

    def _touched(self, team_id: str, job: BackgroundJob) -> str | None:
        kind = {"campaign": "campaign", "list": "list", "lead_list": "list"}.get((job.entity_type or "").lower())
        if kind is None or not job.entity_id:
            return None
        try:
            names = self._workspaces.pickers(team_id).names([f"{kind}:{job.entity_id}"], timeout=2.0)
        except (InstantlyError, TimeoutError, NotInstalled):
            names = {}
        name = names.get(f"{kind}:{job.entity_id}")
        return f"{kind} *{escape(name)}*" if name else f"a {kind}"

    def _who(self, team_id: str, user_id: str | None) -> str:
        """The Instantly member who started a job, by name; "the API" when Instantly names no one, and "a tool"
        when it names someone who is not a member (an integration's own user)."""
        if not user_id:
            return "the API"
        read_at, members = self._members.get(team_id, (0.0, {}))
        if time.monotonic() - read_at > MEMBERS_SECONDS:
            try:
                page = self._instantly(team_id).list_members(limit=100)
                members = {m.user_id: m.display_name for m in page.items if m.user_id}
            except InstantlyError as exc:
                log.info("members of workspace %s unknown just now: %s", team_id, exc)
            self._members[team_id] = (time.monotonic(), members)
        return escape(members[user_id]) if user_id in members else "a tool"

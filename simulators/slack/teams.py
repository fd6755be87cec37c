"""The workspaces the fake Slack serves: each one's ids and its own channels, and which workspace owns a channel id.

Channel ids are unique across Slack, so one directory says whose channel an id is; that is how a call with one
workspace's token on another workspace's channel is caught. DMs (``D<user>``) are per workspace and stay out of it.
"""

from __future__ import annotations

import threading
from typing import Any

from simulators.slack.conversations import Conversations
from simulators.slack.protocol import Workspace
from simulators.slack.users import Users


class ChannelDirectory:
    """Which workspace each public or private channel id belongs to."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: dict[str, str] = {}

    def owner(self, channel_id: str) -> str | None:
        return self._owner.get(channel_id)

    def claim(self, channel_id: str, team_id: str) -> str:
        """Give the channel to `team_id` unless a workspace has it already; its owner either way."""
        with self._lock:
            return self._owner.setdefault(channel_id, team_id)


class Teams:
    """Every workspace by team id, with its channels; the default one always exists."""

    def __init__(self, *, default: Workspace, keep_history: bool, users: Users) -> None:
        self.default_id = default.team_id
        self.directory = ChannelDirectory()
        self.ephemerals: list[dict[str, Any]] = []  # one list for every workspace, in the order they were posted
        self._keep_history = keep_history
        self._users = users
        self._lock = threading.Lock()
        self._workspaces: dict[str, Workspace] = {}
        self._conversations: dict[str, Conversations] = {}
        self._visible: dict[str, frozenset[str]] = {}
        self._register(default)

    def add(
        self,
        team_id: str,
        *,
        name: str,
        domain: str,
        enterprise_id: str | None = None,
        enterprise_name: str | None = None,
    ) -> Workspace:
        """Register another workspace of the same app; its bot ids derive from the team id (``U0BOT`` + suffix)."""
        if not (team_id[:1] == "T" and team_id.isalnum() and team_id.isupper()):
            raise ValueError(f"{team_id!r} is not a Slack team id (T…)")
        if enterprise_id is not None and not (enterprise_id[:1] == "E" and enterprise_id.isalnum()):
            raise ValueError(f"{enterprise_id!r} is not a Slack enterprise id (E…)")
        default = self.workspace()
        suffix = team_id[1:]
        workspace = Workspace(
            team_id=team_id,
            team_domain=domain,
            app_id=default.app_id,
            bot_id=f"B0BOT{suffix}",
            bot_user_id=f"U0BOT{suffix}",
            verification_token=default.verification_token,
            team_name=name,
            enterprise_id=enterprise_id,
            enterprise_name=enterprise_name if enterprise_id else None,
        )
        with self._lock:
            if team_id in self._workspaces:
                raise ValueError(f"team {team_id} is already registered")
        self._register(workspace)
        return workspace

    def get(self, team_id: str) -> Workspace | None:
        return self._workspaces.get(team_id)

    def workspace(self, team_id: str | None = None) -> Workspace:
        """The workspace with this id (the default one for None); ValueError for an unknown team."""
        found = self._workspaces.get(team_id or self.default_id)
        if found is None:
            raise ValueError(f"unknown team {team_id!r}; register it with add_team()")
        return found

    def all(self) -> list[Workspace]:
        with self._lock:
            return list(self._workspaces.values())

    def conversations(self, team_id: str | None = None) -> Conversations:
        found = self._conversations.get(team_id or self.default_id)
        if found is None:
            raise ValueError(f"unknown team {team_id!r}; register it with add_team()")
        return found

    def conversations_for(self, channel: str, team_id: str | None) -> Conversations:
        """The workspace holding `channel`: `team_id` if given, else the channel's owner, else the default one."""
        owner = team_id or self.directory.owner(channel) or self.default_id
        return self.conversations(owner)

    def in_enterprise(self, enterprise_id: str) -> list[str]:
        """The team ids of every registered workspace in an enterprise, in the order they were added."""
        with self._lock:
            return [ws.team_id for ws in self._workspaces.values() if ws.enterprise_id == enterprise_id]

    def visible(self, team_id: str) -> frozenset[str]:
        """The workspaces whose members a token of `team_id` can see: its own, or its whole organization's."""
        return self._visible.get(team_id, frozenset({team_id}))

    def bots(self, team_ids: frozenset[str]) -> dict[str, Workspace]:
        """Bot user id -> workspace, for the bot users of these workspaces."""
        return {ws.bot_user_id: ws for ws in self.all() if ws.team_id in team_ids}

    def _register(self, workspace: Workspace) -> None:
        conversations = Conversations(
            workspace=workspace,
            keep_history=self._keep_history,
            directory=self.directory,
            users=self._users,
            visible=lambda: self.visible(workspace.team_id),
            ephemerals=self.ephemerals,
        )
        with self._lock:
            self._workspaces[workspace.team_id] = workspace
            self._conversations[workspace.team_id] = conversations
            # Members of an Enterprise Grid organization are seen from each of its workspaces.
            self._visible = {
                ws.team_id: frozenset(
                    other.team_id
                    for other in self._workspaces.values()
                    if other.team_id == ws.team_id or (ws.enterprise_id and other.enterprise_id == ws.enterprise_id)
                )
                for ws in self._workspaces.values()
            }

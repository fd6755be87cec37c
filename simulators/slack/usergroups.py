"""User groups (``S…``, mentioned as @handle) of the fake Slack's workspaces and organizations, and the
usergroups.users.list and usergroups.list Web API methods that read them in Slack's shape.

A group belongs to one workspace (``T…``) or, in an Enterprise Grid, to a whole organization (``E…``), where each of
its workspaces sees it. Asking about another workspace's group fails as if it did not exist, and is recorded as an
app bug: the app mixed its workspaces up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from simulators.slack.protocol import JSON, ApiError, Workspace, is_id, truthy
from simulators.slack.teams import Teams


@dataclass(frozen=True)
class UserGroup:
    """A user group as Slack keeps it; `team_id` is its workspace, or its organization's ``E…`` id."""

    id: str
    team_id: str
    handle: str
    name: str
    users: tuple[str, ...]
    disabled: bool = False
    created: int = 0
    updated: int = 0


class UserGroups:
    """Every user group by id; answers the usergroups.* methods for the workspace a token acts in."""

    def __init__(self, *, teams: Teams) -> None:
        self._teams = teams
        self._lock = threading.Lock()
        self._groups: dict[str, UserGroup] = {}

    # ------------------------------------------------------------------ setup, for tests

    def add_usergroup(
        self,
        usergroup_id: str,
        *,
        team_id: str | None = None,
        handle: str,
        name: str | None = None,
        users: Sequence[str] = (),
        disabled: bool = False,
    ) -> None:
        """Register (or replace) a user group of a workspace (the default one) or, with an ``E…`` id, of an
        organization; `disabled` groups are found only with include_disabled."""
        if not is_id(usergroup_id, "S"):
            raise ValueError(f"{usergroup_id!r} is not a Slack user group id (S…)")
        owner = self._owner(team_id)
        handle = handle.removeprefix("@")
        now = int(time.time())
        with self._lock:
            clash = next((g for g in self._groups.values() if g.handle == handle and g.team_id == owner), None)
            if clash is not None and clash.id != usergroup_id:
                raise ValueError(f"@{handle} is already user group {clash.id} of {owner}")
            self._groups[usergroup_id] = UserGroup(
                id=usergroup_id,
                team_id=owner,
                handle=handle,
                name=name or handle,
                users=_members(users),
                disabled=disabled,
                created=now,
                updated=now,
            )

    def set_usergroup_users(self, usergroup_id: str, users: Sequence[str]) -> None:
        """Replace the members of a registered user group (as usergroups.users.update does)."""
        with self._lock:
            group = self._groups.get(usergroup_id)
            if group is None:
                raise ValueError(f"unknown user group {usergroup_id!r}; register it with add_usergroup()")
            self._groups[usergroup_id] = replace(group, users=_members(users), updated=int(time.time()))

    def get(self, usergroup_id: str) -> UserGroup | None:
        return self._groups.get(usergroup_id)

    def with_handle(self, handle: str, ws: Workspace) -> UserGroup | None:
        """The enabled group @handle that people of workspace `ws` can mention, else None."""
        with self._lock:
            groups = list(self._groups.values())
        return next((g for g in groups if g.handle == handle and not g.disabled and _sees(ws, g)), None)

    # ------------------------------------------------------------------ Web API methods

    def usergroups_users_list(self, args: JSON, *, ws: Workspace, org_token: bool) -> JSON:
        method = "usergroups.users.list"
        self._check_team(args, method, org_token=org_token)
        usergroup_id = str(args.get("usergroup") or "")
        if not usergroup_id:
            raise ApiError(
                "invalid_arguments",
                messages=["[ERROR] missing required field: usergroup"],
                violation=f"{method}: no usergroup given",
            )
        group = self._groups.get(usergroup_id)
        if group is not None and not _sees(ws, group):
            raise ApiError(
                "no_such_subteam",
                violation=f"{method}: used team {ws.team_id}'s token on {group.team_id}'s user group {group.id}",
            )
        if group is None or (group.disabled and not truthy(args.get("include_disabled"))):
            raise ApiError("no_such_subteam")
        return {"users": list(group.users)}

    def usergroups_list(self, args: JSON, *, ws: Workspace, org_token: bool) -> JSON:
        self._check_team(args, "usergroups.list", org_token=org_token)
        disabled = truthy(args.get("include_disabled"))
        with self._lock:
            groups = [g for g in self._groups.values() if _sees(ws, g) and (disabled or not g.disabled)]
        users, count = truthy(args.get("include_users")), truthy(args.get("include_count"))
        return {"usergroups": [_group_object(g, users=users, count=count) for g in groups]}

    # ------------------------------------------------------------------ helpers

    def _owner(self, team_id: str | None) -> str:
        if team_id is not None and team_id.startswith("E"):
            if not self._teams.in_enterprise(team_id):
                raise ValueError(f"no registered workspace is in organization {team_id!r}")
            return team_id
        return self._teams.workspace(team_id).team_id

    @staticmethod
    def _check_team(args: JSON, method: str, *, org_token: bool) -> None:
        # Slack requires team_id with an org-wide token: the organization alone does not say whose groups to read.
        if org_token and not args.get("team_id"):
            raise ApiError("missing_argument", violation=f"{method}: an org-wide token needs a team_id argument")


def _sees(ws: Workspace, group: UserGroup) -> bool:
    return group.team_id == ws.team_id or (ws.enterprise_id is not None and group.team_id == ws.enterprise_id)


def _members(users: Sequence[str]) -> tuple[str, ...]:
    if isinstance(users, str):
        raise ValueError("users must be a list of user ids, not one string")
    for user_id in users:
        if not is_id(user_id, "UW"):
            raise ValueError(f"{user_id!r} is not a Slack user id (U… or W…)")
    return tuple(dict.fromkeys(users))  # Slack keeps each member once


def _group_object(group: UserGroup, *, users: bool, count: bool) -> JSON:
    """A usergroup object as usergroups.list answers it."""
    answer: dict[str, Any] = {
        "id": group.id,
        "team_id": group.team_id,
        "is_usergroup": True,
        "is_subteam": True,
        "name": group.name,
        "description": "",
        "handle": group.handle,
        "is_external": False,
        "date_create": group.created,
        "date_update": group.updated,
        "date_delete": group.updated if group.disabled else 0,
        "auto_type": None,
        "created_by": "USLACKBOT",
        "updated_by": "USLACKBOT",
        "deleted_by": "USLACKBOT" if group.disabled else None,
        "prefs": {"channels": [], "groups": []},
    }
    if users:
        answer["users"] = list(group.users)
    if count:
        answer["user_count"] = len(group.users)
    return answer

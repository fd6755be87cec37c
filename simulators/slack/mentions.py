"""Mentions in slash command text, as Slack sends them when the command has "Escape channels, users, and links"
(``should_escape: true``) on: ``@alice`` arrives as ``<@U0ALICE|alice>``, ``@sales-leads`` as
``<!subteam^S0LEADS|@sales-leads>``, and ``&``, ``<``, ``>`` typed by the person as ``&amp;``, ``&lt;``, ``&gt;``.
"""

from __future__ import annotations

import html
import re

from simulators.slack.payloads import username_for
from simulators.slack.protocol import is_id
from simulators.slack.teams import Teams
from simulators.slack.usergroups import UserGroups
from simulators.slack.users import Users

# What Slack itself writes in angle brackets (mentions, channel links, special mentions): never escaped again.
_TOKEN = re.compile(r"(<(?:@[UW][A-Z0-9]+|#[CG][A-Z0-9]+|!subteam\^S[A-Z0-9]+|![a-z]+)(?:\|[^<>]*)?>)")
# @name as a person types it: letters, digits, dots, dashes and underscores, not ending in punctuation.
_AT_NAME = re.compile(r"(?<![\w@])@(\w(?:[\w.\-]*\w)?)")


class Mentions:
    """Writes mentions of registered people and user groups the way an escaping slash command carries them."""

    def __init__(self, *, teams: Teams, users: Users, groups: UserGroups) -> None:
        self._teams = teams
        self._users = users
        self._groups = groups

    def mention(self, user_id: str) -> str:
        """``<@U…|name>``: a user as escaped command text names them (with their registered name, if any)."""
        if not is_id(user_id, "UW"):
            raise ValueError(f"{user_id!r} is not a Slack user id (U… or W…)")
        person = self._users.get(user_id)
        return f"<@{user_id}|{person.name if person is not None else username_for(user_id)}>"

    def group_mention(self, usergroup_id: str) -> str:
        """``<!subteam^S…|@handle>``: a registered user group as escaped command text names it."""
        group = self._groups.get(usergroup_id)
        if group is None:
            raise ValueError(f"unknown user group {usergroup_id!r}; register it with add_usergroup()")
        return f"<!subteam^{group.id}|@{group.handle}>"

    def escape(self, text: str, *, team_id: str | None = None) -> str:
        """`text` as typed in workspace `team_id`, as an escaping command delivers it: each @name of a person or
        user group that workspace knows becomes its mention (unless `strict_users`, @bob is U0BOB when nobody
        registered that id), other @words stay as typed, and &, <, > outside Slack's own tokens become entities."""
        ws = self._teams.workspace(team_id)
        visible = self._teams.visible(ws.team_id)

        def linked(match: re.Match[str]) -> str:
            name = match.group(1)
            person = self._users.named(name, visible)
            if person is not None:
                return f"<@{person.id}|{person.name}>"
            group = self._groups.with_handle(name, ws)
            if group is not None:
                return f"<!subteam^{group.id}|@{group.handle}>"
            # Unless strict, the fake's world has everyone U0ALICE-style ids name: @bob is U0BOB, unregistered.
            conventional = f"U0{name.upper()}"
            if not self._users.strict and is_id(conventional, "U") and self._users.get(conventional) is None:
                return f"<@{conventional}|{name}>"
            return match.group(0)

        parts = _TOKEN.split(text)
        # split() with one group alternates: plain text at even positions, Slack's tokens at odd ones.
        return "".join(
            part if i % 2 else _AT_NAME.sub(linked, html.escape(part, quote=False)) for i, part in enumerate(parts)
        )

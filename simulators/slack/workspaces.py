"""Setting up the fake Slack's world for a test: its workspaces, their channels and people, and their tokens' clock.

FakeSlack hands these methods out as its own; each workspace defaults to the default one (the constructor's team).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from simulators.slack.conversations import Message
from simulators.slack.payloads import username_for
from simulators.slack.protocol import Workspace
from simulators.slack.teams import Teams
from simulators.slack.tokens import Clock, TokenBook
from simulators.slack.users import Person, Users
from simulators.slack.views import Views


class Workspaces:
    """Registers workspaces, channels and people, and looks them up, for the tests driving the fake."""

    def __init__(self, *, teams: Teams, users: Users, views: Views, tokens: TokenBook, clock: Clock) -> None:
        self._teams = teams
        self._users = users
        self._views = views
        self._tokens = tokens
        self._clock = clock

    def add_team(
        self,
        team_id: str,
        *,
        name: str,
        domain: str,
        enterprise_id: str | None = None,
        enterprise_name: str | None = None,
    ) -> None:
        """Register another workspace of the app (bot ids ``U0BOT``/``B0BOT`` + the team id's tail); install() it."""
        self._teams.add(team_id, name=name, domain=domain, enterprise_id=enterprise_id, enterprise_name=enterprise_name)

    def team(self, team_id: str | None = None) -> Workspace:
        """The ids of a workspace (the default one for None): bot_user_id, bot_id, team_domain, enterprise_id..."""
        return self._teams.workspace(team_id)

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        bot_is_member: bool = True,
        private: bool = False,
        members: Iterable[str] = (),
        team_id: str | None = None,
        shared_with: Iterable[str] = (),
    ) -> None:
        """Add a channel to a workspace (the default one), public or `private`, with its `members` (the bot is one
        when `bot_is_member`, and so is whoever typed a command there); ValueError if another workspace has that id.

        `shared_with` names the other workspaces it is shared with, registered or not: one of the host's Grid
        organization makes it org-shared, any other makes it a Slack Connect channel (is_ext_shared)."""
        host = self._teams.workspace(team_id)
        partners = tuple(dict.fromkeys(t for t in shared_with if t != host.team_id))

        def same_org(team: str) -> bool:
            found = self._teams.get(team)
            return found is not None and host.enterprise_id is not None and found.enterprise_id == host.enterprise_id

        self._teams.conversations(team_id).add_channel(
            channel_id,
            name,
            bot_is_member=bot_is_member,
            private=private,
            members=members,
            shared_with=partners,
            org_shared=any(same_org(t) for t in partners),
            ext_shared=any(not same_org(t) for t in partners),
        )

    def messages(self, channel: str, *, team_id: str | None = None) -> list[Message]:
        """Top-level messages of a channel (or a user's DM, in `team_id` or the default workspace), oldest first."""
        return self._teams.conversations_for(channel, team_id).messages(channel)

    def replies(self, channel: str, thread_ts: str, *, team_id: str | None = None) -> list[Message]:
        """Replies in a thread (not the parent), oldest first."""
        return self._teams.conversations_for(channel, team_id).replies(channel, thread_ts)

    def add_user(
        self,
        user_id: str,
        *,
        team_id: str | None = None,
        name: str | None = None,
        real_name: str = "",
        is_admin: bool = False,
        is_owner: bool = False,
        is_primary_owner: bool = False,
        is_restricted: bool = False,
        is_ultra_restricted: bool = False,
        is_bot: bool = False,
        deleted: bool = False,
        shared_with: tuple[str, ...] = (),
    ) -> None:
        """Register a member of a workspace (the default one); `shared_with` names workspaces it is shared into
        (Slack Connect), where users.info shows it with its own home team_id."""
        ws = self._teams.workspace(team_id)
        for other in shared_with:
            self._teams.workspace(other)
        person = Person(
            id=user_id,
            team_id=ws.team_id,
            name=name or username_for(user_id),
            real_name=real_name,
            is_admin=is_admin,
            is_owner=is_owner,
            is_primary_owner=is_primary_owner,
            is_restricted=is_restricted,
            is_ultra_restricted=is_ultra_restricted,
            is_bot=is_bot,
            deleted=deleted,
            shared_with=tuple(shared_with),
            enterprise_id=ws.enterprise_id,
            enterprise_name=ws.enterprise_name,
            updated=int(time.time()),
        )
        self._users.add(person)

    def issue_trigger_id(self, *, team_id: str | None = None) -> str:
        """A fresh trigger_id of a workspace (the default one), valid once for ``trigger_ttl`` seconds."""
        return self._views.issue_trigger_id(team_id=self._teams.workspace(team_id).team_id)

    # ------------------------------------------------------------------ tokens

    def install_token(self, *, team_id: str, enterprise_install: bool = False) -> str:
        """Install the app into a workspace (or, org-wide, its organization) without a browser, as if it had been
        installed before: a bot token that never expires (for tests and benchmarks of many workspaces)."""
        ws = self._teams.workspace(team_id)
        if enterprise_install and not ws.enterprise_id:
            raise ValueError(f"team {team_id} is in no organization; an org-wide install needs one")
        grant, _ = self._tokens.issue_bot(
            team_id=None if enterprise_install else ws.team_id, enterprise_id=ws.enterprise_id, rotating=False
        )
        return grant.token

    def installed_tokens(self, team_id: str | None = None) -> list[str]:
        """The bot tokens of a workspace (or ``E…`` organization) that still work, oldest first."""
        return self._tokens.tokens_of(team_id or self._teams.default_id)

    def expire_tokens(self, team_id: str | None = None) -> int:
        """Let the expiring (rotated) tokens of a workspace or organization expire now; how many did."""
        return self._tokens.expire(team_id or self._teams.default_id)

    def advance_clock(self, seconds: float) -> None:
        """Move the clock tokens and codes expire by forward (wall time is untouched)."""
        self._clock.advance(seconds)

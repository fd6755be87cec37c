"""The credentials the fake Slack accepts: which workspace each token speaks for, and when it expires or was revoked.

Token rotation follows Slack: an access token lives `lifetime` seconds on the fake's clock, and each refresh token is
good for one exchange (Slack revokes it once used and hands out a new one with the new access token).

A workflow token (``xwfp-…``) belongs to one run of a custom workflow step: it acts for the workspace's bot while the
run runs, and once the run has completed or failed any call with it answers ``invalid_auth``.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, replace
from typing import Literal

from simulators.slack.protocol import ApiError

TokenKind = Literal["bot", "app", "workflow"]


class Clock:
    """Wall-clock seconds, plus however far a test has moved them on (to expire tokens without waiting)."""

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds


@dataclass(frozen=True)
class Grant:
    """What one token is: an app-level token, a bot token for one workspace or (org-wide) a whole enterprise, or the
    workflow token of one custom step run (`execution_id`; `ended` once that run completed or failed)."""

    token: str
    kind: TokenKind
    team_id: str | None  # None for an org-wide install
    enterprise_id: str | None = None
    expires_at: float | None = None  # on the fake's clock; None: never (no token rotation)
    revoked: bool = False
    execution_id: str | None = None  # workflow tokens: the function execution (Fx…) the token was issued for
    ended: bool = False  # workflow tokens: that execution is no longer running

    @property
    def owner(self) -> str:
        """The team id, or the enterprise id of an org-wide install (what ApiCall.team_id records)."""
        return self.team_id or self.enterprise_id or ""

    @property
    def is_enterprise_install(self) -> bool:
        return self.team_id is None


@dataclass(frozen=True)
class Refresh:
    """A refresh token and the installation whose access tokens it renews."""

    team_id: str | None
    enterprise_id: str | None
    used: bool = False


class TokenBook:
    """Every token the fake issued or was configured with, looked up on every Web API call."""

    def __init__(self, *, clock: Clock, lifetime: float) -> None:
        self._clock = clock
        self._lifetime = lifetime
        self._lock = threading.Lock()
        self._grants: dict[str, Grant] = {}
        self._refresh: dict[str, Refresh] = {}

    def add(self, grant: Grant) -> None:
        with self._lock:
            self._grants[grant.token] = grant

    def get(self, token: str | None) -> Grant | None:
        return self._grants.get(token or "")

    def check(self, grant: Grant) -> None:
        """Raise Slack's answer to a call with a token that no longer works."""
        if grant.ended:
            # The run's token dies with the run. Not an app bug in itself: an app that completes a step at least once
            # (again after a crash) meets it, and must take the answer as "the run is over".
            raise ApiError("invalid_auth")
        if grant.revoked:
            # Slack's word for a token of an app that was removed or whose tokens were revoked (not invalid_auth,
            # which is for a token Slack never issued, nor account_inactive, for a deactivated user or workspace).
            raise ApiError("token_revoked")
        if grant.expires_at is not None and self._clock.now() >= grant.expires_at:
            raise ApiError("token_expired")

    def issue_bot(self, *, team_id: str | None, enterprise_id: str | None, rotating: bool) -> tuple[Grant, str | None]:
        """A new bot token (and refresh token, when rotating) for a workspace, or an enterprise when team_id is None.

        Without rotation Slack hands a reinstall the bot token the installation already has, so that one is kept.
        """
        with self._lock:
            if not rotating:
                for grant in self._grants.values():
                    same = (grant.team_id, grant.enterprise_id) == (team_id, enterprise_id)
                    if same and grant.kind == "bot" and not grant.revoked and grant.expires_at is None:
                        return grant, None
            return self._issue_locked(team_id=team_id, enterprise_id=enterprise_id, rotating=rotating)

    def issue_workflow(self, *, team_id: str, enterprise_id: str | None, execution_id: str) -> Grant:
        """The workflow token of one custom step run: it acts for the workspace's bot until end_workflow()."""
        token = f"xwfp-{_digits(13)}-{_digits(13)}-{secrets.token_hex(16)}"
        grant = Grant(token, "workflow", team_id, enterprise_id, execution_id=execution_id)
        with self._lock:
            self._grants[token] = grant
        return grant

    def end_workflow(self, token: str) -> None:
        """The run of this workflow token completed or failed: from now on the token answers ``invalid_auth``."""
        with self._lock:
            grant = self._grants.get(token)
            if grant is not None and grant.kind == "workflow":
                self._grants[token] = replace(grant, ended=True)

    def refresh(self, refresh_token: str) -> tuple[Grant, str]:
        """Exchange a refresh token for a new access token and a new refresh token (`invalid_refresh_token` else)."""
        with self._lock:
            found = self._refresh.get(refresh_token)
            if found is None or found.used:
                raise ApiError("invalid_refresh_token")
            self._refresh[refresh_token] = replace(found, used=True)
            grant, new_refresh = self._issue_locked(
                team_id=found.team_id, enterprise_id=found.enterprise_id, rotating=True
            )
            assert new_refresh is not None
            return grant, new_refresh

    def expires_in(self, grant: Grant) -> int:
        return max(0, int((grant.expires_at or 0) - self._clock.now()))

    def expire(self, owner: str) -> int:
        """Let every expiring access token of a team (or enterprise) expire now; how many did."""
        with self._lock:
            hit = [g for g in self._grants.values() if g.owner == owner and g.expires_at is not None]
            for grant in hit:
                self._grants[grant.token] = replace(grant, expires_at=self._clock.now())
            return len(hit)

    def revoke(self, owner: str) -> list[Grant]:
        """Revoke every bot token and refresh token of a team (or enterprise); the bot tokens revoked."""
        with self._lock:
            hit = [g for g in self._grants.values() if g.owner == owner and g.kind == "bot" and not g.revoked]
            for grant in hit:
                self._grants[grant.token] = replace(grant, revoked=True)
            for token, refresh in list(self._refresh.items()):
                if (refresh.team_id or refresh.enterprise_id) == owner:
                    self._refresh[token] = replace(refresh, used=True)
            return hit

    def tokens_of(self, owner: str, *, live: bool = True) -> list[str]:
        """Bot tokens of a team (or enterprise), oldest first; with `live`, only those that still work."""
        now = self._clock.now()
        with self._lock:
            return [
                g.token
                for g in self._grants.values()
                if g.owner == owner
                and g.kind == "bot"
                and not (live and (g.revoked or (g.expires_at is not None and now >= g.expires_at)))
            ]

    def _issue_locked(
        self, *, team_id: str | None, enterprise_id: str | None, rotating: bool
    ) -> tuple[Grant, str | None]:
        if rotating:
            token = f"xoxe.xoxb-1-{_digits(13)}-{_digits(13)}-{secrets.token_hex(32)}"
            grant = Grant(token, "bot", team_id, enterprise_id, expires_at=self._clock.now() + self._lifetime)
            refresh = f"xoxe-1-{secrets.token_hex(48)}"
            self._refresh[refresh] = Refresh(team_id=team_id, enterprise_id=enterprise_id)
        else:
            token = f"xoxb-{_digits(13)}-{_digits(13)}-{secrets.token_hex(12)}"
            grant, refresh = Grant(token, "bot", team_id, enterprise_id), None
        self._grants[token] = grant
        return grant, refresh


def _digits(count: int) -> str:
    return str(secrets.randbelow(9 * 10 ** (count - 1)) + 10 ** (count - 1))

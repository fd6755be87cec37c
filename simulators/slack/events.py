"""Events API deliveries: signed ``event_callback`` envelopes in Slack's shape, and the uninstall and token revocation
that come with the events announcing them (app_uninstalled, tokens_revoked).

An id starting with ``E`` names an organization: its org-wide install is revoked and its events carry no team.
"""

from __future__ import annotations

import base64
import json
import secrets
import string
import time
from collections.abc import Callable
from typing import Any

from simulators.slack.delivery import AppResponse, SignedPoster
from simulators.slack.protocol import JSON
from simulators.slack.teams import Teams
from simulators.slack.tokens import TokenBook

EVENT_DEADLINE = 3.0  # seconds Slack waits for a 2xx before it counts a delivery as failed and retries


class Events:
    """Sends the app what Slack's Events API sends, and checks that the app took it in time."""

    def __init__(
        self,
        *,
        teams: Teams,
        tokens: TokenBook,
        poster: SignedPoster,
        report: Callable[[str], None],
        enterprise_install: Callable[[str], bool],
    ) -> None:
        self._teams = teams
        self._tokens = tokens
        self._poster = poster
        self._report = report
        self._enterprise_install = enterprise_install

    def send_event(
        self, app_url: str, *, team_id: str, event: dict[str, Any], event_id: str | None = None
    ) -> AppResponse:
        """POST one signed event_callback for workspace `team_id` (or organization ``E…``) to the app."""
        return self.send_envelope(app_url, self.envelope(team_id=team_id, event=event, event_id=event_id))

    def send_envelope(self, app_url: str, envelope: JSON, *, retry_num: int = 0) -> AppResponse:
        """POST an event_callback made by envelope() as it is; `retry_num` > 0 marks it as Slack's redelivery of it."""
        body = json.dumps(envelope)
        key = str(envelope["team_id"])
        response = self._poster.post(app_url, body, content_type="application/json", key=key, retry_num=retry_num)
        where = f"event {envelope['event'].get('type')} {envelope['event_id']}"
        if response.elapsed > EVENT_DEADLINE:
            self._report(f"{where}: app answered after {response.elapsed:.2f}s (Slack gives up after 3 s)")
        if not 200 <= response.status < 300:
            self._report(f"{where}: app answered HTTP {response.status}: {response.body[:200]}")
        return response

    def envelope(self, *, team_id: str, event: dict[str, Any], event_id: str | None = None) -> JSON:
        """The event_callback wrapper Slack puts around an event (with ``authorizations``, as since 2020)."""
        org_wide = team_id.startswith("E")
        members = self._teams.in_enterprise(team_id) if org_wide else [team_id]
        if not members:
            raise ValueError(f"organization {team_id} has no registered workspace")
        ws = self._teams.workspace(members[0])
        enterprise_install = org_wide or self._enterprise_install(team_id)
        now = time.time()
        inner = {**event, "event_ts": event.get("event_ts") or f"{now:.6f}"}
        envelope: JSON = {
            "token": ws.verification_token,
            "team_id": team_id,
        }
        if ws.enterprise_id:
            envelope["enterprise_id"] = ws.enterprise_id
        envelope |= {
            "context_team_id": None if org_wide else ws.team_id,
            "context_enterprise_id": ws.enterprise_id,
            "api_app_id": ws.app_id,
            "event": inner,
            "type": "event_callback",
            "event_id": event_id or "Ev" + "".join(secrets.choice(_ID_CHARS) for _ in range(10)),
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": ws.enterprise_id,
                    "team_id": None if enterprise_install else ws.team_id,
                    "user_id": ws.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": enterprise_install,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-" + base64.urlsafe_b64encode(secrets.token_bytes(24)).decode().rstrip("="),
        }
        return envelope

    def uninstall(self, app_url: str, *, team_id: str, tokens_revoked: bool = True) -> AppResponse:
        """Remove the app from a workspace (or organization): every token of it stops working (``token_revoked``),
        then the app hears tokens_revoked (unless told not to) and app_uninstalled. The app_uninstalled answer."""
        bots = self._revoke(team_id)
        if tokens_revoked:
            self.send_event(app_url, team_id=team_id, event=_tokens_revoked(bots))
        return self.send_event(app_url, team_id=team_id, event={"type": "app_uninstalled"})

    def revoke_tokens(self, app_url: str, *, team_id: str) -> AppResponse:
        """Revoke the bot token of a workspace (or organization), and tell the app with a tokens_revoked event."""
        bots = self._revoke(team_id)
        return self.send_event(app_url, team_id=team_id, event=_tokens_revoked(bots))

    def _revoke(self, team_id: str) -> list[str]:
        """Revoke the tokens and name the bot users whose tokens went (the workspace's bot user at least)."""
        self._tokens.revoke(team_id)
        members = self._teams.in_enterprise(team_id) if team_id.startswith("E") else [team_id]
        return [self._teams.workspace(member).bot_user_id for member in members[:1]]


def _tokens_revoked(bot_user_ids: list[str]) -> JSON:
    return {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": bot_user_ids}}


_ID_CHARS = string.ascii_uppercase + string.digits

"""Slack installations for many workspaces: slack_sdk's store interfaces over our tables, sealed with Fernet.

Tokens are refreshed here, under the install's row lock, whenever one is found close to expiry: Bolt, the poller
and the Slack writer all look tokens up through this store, so one refresh serves them all and replicas never
refresh the same install twice at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
from datetime import UTC, datetime, timedelta
from logging import Logger
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator

from bot.secrets import Sealer
from bot.slack.errors import slack_error
from storage import installations, outbox, workspaces
from storage.clock import utcnow
from storage.db import Database

log = logging.getLogger(__name__)

STATE_SECONDS = 600
_STATE_KEY_LABEL = b"leadmover OAuth state v1"
_NONCE_BYTES = 16
# nonce.expiry.MAC: a 16-byte nonce and a SHA-256 MAC in unpadded URL-safe base64, the expiry in Unix seconds.
_STATE_SHAPE = re.compile(r"([A-Za-z0-9_-]{22})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})")


def _plain(value: Any) -> Any:
    # slack_sdk gives times as datetimes and takes them back as ISO strings (not as float timestamps).
    return value.isoformat() if isinstance(value, datetime) else value


def _expires_at(installation: Installation) -> datetime | None:
    expires = installation.bot_token_expires_at
    return datetime.fromtimestamp(expires, UTC).replace(tzinfo=None) if expires is not None else None


class SealedInstallationStore(InstallationStore):
    """Bot installs only: leadmover asks for no user scopes, so a workspace has one install, the newest."""

    def __init__(
        self,
        *,
        db: Database,
        sealer: Sealer,
        rotator: TokenRotator | None = None,
        refresh_before: timedelta = timedelta(minutes=120),
    ) -> None:
        self._db = db
        self._sealer = sealer
        self._rotator = rotator
        self._refresh_before = refresh_before
        self._logger = logging.getLogger(__name__)

    @property
    def logger(self) -> Logger:
        return self._logger

    # --- sealing ---------------------------------------------------------------------------------------------

    def _seal(self, installation: Installation) -> str:
        fields = {key: _plain(value) for key, value in installation.to_dict_for_copying().items()}
        return self._sealer.seal(json.dumps(fields))

    def _open(self, sealed: str) -> Installation:
        return Installation(**json.loads(self._sealer.open(sealed)))

    # --- InstallationStore -----------------------------------------------------------------------------------

    def save(self, installation: Installation) -> None:
        enterprise_id = installation.enterprise_id or ""
        team_id = "" if installation.is_enterprise_install else installation.team_id or ""
        installations.save(
            self._db,
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=bool(installation.is_enterprise_install),
            installer_user_id=installation.user_id,
            sealed=self._seal(installation),
            token_expires_at=_expires_at(installation),
        )
        if team_id:
            workspaces.note_enterprise(self._db, team_id=team_id, enterprise_id=enterprise_id or None)
            if workspaces.mark_active(self._db, team_id=team_id):
                outbox.resume_team(self._db, team_id=team_id)  # a reinstall lifts a pause for a lost token
        log.info("installed in %s", team_id or f"org {enterprise_id}")

    def save_bot(self, bot: Bot) -> None:
        found = self.find_installation(
            enterprise_id=bot.enterprise_id,
            team_id=None if bot.is_enterprise_install else bot.team_id,  # an org's bot refreshes the org's install
            is_enterprise_install=bot.is_enterprise_install,
        )
        if found is None:
            return
        found.bot_token, found.bot_refresh_token = bot.bot_token, bot.bot_refresh_token
        found.bot_token_expires_at = bot.bot_token_expires_at
        self.save(found)

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        # Bolt passes the payload's is_enterprise_install: whatever it claims, a workspace's own install comes first.
        row = installations.find(self._db, enterprise_id=enterprise_id or "", team_id=team_id or "")
        if row is None or (user_id is not None and user_id != row.installer_user_id):
            return None
        installation = self._open(row.sealed)
        if self._due_for_refresh(row.token_expires_at):
            installation = self._refreshed(row.enterprise_id, row.team_id) or installation
        return installation

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        found = self.find_installation(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )
        return found.to_bot() if found is not None and found.bot_token else None

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.delete_all(enterprise_id=enterprise_id, team_id=team_id)

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        if user_id is None:
            self.delete_all(enterprise_id=enterprise_id, team_id=team_id)
        # A user's own token is never kept, so revoking one leaves nothing to delete.

    def delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        installations.remove(self._db, enterprise_id=enterprise_id or "", team_id=team_id or "")

    # --- token rotation --------------------------------------------------------------------------------------

    def _due_for_refresh(self, expires_at: datetime | None) -> bool:
        return self._rotator is not None and expires_at is not None and expires_at - utcnow() < self._refresh_before

    def _refreshed(self, enterprise_id: str, team_id: str) -> Installation | None:
        """The install with a fresh token, refreshed under its row lock unless another process just did."""
        assert self._rotator is not None
        rotator = self._rotator
        refreshed: list[Installation] = []

        def refresh(sealed: str, expires_at: datetime | None) -> tuple[str, datetime | None] | None:
            current = self._open(sealed)
            if not self._due_for_refresh(expires_at):
                refreshed.append(current)  # another process refreshed it while this one waited for the lock
                return None
            minutes = int(self._refresh_before.total_seconds() // 60) + 1
            try:
                rotated = rotator.perform_token_rotation(installation=current, minutes_before_expiration=minutes)
            except (SlackApiError, SlackTokenRotationError) as exc:
                # The token in hand still works until it expires: keep it, and try again on the next look-up.
                failure = getattr(exc, "api_error", exc)
                code = slack_error(failure) if isinstance(failure, SlackApiError) else exc
                log.error("could not refresh the Slack token of %s: %s", team_id or enterprise_id, code)
                return None
            if rotated is None:
                return None
            refreshed.append(rotated)
            log.info("refreshed the Slack token of %s", team_id or f"org {enterprise_id}")
            return self._seal(rotated), _expires_at(rotated)

        installations.refresh(self._db, enterprise_id=enterprise_id, team_id=team_id, refresh=refresh)
        return refreshed[0] if refreshed else None

    def bot_token(self, *, team_id: str) -> str | None:
        """The workspace's bot token, refreshed if it was about to expire; None if the app is not installed there."""
        enterprise_id = workspaces.enterprise_of(self._db, team_id=team_id)
        bot = self.find_bot(enterprise_id=enterprise_id, team_id=team_id)
        if bot is None and enterprise_id:
            bot = self.find_bot(enterprise_id=enterprise_id, team_id=None, is_enterprise_install=True)
        return bot.bot_token if bot is not None else None

    # --- resealing -------------------------------------------------------------------------------------------

    def reseal_all(self) -> int:
        """Reseal every install with the first encryption key; returns how many were resealed."""
        count = 0
        for row_id, sealed in installations.all_sealed(self._db):
            count += installations.replace_sealed(self._db, row_id=row_id, old=sealed, new=self._sealer.reseal(sealed))
        return count


class DatabaseStateStore(OAuthStateStore):
    """OAuth states signed with a secret every replica shares: sending someone off to Slack writes nothing, so a
    flood of `GET /slack/install` costs no database write, and any replica can welcome them back. Only a state that
    comes back is written down, by its nonce, so that it works once."""

    def __init__(self, *, db: Database, secret: str, expiration_seconds: int = STATE_SECONDS) -> None:
        if not secret:
            raise ValueError("OAuth states need a secret shared by every replica")
        self._db = db
        # A key of its own, so a state's MAC never doubles as anything signed with the secret itself.
        self._key = hmac.new(secret.encode(), _STATE_KEY_LABEL, hashlib.sha256).digest()
        self._expiration = expiration_seconds
        self._logger = logging.getLogger(__name__)

    @property
    def logger(self) -> Logger:
        return self._logger

    def _mac(self, nonce: str, expiry: str) -> str:
        digest = hmac.new(self._key, f"{nonce}|{expiry}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def issue(self, *args: Any, **kwargs: Any) -> str:
        nonce = secrets.token_urlsafe(_NONCE_BYTES)
        expiry = str(int(utcnow().replace(tzinfo=UTC).timestamp()) + self._expiration)
        return f"{nonce}.{expiry}.{self._mac(nonce, expiry)}"

    def consume(self, state: str) -> bool:
        shape = _STATE_SHAPE.fullmatch(state or "")
        if shape is None:
            return False
        nonce, expiry, mac = shape.groups()
        if not hmac.compare_digest(mac.encode(), self._mac(nonce, expiry).encode()):
            return False
        expires_at = datetime.fromtimestamp(int(expiry), UTC).replace(tzinfo=None)
        now = utcnow()
        # The upper bound holds even a state signed for longer (by a replica set up otherwise) to the limit.
        if not now <= expires_at <= now + timedelta(seconds=self._expiration):
            return False
        return installations.use_state(self._db, nonce=nonce, expires_at=expires_at)


def token_rotator(*, client_id: str, client_secret: str, api_url: str) -> TokenRotator:
    return TokenRotator(
        client_id=client_id, client_secret=client_secret, client=WebClient(base_url=api_url, timeout=10)
    )

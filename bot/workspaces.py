"""Per Slack workspace: its Slack client, its Instantly client, its pickers and its share of Instantly's limits.

In single-workspace mode the environment's SLACK_BOT_TOKEN and INSTANTLY_API_KEY serve every request. Installed
through OAuth, each workspace's Slack token comes from its installation and its Instantly key from its connection
(/leads connect); nothing of one workspace is ever used for another.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

from bot.instantly.budget import SharedBudget
from bot.instantly.client import InstantlyClient, instantly_client
from bot.instantly.errors import InstantlyNotConnected
from bot.pickers import PickerService
from bot.secrets import Sealer, SecretsUnavailable
from bot.settings import Settings
from bot.slack.installations import SealedInstallationStore
from bot.slack.metered import MeteredWebClient
from storage import connections, installations, workspaces
from storage.connections import Connection
from storage.db import Database

log = logging.getLogger(__name__)

# How long a process trusts what it read of a workspace's connection: a disconnect in another replica is seen
# within this.
CONNECTION_TTL_SECONDS: Final = 5.0


class NotInstalled(Exception):
    """leadmover is not installed in this Slack workspace (or was uninstalled): there is no token to use."""


def slack_client(*, token: str | None, api_url: str) -> WebClient:
    # Rate limits are the writer's business (it paces and backs off); here only dropped connections are retried.
    return MeteredWebClient(
        token=token, base_url=api_url, timeout=10, retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1)]
    )


def budget_key_of_api_key(api_key: str) -> str:
    """A budget name for a key whose Instantly workspace is not known: a digest, never the key itself."""
    return "key:" + hashlib.sha256(api_key.encode()).hexdigest()[:24]


@dataclass
class _Link:
    """One workspace's way into Instantly, kept while its connection stays the same."""

    connection_id: str
    client: InstantlyClient
    pickers: PickerService


class Workspaces:
    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        slack: WebClient | None = None,
        instantly: InstantlyClient | None = None,
        installations: SealedInstallationStore | None = None,
        sealer: Sealer | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`slack` and `instantly` serve every workspace in single-workspace mode; `installations` and the
        connections sealed by `sealer` serve each workspace in its own right."""
        self._settings = settings
        self._db = db
        self._single_slack = slack
        self._default = (
            _Link("environment", instantly, self._pickers_over(instantly)) if instantly is not None else None
        )
        self._installations = installations
        self.sealer = sealer
        self._clock = clock
        self._lock = threading.Lock()
        self._links: dict[str, _Link] = {}
        self._read: dict[str, tuple[float, Connection | None]] = {}
        self._slack_clients: dict[str, WebClient] = {}
        self._orgs: dict[str, str | None] = {}

    def _pickers_over(self, client: InstantlyClient) -> PickerService:
        return PickerService(instantly=client, timeout=self._settings.picker_timeout_seconds)

    def note_org(self, *, team_id: str, enterprise_id: str | None, org_wide: bool = False) -> bool:
        """Remember the Enterprise Grid org (or none) Slack's authorization puts the workspace in, so work done outside
        any request (the writer, the poller) finds the org-wide install's token for it, and its org's people count
        as members. Written once per workspace and process.

        Called only with what Bolt authorized, never with a payload's fields: the workspace's own token's answer
        (`auth.test`), or, `org_wide`, an org's org-wide install that matched a request naming the workspace. An
        org never speaks for a workspace with an install of its own, nor for one known to be in another org: then
        nothing is noted, and False says the org's authorization does not cover the workspace.
        """
        with self._lock:
            if team_id in self._orgs and self._orgs[team_id] == enterprise_id:
                return True
        try:
            known = workspaces.enterprise_of(self._db, team_id=team_id)
            if org_wide:
                own = installations.find(self._db, enterprise_id="", team_id=team_id) if team_id else None
                if not team_id or own is not None or (known is not None and known != enterprise_id):
                    log.warning("org %s's install was asked to speak for workspace %s", enterprise_id, team_id)
                    return False
            if known != enterprise_id:
                workspaces.note_enterprise(self._db, team_id=team_id, enterprise_id=enterprise_id)
        except Exception:
            # A token's own workspace stands without the note (its org's people count as outsiders meanwhile); an
            # org's claim to a workspace that could not be checked is refused.
            log.exception("could not note the org of workspace %s", team_id)
            return not org_wide
        with self._lock:
            self._orgs[team_id] = enterprise_id
        return True

    # --- Slack -----------------------------------------------------------------------------------------------

    def slack(self, team_id: str) -> WebClient:
        """The client that speaks for leadmover in this workspace. NotInstalled if it has none."""
        if self._single_slack is not None:
            return self._single_slack
        if self._installations is None:
            raise NotInstalled(team_id)
        token = self._installations.bot_token(team_id=team_id)
        if token is None:
            raise NotInstalled(team_id)
        with self._lock:
            client = self._slack_clients.get(team_id)
            if client is None or client.token != token:
                client = self._slack_clients[team_id] = slack_client(token=token, api_url=self._settings.slack_api_url)
            return client

    # --- Instantly -------------------------------------------------------------------------------------------

    def connection(self, team_id: str, *, fresh: bool = False) -> Connection | None:
        """The workspace's Instantly connection as last read (at most CONNECTION_TTL_SECONDS ago unless `fresh`)."""
        now = self._clock()
        with self._lock:
            cached = self._read.get(team_id)
        if cached is not None and not fresh and now - cached[0] < CONNECTION_TTL_SECONDS:
            return cached[1]
        found = connections.get(self._db, team_id=team_id)
        with self._lock:
            self._read[team_id] = (now, found)
        return found

    def instantly(self, team_id: str) -> InstantlyClient:
        """The workspace's Instantly client. InstantlyNotConnected if it has no key."""
        return self._link(team_id).client

    def pickers(self, team_id: str) -> PickerService:
        """The workspace's own pickers: their cache and rate limits are never shared with another workspace."""
        return self._link(team_id).pickers

    def is_connected(self, team_id: str) -> bool:
        return self.connection(team_id) is not None or self._default is not None

    def _link(self, team_id: str) -> _Link:
        found = self.connection(team_id)
        if found is None:
            if self._default is not None:
                return self._default
            raise InstantlyNotConnected(team_id)
        with self._lock:
            link = self._links.get(team_id)
            if link is not None and link.connection_id == found.connection_id:
                return link
        if self.sealer is None:
            raise SecretsUnavailable()
        client = instantly_client(
            settings=self._settings,
            api_key=self.sealer.open(found.sealed_key),
            budget=SharedBudget(
                db=self._db,
                key=f"workspace:{found.instantly_workspace_id}",
                percent=self._settings.instantly_budget_percent,
            ),
        )
        fresh = _Link(found.connection_id, client, self._pickers_over(client))
        unused: _Link | None
        with self._lock:
            current = self._links.get(team_id)
            if current is not None and current.connection_id == fresh.connection_id:
                unused, kept = fresh, current  # another thread made one for this connection first: use that one
            else:
                unused, kept = current, fresh
                self._links[team_id] = fresh
        if unused is not None:
            _close(unused)
        return kept

    def forget(self, team_id: str) -> None:
        """Drop what this process holds for the workspace (after a disconnect or an uninstall)."""
        with self._lock:
            link = self._links.pop(team_id, None)
            self._read.pop(team_id, None)
            self._slack_clients.pop(team_id, None)
        if link is not None:
            _close(link)

    def close(self) -> None:
        with self._lock:
            links, self._links = list(self._links.values()), {}
        for link in links + ([self._default] if self._default is not None else []):
            _close(link)


def _close(link: _Link) -> None:
    link.pickers.close()
    link.client.close()

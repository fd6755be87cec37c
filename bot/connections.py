"""Connecting a Slack workspace to Instantly: the key is checked before it is kept, kept sealed, and removed on
/leads disconnect or when leadmover is uninstalled (whose jobs then stop being followed)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, Final

from bot.instantly.budget import SharedBudget
from bot.instantly.client import InstantlyClient, instantly_client
from bot.instantly.errors import InstantlyError, InstantlyForbidden, InstantlyTimeout, Moment, in_words
from bot.secrets import SecretsUnavailable
from bot.settings import Settings
from bot.workspaces import Workspaces
from storage import audit, connections, installations, stops, workspaces
from storage.connections import Connection
from storage.db import Database

log = logging.getLogger(__name__)

# Slack closes a modal submission after 3 s: the whole check must fit well within that.
CHECK_SECONDS: Final = 2.2
# One read per read scope leadmover needs; each names the scope it proves.
_READS: Final[tuple[tuple[str, Callable[[InstantlyClient, float], Any]], ...]] = (
    ("campaigns:read", lambda client, timeout: client.list_campaigns(limit=1, timeout=timeout)),
    ("lead_lists:read", lambda client, timeout: client.list_lead_lists(limit=1, timeout=timeout)),
    ("background-jobs:read", lambda client, timeout: client.recent_move_jobs(limit=1, timeout=timeout)),
)
DISCONNECTED: Final = "the workspace's Instantly connection was removed (/leads disconnect), so I stopped following it."
UNINSTALLED: Final = "leadmover was uninstalled from the workspace, so it stopped following this job."
ORG_UNINSTALLED: Final = (
    "leadmover was uninstalled from the workspace's Enterprise Grid org, so it stopped following this job."
)


@dataclass(frozen=True)
class KeyCheck:
    """What checking a key found: the Instantly workspace it reaches, or what is wrong with it, in words."""

    workspace_id: str = ""
    workspace_name: str = ""
    problem: str | None = None


def _lacking(scopes: list[str]) -> str:
    listed = ", ".join(f"`{scope}`" for scope in scopes)
    return (
        f"This key lacks {listed}. Add {'it' if len(scopes) == 1 else 'them'} in "
        "Instantly (Settings → Integrations → API keys), or make a key that has them."
    )


class ConnectionService:
    def __init__(
        self, *, db: Database, workspaces: Workspaces, settings: Settings, notify: Callable[[], None] = lambda: None
    ) -> None:
        self._db = db
        self._workspaces = workspaces
        self._settings = settings
        self._notify = notify

    def check(self, api_key: str) -> KeyCheck:
        """Prove the key: its workspace first, then one read per read scope, side by side, within CHECK_SECONDS."""
        client = self._client(api_key, budget_key=None)
        budgeted: InstantlyClient | None = None
        try:
            try:
                workspace = client.current_workspace(timeout=CHECK_SECONDS / 2)
            except InstantlyForbidden:
                return KeyCheck(problem=_lacking(["workspaces:read"]))
            except InstantlyError as exc:
                return KeyCheck(problem=in_words(exc, moment=Moment.CONNECT))
            missing: list[str] = []
            # Now that the key's Instantly workspace is known, the reads spend from its shared budget.
            budgeted = self._client(api_key, budget_key=f"workspace:{workspace.id}")
            with ThreadPoolExecutor(max_workers=len(_READS)) as pool:
                futures = [(scope, pool.submit(read, budgeted, CHECK_SECONDS / 2)) for scope, read in _READS]
                for scope, future in futures:
                    try:
                        future.result(timeout=CHECK_SECONDS / 2 + 0.2)
                    except InstantlyForbidden:
                        missing.append(scope)
                    except (InstantlyError, FutureTimeout) as exc:
                        error = exc if isinstance(exc, InstantlyError) else InstantlyTimeout(f"no {scope} in time")
                        return KeyCheck(problem=in_words(error, moment=Moment.CONNECT))
            if missing:
                return KeyCheck(problem=_lacking(missing))
            return KeyCheck(workspace_id=workspace.id, workspace_name=workspace.name)
        finally:
            client.close()
            if budgeted is not None:
                budgeted.close()

    def _client(self, api_key: str, *, budget_key: str | None) -> InstantlyClient:
        """A one-off client for checking a key; it never retries (a person is waiting)."""
        budget = (
            SharedBudget(db=self._db, key=budget_key, percent=self._settings.instantly_budget_percent)
            if budget_key is not None
            else None
        )
        return instantly_client(
            settings=self._settings, api_key=api_key, budget=budget, timeout=CHECK_SECONDS, max_attempts=1
        )

    def connect(self, *, team_id: str, user_id: str, api_key: str) -> KeyCheck:
        """Check the key and, if it works, keep it sealed as the workspace's connection."""
        if self._workspaces.sealer is None:
            raise SecretsUnavailable()
        checked = self.check(api_key)
        if checked.problem is not None:
            self._audit(team_id, user_id, "connect", f"refused: {checked.problem}")
            return checked
        connections.save(
            self._db,
            team_id=team_id,
            sealed_key=self._workspaces.sealer.seal(api_key),
            instantly_workspace_id=checked.workspace_id,
            instantly_workspace_name=checked.workspace_name,
            connected_by=user_id,
        )
        self._workspaces.forget(team_id)
        log.info("workspace %s connected Instantly workspace %s", team_id, checked.workspace_id)
        self._audit(team_id, user_id, "connect", f"connected to {checked.workspace_name}", checked.workspace_id)
        return checked

    def current(self, team_id: str) -> Connection | None:
        return self._workspaces.connection(team_id, fresh=True)

    def disconnect(self, *, team_id: str, user_id: str) -> bool:
        """Remove the workspace's key; its unfinished jobs get a last reply saying they are no longer followed."""
        removed = connections.delete_for(self._db, team_id=team_id)
        self._workspaces.forget(team_id)
        if removed:
            stopped = stops.stop_following(self._db, team_id=team_id, reason=DISCONNECTED, tell_threads=True)
            log.info("workspace %s disconnected Instantly; %d unfinished jobs no longer followed", team_id, stopped)
            self._audit(team_id, user_id, "disconnect", f"disconnected; {stopped} unfinished jobs no longer followed")
            self._notify()
        return removed

    def installed(self, *, enterprise_id: str | None, team_id: str | None, user_id: str) -> None:
        """leadmover was installed (the install itself is kept by the installation store): on record."""
        self._audit(team_id or enterprise_id or "", user_id, "install", "installed", org=enterprise_id)

    def uninstalled(self, *, enterprise_id: str | None, team_id: str | None, event: str = "app_uninstalled") -> None:
        """leadmover left the workspace, or the whole org (`team_id` None): forget the tokens, and each workspace it
        served there loses its Instantly key and its unfinished jobs, stopped quietly with the reason on each."""
        installations.remove(self._db, enterprise_id=enterprise_id or "", team_id=team_id or "")
        if team_id:
            self._forget(team_id, org=enterprise_id, event=event, reason=UNINSTALLED)
            return
        if not enterprise_id:
            return
        self._audit(
            enterprise_id, "slack", "uninstall", f"org-wide install's tokens deleted ({event})", org=enterprise_id
        )
        for team in workspaces.teams_in(self._db, enterprise_id=enterprise_id):
            # A workspace with an install of its own never depended on the org's: it keeps its key and its jobs.
            if installations.find(self._db, enterprise_id="", team_id=team) is None:
                self._forget(team, org=enterprise_id, event=event, reason=ORG_UNINSTALLED)

    def _forget(self, team_id: str, *, org: str | None, event: str, reason: str) -> None:
        """The workspace's key goes and its unfinished jobs stop quietly (no token is left to post with)."""
        had_key = connections.delete_for(self._db, team_id=team_id)
        self._workspaces.forget(team_id)
        stopped = stops.stop_following(self._db, team_id=team_id, reason=reason, tell_threads=False)
        log.info("workspace %s lost leadmover (%s); %d unfinished jobs no longer followed", team_id, event, stopped)
        key = "; its Instantly key deleted" if had_key else ""
        outcome = f"tokens deleted ({event}){key}; {stopped} unfinished jobs no longer followed"
        self._audit(team_id, "slack", "uninstall", outcome, org=org)

    def _audit(
        self, team_id: str, user_id: str, action: str, outcome: str, instantly: str = "", *, org: str | None = None
    ) -> None:
        detail = {key: value for key, value in (("instantly_workspace", instantly), ("enterprise", org)) if value}
        audit.record(self._db, team_id=team_id, user_id=user_id, action=action, detail=detail, outcome=outcome)

    def reseal_all(self) -> int:
        """Reseal every stored Instantly key with the first encryption key; returns how many."""
        sealer = self._workspaces.sealer
        if sealer is None:
            raise SecretsUnavailable()
        count = 0
        for team_id, sealed in connections.all_sealed(self._db):
            count += connections.replace_sealed(self._db, team_id=team_id, old=sealed, new=sealer.reseal(sealed))
        return count

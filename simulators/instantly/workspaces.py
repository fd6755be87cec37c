"""The Instantly workspaces the fake serves and the API keys that reach them: a request's key picks the one
workspace (contents, jobs, faults, rate-limit windows) that answers it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from simulators.instantly.contents import Contents
from simulators.instantly.faults import Faults
from simulators.instantly.jobs import Jobs
from simulators.instantly.protocol import MOVE_PATH, ApiError, Call, Clock
from simulators.instantly.scopes import parse_scopes

DEFAULT_WORKSPACE_NAME = "Leadmover demo workspace"


@dataclass(frozen=True)
class WorkspaceSettings:
    """What every workspace is built with unless told otherwise: the FakeInstantly constructor's knobs."""

    progress_steps: tuple[int, ...]
    final_status: str
    job_duration: float | None
    rate_limits: tuple[tuple[float, int], ...]


class InstantlyWorkspace:
    """One Instantly workspace in the fake, and the handle tests seed and inspect it through.

    Its endpoints run under its own lock, so workspaces answer in parallel and never see each other's data.
    """

    def __init__(
        self,
        *,
        name: str,
        workspace_id: str | None,
        settings: WorkspaceSettings,
        rate_limits: Sequence[tuple[float, int]],
        clock: Clock,
        known_filters: frozenset[str],
        report: Callable[[str], None],
        move_bodies: Callable[[str], list[dict[str, Any]]],
    ) -> None:
        self.lock = threading.RLock()
        self.contents = contents = Contents(
            workspace_id=workspace_id,
            name=name,
            lock=self.lock,
            clock=clock,
            known_filters=known_filters,
            report=report,
        )
        self.jobs = jobs = Jobs(
            contents=contents,
            lock=self.lock,
            clock=clock,
            progress_steps=settings.progress_steps,
            final_status=settings.final_status,
            job_duration=settings.job_duration,
        )
        self.faults = Faults(rate_limits=rate_limits)
        self._move_bodies = move_bodies
        self.routes: dict[tuple[str, str], Callable[[Call], Any]] = {
            ("GET", "/api/v2/campaigns"): contents.list_campaigns,
            ("GET", "/api/v2/campaigns/{id}"): contents.campaign,
            ("GET", "/api/v2/campaigns/analytics"): contents.campaign_analytics,
            ("GET", "/api/v2/lead-lists"): contents.list_lead_lists,
            ("GET", "/api/v2/lead-lists/{id}"): contents.lead_list,
            ("GET", "/api/v2/lead-lists/{id}/verification-stats"): contents.verification_stats,
            ("GET", "/api/v2/workspace-members"): contents.list_members,
            ("GET", "/api/v2/workspaces/current"): contents.workspace,
            ("GET", "/api/v2/lead-labels"): lambda call: {"items": []},
            ("POST", "/api/v2/leads/list"): contents.list_leads,
            ("POST", MOVE_PATH): jobs.move_leads,
            ("GET", "/api/v2/background-jobs"): jobs.list_jobs,
            ("GET", "/api/v2/background-jobs/{id}"): jobs.get_job,
        }
        # The public face: each name below is its part's own attribute or method.
        self.workspace_id = contents.workspace_id
        self.name = contents.name
        self.owner_user_id = contents.owner_user_id
        self.add_campaign = contents.add_campaign
        self.add_list = contents.add_list
        self.add_member = contents.add_member
        self.job = jobs.job
        self.job_times = jobs.job_times
        self.job_ids = jobs.job_ids
        self.forget_job = jobs.forget_job
        self.set_final_status = jobs.set_final_status
        self.start_elsewhere = jobs.start_elsewhere
        self.touch = jobs.touch
        self.fail_next = self.faults.fail_next

    def __repr__(self) -> str:
        return f"InstantlyWorkspace(name={self.name!r}, workspace_id={self.workspace_id!r})"

    @property
    def final_status(self) -> str:
        """How this workspace's jobs created from now on end (any string goes)."""
        return self.jobs.final_status

    @final_status.setter
    def final_status(self, status: str) -> None:
        self.jobs.final_status = status

    @property
    def rate_limited(self) -> int:
        """This workspace's requests answered 429 because of its rate limits."""
        return self.faults.rate_limited

    def move_bodies(self) -> list[dict[str, Any]]:
        """The bodies of every move this workspace accepted, oldest first (needs record_requests)."""
        return self._move_bodies(self.workspace_id)


@dataclass(frozen=True)
class ApiKey:
    """A live key: the workspace it reaches and the scopes it holds (`all:all` for every scope)."""

    api_key: str
    workspace: InstantlyWorkspace
    scopes: frozenset[str]


class Workspaces:
    """Every workspace and every key. Keys are looked up without a lock (one dict read per request) and changed
    under one; a revoked key stays known so that it can never be handed out again."""

    def __init__(
        self,
        *,
        settings: WorkspaceSettings,
        clock: Clock,
        known_filters: frozenset[str],
        report: Callable[[str], None],
        move_bodies: Callable[[str], list[dict[str, Any]]],
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._known_filters = known_filters
        self._report = report
        self._move_bodies = move_bodies
        self._lock = threading.Lock()
        self._by_id: dict[str, InstantlyWorkspace] = {}
        self._keys: dict[str, ApiKey] = {}
        self._revoked: set[str] = set()

    def add(
        self,
        *,
        name: str,
        api_key: str,
        scopes: Iterable[str] | None,
        rate_limits: Sequence[tuple[float, int]] | None,
        workspace_id: str | None = None,
    ) -> InstantlyWorkspace:
        held = parse_scopes(scopes)
        workspace = InstantlyWorkspace(
            name=name,
            workspace_id=workspace_id,
            settings=self._settings,
            rate_limits=self._settings.rate_limits if rate_limits is None else rate_limits,
            clock=self._clock,
            known_filters=self._known_filters,
            report=self._report,
            move_bodies=self._move_bodies,
        )
        with self._lock:
            if workspace.workspace_id in self._by_id:
                raise ValueError(f"workspace {workspace.workspace_id} already exists")
            self._claim(api_key)
            self._by_id[workspace.workspace_id] = workspace
            self._keys[api_key] = ApiKey(api_key, workspace, held)
        return workspace

    def add_key(self, *, workspace: InstantlyWorkspace | str, api_key: str, scopes: Iterable[str] | None) -> None:
        found = self.get(workspace if isinstance(workspace, str) else workspace.workspace_id)
        held = parse_scopes(scopes)
        with self._lock:
            self._claim(api_key)
            self._keys[api_key] = ApiKey(api_key, found, held)

    def _claim(self, api_key: str) -> None:
        if not api_key:
            raise ValueError("an API key cannot be empty")
        if api_key in self._keys or api_key in self._revoked:
            raise ValueError(f"API key {api_key!r} is already in use or was revoked")

    def revoke(self, api_key: str) -> None:
        with self._lock:
            if api_key not in self._keys:
                raise KeyError(f"no live API key {api_key!r}")
            del self._keys[api_key]
            self._revoked.add(api_key)

    def authorize(self, authorization: str | None) -> ApiKey:
        """The live key an Authorization header carries, or Instantly's 401."""
        if authorization is None or not authorization.startswith("Bearer "):
            # A wrong key is a legitimate test scenario; a missing or malformed header is our bug.
            raise ApiError(401, "Invalid API key", violation=True, detail=" (missing or not Bearer)")
        key = self._keys.get(authorization.removeprefix("Bearer "))
        if key is None:
            # Instantly answers a deleted key exactly like one it never issued: nothing tells the two apart.
            raise ApiError(401, "Invalid API key")
        return key

    def get(self, workspace_id: str) -> InstantlyWorkspace:
        with self._lock:
            found = self._by_id.get(workspace_id)
        if found is None:
            raise KeyError(f"no workspace {workspace_id!r}")
        return found

    def all(self) -> list[InstantlyWorkspace]:
        """Every workspace, the default one first."""
        with self._lock:
            return list(self._by_id.values())

"""FakeInstantly: Instantly API v2 on a loopback port, speaking its wire format and checking every request against
the published contract; every request that breaks it is recorded in `violations`."""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from simulators.instantly.protocol import MOVE_PATH, ApiError, Call, Clock, RecordedRequest, error_body
from simulators.instantly.scopes import ScopeRules
from simulators.instantly.spec import ContractError, Operation, load_spec
from simulators.instantly.workspaces import (
    DEFAULT_WORKSPACE_NAME,
    ApiKey,
    InstantlyWorkspace,
    Workspaces,
    WorkspaceSettings,
)
from simulators.loopback import LoopbackServer, Reply, Request, Startable

__all__ = ["INSTANTLY_RATE_LIMITS", "MOVE_PATH", "FakeInstantly", "InstantlyWorkspace", "RecordedRequest"]

# Instantly's documented limits per workspace: (window in seconds, most requests in it). Opt-in, see `rate_limits`.
INSTANTLY_RATE_LIMITS: tuple[tuple[float, int], ...] = ((1.0, 100), (60.0, 6000))
# Instantly's edge refuses the stock agents of common HTTP libraries; ours must name the product.
_BLOCKED_AGENTS = ("python-httpx", "python-requests", "python-urllib")


@dataclass
class _Answer:
    status: int
    payload: Any
    headers: dict[str, str] = field(default_factory=dict)
    raw: str | None = None


class FakeInstantly(Startable):
    """Instantly API v2 on 127.0.0.1 serving one workspace, or many (`add_workspace`), each reached through its own
    API keys and scopes. The fake's own seeding and inspection methods act on the default workspace, the one
    `api_key` reaches."""

    def __init__(
        self,
        *,
        api_key: str = "instantly-test-key",
        workspace_id: str | None = None,
        scopes: Iterable[str] | None = None,
        progress_steps: Sequence[int] = (25, 50, 75),
        final_status: str = "success",
        host: str = "127.0.0.1",
        port: int = 0,
        job_duration: float | None = None,
        rate_limits: Sequence[tuple[float, int]] = (),
        record_requests: bool = True,
        on_request: Callable[[RecordedRequest], None] | None = None,
    ) -> None:
        """The defaults suit tests: one workspace whose key `api_key` holds every scope (`scopes=None`). Opt-in knobs,
        for benchmarks:

        - `job_duration`: jobs follow the wall clock instead of advancing one step per observation: pending, then
          each of `progress_steps` for an equal share of `job_duration` seconds, then terminal at `job_duration`.
        - `rate_limits`: (window seconds, most requests) pairs, e.g. INSTANTLY_RATE_LIMITS, counted per workspace as
          Instantly does, for the default workspace and every added one that names none of its own; a request over
          any of them is answered 429 with Instantly's error body and counted in `rate_limited`.
        - `record_requests=False`: keep no `requests` list (only `request_count`), so long runs stay small.
        - `on_request`: called with every answered request (from the server's threads; keep it quick).
        """
        if any(not 0 <= step <= 100 for step in progress_steps):
            raise ValueError("progress_steps must lie between 0 and 100")
        if job_duration is not None and job_duration <= 0:
            raise ValueError("job_duration must be positive")
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.delay: dict[str, float] = {}  # path prefix -> seconds to wait before answering (longest prefix wins)
        self.request_count = 0
        self._record_requests = record_requests
        self.on_request = on_request  # a test may set it while running, e.g. to change a job between two pages
        self._spec = load_spec()
        self._scopes = ScopeRules(self._spec)
        self._lock = threading.RLock()  # guards what every workspace shares: requests, violations, counts
        settings = WorkspaceSettings(
            progress_steps=tuple(progress_steps),
            final_status=final_status,
            job_duration=job_duration,
            rate_limits=tuple((float(window), int(limit)) for window, limit in rate_limits),
        )
        known_filters = frozenset(self._spec.body_property("POST", MOVE_PATH, "filter").get("x-enumDescriptions", {}))
        self._workspaces = Workspaces(
            settings=settings, clock=Clock(), known_filters=known_filters, report=self._violate, move_bodies=self._moves
        )
        self._http = LoopbackServer(self._respond, host=host, port=port, keep_alive=True, name="fake-instantly")
        default = self.default_workspace = self._workspaces.add(
            name=DEFAULT_WORKSPACE_NAME, api_key=api_key, scopes=scopes, rate_limits=None, workspace_id=workspace_id
        )
        # The public face of the default workspace, kept from the days the fake served only that one.
        self.workspace_id = default.workspace_id
        self.owner_user_id = default.owner_user_id
        self.add_campaign = default.add_campaign
        self.add_list = default.add_list
        self.add_member = default.add_member
        self.job = default.job
        self.job_times = default.job_times
        self.job_ids = default.job_ids
        self.forget_job = default.forget_job
        self.set_final_status = default.set_final_status
        self.fail_next = default.fail_next

    # -- workspaces and keys ---------------------------------------------------------------------------------

    def add_workspace(
        self,
        *,
        name: str,
        api_key: str,
        scopes: Iterable[str] | None = None,
        rate_limits: Sequence[tuple[float, int]] | None = None,
        workspace_id: str | None = None,
    ) -> InstantlyWorkspace:
        """Another Instantly workspace, with its own contents and jobs, reached with `api_key`.

        `scopes=None` gives the key every scope (`all:all`). `rate_limits=None` gives the workspace the fake's own
        `rate_limits`, counted separately; `()` lets it go unlimited.
        """
        return self._workspaces.add(
            name=name, api_key=api_key, scopes=scopes, rate_limits=rate_limits, workspace_id=workspace_id
        )

    def add_key(
        self, *, workspace: InstantlyWorkspace | str, api_key: str, scopes: Iterable[str] | None = None
    ) -> None:
        """Another key to a workspace (its handle or id); `scopes=None` means every scope."""
        self._workspaces.add_key(workspace=workspace, api_key=api_key, scopes=scopes)

    def revoke_key(self, api_key: str) -> None:
        """From now on `api_key` is answered 401, as Instantly answers a deleted key."""
        self._workspaces.revoke(api_key)

    def workspace(self, workspace_id: str) -> InstantlyWorkspace:
        """The workspace with this id (KeyError when there is none)."""
        return self._workspaces.get(workspace_id)

    @property
    def workspaces(self) -> list[InstantlyWorkspace]:
        """Every workspace, the default one first."""
        return self._workspaces.all()

    def requests_with_key(self, api_key: str) -> list[RecordedRequest]:
        """The recorded requests that carried `api_key`, however they were answered (401s of a revoked key too)."""
        with self._lock:
            return [request for request in self.requests if request.api_key == api_key]

    # -- the default workspace, and totals -------------------------------------------------------------------

    @property
    def final_status(self) -> str:
        """How the default workspace's jobs created from now on end (any string goes, since Instantly adds job
        statuses over time)."""
        return self.default_workspace.final_status

    @final_status.setter
    def final_status(self, status: str) -> None:
        self.default_workspace.final_status = status

    @property
    def rate_limited(self) -> int:
        """Requests answered 429 because of rate limits, in every workspace."""
        return sum(workspace.rate_limited for workspace in self._workspaces.all())

    @property
    def rate_limited_by_workspace(self) -> dict[str, int]:
        """Requests answered 429 because of rate limits, by workspace id (every workspace, zeros included)."""
        return {workspace.workspace_id: workspace.rate_limited for workspace in self._workspaces.all()}

    def all_job_times(self) -> dict[str, tuple[float, float | None]]:
        """`job_times` of every workspace in one dict (job ids are unique across workspaces)."""
        return {job_id: times for workspace in self.workspaces for job_id, times in workspace.job_times().items()}

    def move_bodies(self) -> list[dict[str, Any]]:
        """The bodies of every move the default workspace accepted, oldest first."""
        return self._moves(self.workspace_id)

    def _moves(self, workspace_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [
                copy.deepcopy(request.body)
                for request in self.requests
                if request.method == "POST"
                and request.path == MOVE_PATH
                and request.status == 200
                and request.workspace_id == workspace_id
            ]

    # -- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> Self:
        if self._http.running:
            raise RuntimeError("FakeInstantly is already running")
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()

    @property
    def base_url(self) -> str:
        return f"{self._http.base_url}/api/v2"

    # -- request pipeline ------------------------------------------------------------------------------------

    def _respond(self, request: Request) -> Reply:
        """The answer to one request; records it and any violation."""
        url = urlsplit(request.target)
        multi = parse_qs(url.query, keep_blank_values=True)
        body: Any = None
        try:
            body = json.loads(request.body) if request.body else None
        except ValueError:
            body = None
        key: ApiKey | None = None
        try:
            key = self._authenticate(request.headers)
            answer = self._answer(key, request.method, url.path, multi, request.headers, request.body)
        except ApiError as exc:
            answer = _Answer(exc.status, error_body(exc.status, exc.message))
            if exc.violation:
                self._violate(f"{request.method} {url.path}: {exc.status} {exc.message}{exc.detail}")
        except Exception as exc:  # a bug in the fake must surface in tests, not hang the client
            answer = _Answer(500, error_body(500, f"simulator crashed: {exc!r}"))
            self._violate(f"{request.method} {url.path}: simulator crashed: {exc!r}")
        encoded = (answer.raw if answer.raw is not None else json.dumps(answer.payload)).encode()
        query = {name: values[-1] for name, values in multi.items()}
        recorded = RecordedRequest(
            request.method,
            url.path,
            query,
            body,
            request.headers,
            answer.status,
            time.monotonic(),
            workspace_id=None if key is None else key.workspace.workspace_id,
        )
        with self._lock:
            self.request_count += 1
            if self._record_requests:
                self.requests.append(recorded)
        if self.on_request is not None:
            self.on_request(recorded)
        delays = [(len(prefix), seconds) for prefix, seconds in list(self.delay.items()) if url.path.startswith(prefix)]
        headers = {"Content-Type": "application/json; charset=utf-8", **answer.headers}
        return Reply(answer.status, encoded, headers, max(delays)[1] if delays else 0.0)

    def _authenticate(self, headers: dict[str, str]) -> ApiKey:
        agent = headers.get("user-agent", "")
        if not agent or agent.lower().startswith(_BLOCKED_AGENTS):
            raise ApiError(403, "Blocked user agent", violation=True, detail=f" ({agent or 'none'})")
        return self._workspaces.authorize(headers.get("authorization"))

    def _answer(
        self, key: ApiKey, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], raw: bytes
    ) -> _Answer:
        workspace = key.workspace
        if not workspace.faults.within_rate_limits():
            return _Answer(429, error_body(429, "Rate limit exceeded"))
        try:
            op, params = self._spec.match(method, path)
        except ContractError as exc:
            raise ApiError(exc.status, exc.message, violation=True) from exc
        # Scopes are checked with the key, before the request is validated, as an authorization hook would.
        wanted = self._scopes.missing(op, key.scopes)
        if wanted is not None:
            needs = ", ".join(wanted)
            raise ApiError(403, f"This API key does not have the required scope. It needs one of: {needs}")
        try:
            call = Call(
                params,
                self._spec.check_query(op, query),
                self._spec.check_body(op, raw, headers.get("content-type")),
            )
        except ContractError as exc:
            raise ApiError(exc.status, exc.message, violation=True) from exc
        fault = workspace.faults.take(method, path)
        if fault is not None:
            return _Answer(fault.status, error_body(fault.status, fault.message), fault.headers, fault.raw)
        handler = workspace.routes.get((op.method, op.template))
        if handler is None:
            raise ApiError(404, f"Route {method}:{path} is documented but not simulated", violation=True)
        with workspace.lock:
            payload = copy.deepcopy(handler(call))
            tolerated = set(workspace.jobs.tolerated_statuses)
        self._self_check(op, payload, tolerated)
        return _Answer(200, payload)

    def _self_check(self, op: Operation, payload: Any, tolerated: set[object]) -> None:
        for problem in self._spec.check_response(op, 200, payload, tolerated=tolerated):
            self._violate(f"simulator answered {op.method} {op.template} off-spec: {problem}")

    def _violate(self, message: str) -> None:
        with self._lock:
            self.violations.append(message)

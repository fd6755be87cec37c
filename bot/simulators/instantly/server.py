"""FakeInstantly: Instantly API v2 on a loopback port, speaking its wire format and checking every request against
the published contract; every request that breaks it is recorded in `violations`."""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from bot.simulators.instantly.contents import Contents
from bot.simulators.instantly.faults import Faults
from bot.simulators.instantly.jobs import Jobs
from bot.simulators.instantly.protocol import ApiError, Call, Clock, error_body
from bot.simulators.instantly.spec import ContractError, Operation, load_spec
from bot.simulators.loopback import LoopbackServer, Reply, Request, Startable

MOVE_PATH = "/api/v2/leads/move"
# Instantly's documented limits per workspace: (window in seconds, most requests in it). Opt-in, see `rate_limits`.
INSTANTLY_RATE_LIMITS: tuple[tuple[float, int], ...] = ((1.0, 100), (60.0, 6000))
# Instantly's edge refuses the stock agents of common HTTP libraries; ours must name the product.
_BLOCKED_AGENTS = ("python-httpx", "python-requests", "python-urllib")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake saw it, with the status it answered."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    status: int
    at: float = 0.0  # time.monotonic() when the fake answered


@dataclass
class _Answer:
    status: int
    payload: Any
    headers: dict[str, str] = field(default_factory=dict)
    raw: str | None = None


class FakeInstantly(Startable):
    """Instantly API v2 on 127.0.0.1 with campaigns, lead lists, members and scripted background jobs."""

    def __init__(
        self,
        *,
        api_key: str = "instantly-test-key",
        workspace_id: str | None = None,
        progress_steps: Sequence[int] = (25, 50, 75),
        final_status: str = "success",
        host: str = "127.0.0.1",
        port: int = 0,
        job_duration: float | None = None,
        rate_limits: Sequence[tuple[float, int]] = (),
        record_requests: bool = True,
        on_request: Callable[[RecordedRequest], None] | None = None,
    ) -> None:
        """The defaults suit tests. Opt-in knobs, for benchmarks:

        - `job_duration`: jobs follow the wall clock instead of advancing one step per observation: pending, then
          each of `progress_steps` for an equal share of `job_duration` seconds, then terminal at `job_duration`.
        - `rate_limits`: (window seconds, most requests) pairs, e.g. INSTANTLY_RATE_LIMITS; a request over any of
          them is answered 429 with Instantly's error body and counted in `rate_limited`.
        - `record_requests=False`: keep no `requests` list (only `request_count`), so long runs stay small.
        - `on_request`: called with every answered request (from the server's threads; keep it quick).
        """
        if any(not 0 <= step <= 100 for step in progress_steps):
            raise ValueError("progress_steps must lie between 0 and 100")
        if job_duration is not None and job_duration <= 0:
            raise ValueError("job_duration must be positive")
        self._faults = Faults(rate_limits=rate_limits)
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.delay: dict[str, float] = {}  # path prefix -> seconds to wait before answering (longest prefix wins)
        self.request_count = 0
        self._record_requests = record_requests
        self._on_request = on_request
        self._spec = load_spec()
        self._lock = threading.RLock()
        clock = Clock()
        known_filters = frozenset(self._spec.body_property("POST", MOVE_PATH, "filter").get("x-enumDescriptions", {}))
        self._contents = Contents(
            workspace_id=workspace_id, lock=self._lock, clock=clock, known_filters=known_filters, report=self._violate
        )
        self._jobs = Jobs(
            contents=self._contents,
            lock=self._lock,
            clock=clock,
            progress_steps=progress_steps,
            final_status=final_status,
            job_duration=job_duration,
        )
        self._http = LoopbackServer(self._respond, host=host, port=port, keep_alive=True, name="fake-instantly")
        contents, jobs = self._contents, self._jobs
        self._routes: dict[tuple[str, str], Callable[[Call], Any]] = {
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
        self.owner_user_id = contents.owner_user_id
        self.add_campaign = contents.add_campaign
        self.add_list = contents.add_list
        self.add_member = contents.add_member
        self.job = jobs.job
        self.job_times = jobs.job_times
        self.job_ids = jobs.job_ids
        self.forget_job = jobs.forget_job
        self.set_final_status = jobs.set_final_status
        self.fail_next = self._faults.fail_next

    @property
    def final_status(self) -> str:
        """How jobs created from now on end (any string goes, since Instantly adds job statuses over time)."""
        return self._jobs.final_status

    @final_status.setter
    def final_status(self, status: str) -> None:
        self._jobs.final_status = status

    @property
    def rate_limited(self) -> int:
        """Requests answered 429 because of `rate_limits`."""
        return self._faults.rate_limited

    def move_bodies(self) -> list[dict[str, Any]]:
        """The bodies of every move Instantly accepted, oldest first."""
        with self._lock:
            return [
                copy.deepcopy(request.body)
                for request in self.requests
                if request.method == "POST" and request.path == MOVE_PATH and request.status == 200
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
        try:
            answer = self._answer(request.method, url.path, multi, request.headers, request.body)
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
            request.method, url.path, query, body, request.headers, answer.status, time.monotonic()
        )
        with self._lock:
            self.request_count += 1
            if self._record_requests:
                self.requests.append(recorded)
        if self._on_request is not None:
            self._on_request(recorded)
        delays = [(len(prefix), seconds) for prefix, seconds in list(self.delay.items()) if url.path.startswith(prefix)]
        headers = {"Content-Type": "application/json; charset=utf-8", **answer.headers}
        return Reply(answer.status, encoded, headers, max(delays)[1] if delays else 0.0)

    def _answer(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], raw: bytes
    ) -> _Answer:
        agent = headers.get("user-agent", "")
        if not agent or agent.lower().startswith(_BLOCKED_AGENTS):
            raise ApiError(403, "Blocked user agent", violation=True, detail=f" ({agent or 'none'})")
        authorization = headers.get("authorization")
        if authorization is None or not authorization.startswith("Bearer "):
            # A wrong key is a legitimate test scenario; a missing or malformed header is our bug.
            raise ApiError(401, "Invalid API key", violation=True, detail=" (missing or not Bearer)")
        if authorization != f"Bearer {self.api_key}":
            raise ApiError(401, "Invalid API key")
        if not self._faults.within_rate_limits():
            return _Answer(429, error_body(429, "Rate limit exceeded"))
        try:
            op, params = self._spec.match(method, path)
            call = Call(
                params,
                self._spec.check_query(op, query),
                self._spec.check_body(op, raw, headers.get("content-type")),
            )
        except ContractError as exc:
            raise ApiError(exc.status, exc.message, violation=True) from exc
        fault = self._faults.take(method, path)
        if fault is not None:
            return _Answer(fault.status, error_body(fault.status, fault.message), fault.headers, fault.raw)
        handler = self._routes.get((op.method, op.template))
        if handler is None:
            raise ApiError(404, f"Route {method}:{path} is documented but not simulated", violation=True)
        with self._lock:
            payload = copy.deepcopy(handler(call))
            tolerated = set(self._jobs.tolerated_statuses)
        self._self_check(op, payload, tolerated)
        return _Answer(200, payload)

    def _self_check(self, op: Operation, payload: Any, tolerated: set[object]) -> None:
        for problem in self._spec.check_response(op, 200, payload, tolerated=tolerated):
            self._violate(f"simulator answered {op.method} {op.template} off-spec: {problem}")

    def _violate(self, message: str) -> None:
        with self._lock:
            self.violations.append(message)

"""A loopback fake of Instantly API v2 for `leadmover demo` and end-to-end tests.

It speaks Instantly's wire format, and records every request that breaks the published contract.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import http
import json
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self, cast
from urllib.parse import parse_qs, urlsplit

from bot.simulators.instantly_spec import ContractError, InstantlySpec, Operation, load_spec

__all__ = ["INSTANTLY_RATE_LIMITS", "MOVE_PATH", "FakeInstantly", "RecordedRequest"]

MOVE_PATH = "/api/v2/leads/move"
# Instantly's documented limits per workspace: (window in seconds, most requests in it). Opt-in, see `rate_limits`.
INSTANTLY_RATE_LIMITS: tuple[tuple[float, int], ...] = ((1.0, 100), (60.0, 6000))
# Instantly's edge refuses the stock agents of common HTTP libraries; ours must name the product.
_BLOCKED_AGENTS = ("python-httpx", "python-requests", "python-urllib")
_DEFAULT_LIMIT = 10
_SAMPLE_EMAILS = 10
_UNSOURCED_LEADS = 10
# The spec requires at least one sending window per campaign.
_WORKDAY_SCHEDULE = {
    "name": "Workdays",
    "timing": {"from": "09:00", "to": "17:00"},
    "days": {"1": True, "2": True, "3": True, "4": True, "5": True},
    "timezone": "Europe/Belgrade",
}


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


class _ApiError(Exception):
    """An error answer; `violation` says whether it also means our client broke the contract."""

    def __init__(self, status: int, message: str, *, violation: bool = False, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.violation = violation
        self.detail = detail


@dataclass
class _Fault:
    method: str
    path_prefix: str
    status: int
    message: str
    remaining: int
    retry_after: float | None
    body: str | None


@dataclass
class _Container:
    """A campaign or lead list: something leads can be moved out of or into."""

    kind: str  # "campaign" or "list", as BackgroundJob.entity_type spells it
    public: dict[str, Any]
    leads: int


@dataclass
class _Job:
    public: dict[str, Any]
    body: dict[str, Any]
    total: int
    emails: list[str]
    source: _Container | None
    destination: _Container
    final_status: str
    step: int = 0
    finished: bool = False
    created_at: float = 0.0  # time.monotonic()
    ended_at: float | None = None  # time.monotonic() of the moment its status became terminal


@dataclass(frozen=True)
class _Call:
    params: dict[str, str]
    query: dict[str, Any]
    body: Any


@dataclass
class _Reply:
    status: int
    payload: Any
    headers: dict[str, str] = field(default_factory=dict)
    raw: str | None = None


def _error(status: int, message: str) -> dict[str, Any]:
    return {"statusCode": status, "error": http.HTTPStatus(status).phrase, "message": message}


def _csv(value: Any) -> set[str] | None:
    if value is None:
        return None
    return {part.strip() for part in str(value).split(",") if part.strip()}


def _after(items: Sequence[dict[str, Any]], cursor: str | None, key: str) -> list[dict[str, Any]]:
    """Items following the one whose `key` equals the cursor; an unknown cursor has nothing after it."""
    if cursor is None:
        return list(items)
    for index, item in enumerate(items):
        if item[key] == cursor:
            return list(items[index + 1 :])
    return []


def _page(items: list[dict[str, Any]], limit: int, cursor_key: str) -> dict[str, Any]:
    answer: dict[str, Any] = {"items": items[:limit]}
    if len(items) > limit and limit > 0:
        answer["next_starting_after"] = items[limit - 1][cursor_key]
    return answer


class _Clock:
    """Millisecond ISO timestamps that never repeat, so timestamp cursors and sort orders stay exact."""

    def __init__(self) -> None:
        self._last = datetime(1970, 1, 1, tzinfo=UTC)
        self._lock = threading.Lock()

    def stamp(self) -> str:
        with self._lock:
            now = datetime.now(UTC)
            now = now.replace(microsecond=now.microsecond // 1000 * 1000)
            self._last = max(now, self._last + timedelta(milliseconds=1))
            return self._last.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self._last.microsecond // 1000:03d}Z"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeInstantly

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any) -> None:
        if isinstance(request, socket.socket):
            with self._connections_lock:
                self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket | tuple[bytes, socket.socket]) -> None:
        if isinstance(request, socket.socket):
            with self._connections_lock:
                self._connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """End kept-alive connections too, so a stopped fake looks like a dead server to pooled clients."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real clients expect of a JSON API
    timeout = 30  # an idle keep-alive connection must not pin a handler thread forever
    # Headers and body go out as separate writes; with Nagle on, delayed ACKs add ~40 ms to every call.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        return  # the simulator runs inside test and demo output, which must stay readable

    def _dispatch(self) -> None:
        length = self.headers.get("Content-Length")
        try:
            raw = self.rfile.read(int(length)) if length else b""
        except ValueError:
            raw, self.close_connection = b"", True
        if self.headers.get("Transfer-Encoding"):
            # We do not decode chunked uploads; drop the connection rather than misread the next request.
            self.close_connection = True
        fake = cast(_Server, self.server).fake
        headers = {name.lower(): value for name, value in self.headers.items()}
        status, body, extra, delay = fake._respond(self.command, self.path, headers, raw)
        if delay > 0:
            time.sleep(delay)
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (e.g. its timeout fired during `delay`); that is the scenario, not an error.
            self.close_connection = True

    # http.server looks handlers up as `do_<METHOD>`, so these names are not ours to choose.
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch  # noqa: N815


class FakeInstantly:
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
        if any(window <= 0 or limit < 1 for window, limit in rate_limits):
            raise ValueError("rate_limits need positive windows and limits")
        self.api_key = api_key
        self.workspace_id = workspace_id or str(uuid.uuid4())
        self.owner_user_id = str(uuid.uuid4())
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.delay: dict[str, float] = {}
        self.request_count = 0
        self.rate_limited = 0
        self._record_requests = record_requests
        self._on_request = on_request
        self._job_duration = job_duration
        self._rate_windows = [(float(window), int(limit), collections.deque[float]()) for window, limit in rate_limits]
        self._progress_steps = tuple(progress_steps)
        self._final_status = final_status
        self._tolerated_statuses: set[object] = {final_status}
        self._address = (host, port)
        self._spec: InstantlySpec = load_spec()
        self._known_filters = frozenset(
            self._spec.body_property("POST", MOVE_PATH, "filter").get("x-enumDescriptions", {})
        )
        self._lock = threading.RLock()
        self._clock = _Clock()
        self._created = self._clock.stamp()
        self._campaigns: dict[str, _Container] = {}
        self._lists: dict[str, _Container] = {}
        self._members: list[dict[str, Any]] = []
        self._jobs: dict[str, _Job] = {}
        self._faults: list[_Fault] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._routes: dict[tuple[str, str], Callable[[_Call], Any]] = {
            ("GET", "/api/v2/campaigns"): self._list_campaigns,
            ("GET", "/api/v2/campaigns/{id}"): lambda call: self._container(self._campaigns, call).public,
            ("GET", "/api/v2/campaigns/analytics"): self._campaign_analytics,
            ("GET", "/api/v2/lead-lists"): self._list_lead_lists,
            ("GET", "/api/v2/lead-lists/{id}"): lambda call: self._container(self._lists, call).public,
            ("GET", "/api/v2/lead-lists/{id}/verification-stats"): self._verification_stats,
            ("GET", "/api/v2/workspace-members"): self._list_members,
            ("GET", "/api/v2/workspaces/current"): self._workspace,
            ("GET", "/api/v2/lead-labels"): lambda call: {"items": []},
            ("POST", "/api/v2/leads/list"): self._list_leads,
            ("POST", MOVE_PATH): self._move_leads,
            ("GET", "/api/v2/background-jobs"): self._list_jobs,
            ("GET", "/api/v2/background-jobs/{id}"): self._get_job,
        }

    # -- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("FakeInstantly is already running")
        server = _Server(self._address, _Handler)
        server.fake = self
        self._server = server
        # A short poll interval is what makes stop() quick: shutdown() waits for the loop to notice.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-instantly", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.drop_connections()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeInstantly is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/api/v2"

    # -- seeding and inspection ------------------------------------------------------------------------------

    def add_campaign(self, name: str, *, status: int = 1, leads: int = 100) -> str:
        campaign_id = str(uuid.uuid4())
        stamp = self._clock.stamp()
        public = {
            "id": campaign_id,
            "name": name,
            "status": status,
            "campaign_schedule": {"schedules": [copy.deepcopy(_WORKDAY_SCHEDULE)]},
            "sequences": [],
            "email_list": [],
            "daily_limit": 50,
            "stop_on_reply": True,
            "organization": self.workspace_id,
            "timestamp_created": stamp,
            "timestamp_updated": stamp,
        }
        with self._lock:
            self._campaigns[campaign_id] = _Container("campaign", public, leads)
        return campaign_id

    def add_list(self, name: str, *, leads: int = 100) -> str:
        list_id = str(uuid.uuid4())
        public = {
            "id": list_id,
            "organization_id": self.workspace_id,
            "name": name,
            "has_enrichment_task": False,
            "owned_by": self.owner_user_id,
            "timestamp_created": self._clock.stamp(),
        }
        with self._lock:
            self._lists[list_id] = _Container("list", public, leads)
        return list_id

    def add_member(self, email: str, *, first: str = "", last: str = "", role: str = "editor") -> str:
        user_id = str(uuid.uuid4())
        member = {
            "id": str(uuid.uuid4()),
            "email": email,
            "user_id": user_id,
            "name": {"first": first, "last": last},
            "role": role,
            "timestamp_created": self._clock.stamp(),
            "workspace_id": self.workspace_id,
            "accepted": True,
        }
        with self._lock:
            self._members.append(member)
        return user_id

    def move_bodies(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                copy.deepcopy(request.body)
                for request in self.requests
                if request.method == "POST" and request.path == MOVE_PATH and request.status == 200
            ]

    def job(self, job_id: str) -> dict[str, Any]:
        with self._lock:
            job = self._jobs[job_id]
            self._settle(job, time.monotonic())
            return copy.deepcopy(job.public)

    def job_times(self) -> dict[str, tuple[float, float | None]]:
        """Every job's (created, ended) in time.monotonic() terms; ended is None while it runs. Copies no bodies."""
        with self._lock:
            now = time.monotonic()
            for job in self._jobs.values():
                self._settle(job, now)
            return {job_id: (job.created_at, job.ended_at) for job_id, job in self._jobs.items()}

    def job_ids(self) -> list[str]:
        """Every job's id, oldest first."""
        with self._lock:
            return list(self._jobs)

    def forget_job(self, job_id: str) -> None:
        """Drop a job, as Instantly does when it purges old ones: it then answers 404 for it."""
        with self._lock:
            del self._jobs[job_id]

    @property
    def final_status(self) -> str:
        """How jobs created from now on end."""
        return self._final_status

    @final_status.setter
    def final_status(self, status: str) -> None:
        with self._lock:
            self._final_status = status
            self._tolerated_statuses.add(status)

    def set_final_status(self, job_id: str, status: str) -> None:
        """Make one job end as `status`; any string goes, since Instantly adds job statuses over time."""
        with self._lock:
            self._jobs[job_id].final_status = status
            self._tolerated_statuses.add(status)

    def fail_next(
        self,
        method: str,
        path_prefix: str,
        *,
        status: int,
        message: str = "",
        times: int = 1,
        retry_after: float | None = None,
        body: str | None = None,
    ) -> None:
        """Answer the next `times` valid requests matching `method path_prefix` with an Instantly error."""
        http.HTTPStatus(status)  # fail here, in the test, rather than inside the server thread
        fault = _Fault(method.upper(), path_prefix, status, message, times, retry_after, body)
        with self._lock:
            self._faults.append(fault)

    # -- request pipeline ------------------------------------------------------------------------------------

    def _respond(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, bytes, dict[str, str], float]:
        """Status, body, extra headers and delay for one request; records it and any violation."""
        url = urlsplit(target)
        multi = parse_qs(url.query, keep_blank_values=True)
        body: Any = None
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        try:
            reply = self._answer(method, url.path, multi, headers, raw)
        except _ApiError as exc:
            reply = _Reply(exc.status, _error(exc.status, exc.message))
            if exc.violation:
                self._violate(f"{method} {url.path}: {exc.status} {exc.message}{exc.detail}")
        except Exception as exc:  # a bug in the fake must surface in tests, not hang the client
            reply = _Reply(500, _error(500, f"simulator crashed: {exc!r}"))
            self._violate(f"{method} {url.path}: simulator crashed: {exc!r}")
        encoded = (reply.raw if reply.raw is not None else json.dumps(reply.payload)).encode()
        query = {name: values[-1] for name, values in multi.items()}
        recorded = RecordedRequest(method, url.path, query, body, headers, reply.status, time.monotonic())
        with self._lock:
            self.request_count += 1
            if self._record_requests:
                self.requests.append(recorded)
        if self._on_request is not None:
            self._on_request(recorded)
        delays = [(len(prefix), seconds) for prefix, seconds in list(self.delay.items()) if url.path.startswith(prefix)]
        return reply.status, encoded, reply.headers, max(delays)[1] if delays else 0.0

    def _answer(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], raw: bytes
    ) -> _Reply:
        agent = headers.get("user-agent", "")
        if not agent or agent.lower().startswith(_BLOCKED_AGENTS):
            raise _ApiError(403, "Blocked user agent", violation=True, detail=f" ({agent or 'none'})")
        authorization = headers.get("authorization")
        if authorization is None or not authorization.startswith("Bearer "):
            # A wrong key is a legitimate test scenario; a missing or malformed header is our bug.
            raise _ApiError(401, "Invalid API key", violation=True, detail=" (missing or not Bearer)")
        if authorization != f"Bearer {self.api_key}":
            raise _ApiError(401, "Invalid API key")
        if self._rate_windows and not self._within_rate_limits():
            return _Reply(429, _error(429, "Rate limit exceeded"))
        try:
            op, params = self._spec.match(method, path)
            call = _Call(
                params,
                self._spec.check_query(op, query),
                self._spec.check_body(op, raw, headers.get("content-type")),
            )
        except ContractError as exc:
            raise _ApiError(exc.status, exc.message, violation=True) from exc
        fault = self._take_fault(method, path)
        if fault is not None:
            return fault
        handler = self._routes.get((op.method, op.template))
        if handler is None:
            raise _ApiError(404, f"Route {method}:{path} is documented but not simulated", violation=True)
        with self._lock:
            payload = handler(call)
            payload = copy.deepcopy(payload)
            tolerated = set(self._tolerated_statuses)
        self._self_check(op, payload, tolerated)
        return _Reply(200, payload)

    def _within_rate_limits(self) -> bool:
        """Count this request against every window, or say it is one too many (a 429 uses up nothing)."""
        with self._lock:
            now = time.monotonic()
            for window, limit, sent in self._rate_windows:
                while sent and sent[0] <= now - window:
                    sent.popleft()
                if len(sent) >= limit:
                    self.rate_limited += 1
                    return False
            for _, _, sent in self._rate_windows:
                sent.append(now)
            return True

    def _take_fault(self, method: str, path: str) -> _Reply | None:
        with self._lock:
            for fault in self._faults:
                if fault.method in (method, "*") and path.startswith(fault.path_prefix):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    break
            else:
                return None
        extra = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
        message = fault.message or http.HTTPStatus(fault.status).phrase
        return _Reply(fault.status, _error(fault.status, message), extra, fault.body)

    def _self_check(self, op: Operation, payload: Any, tolerated: set[object]) -> None:
        for problem in self._spec.check_response(op, 200, payload, tolerated=tolerated):
            self._violate(f"simulator answered {op.method} {op.template} off-spec: {problem}")

    def _violate(self, message: str) -> None:
        with self._lock:
            self.violations.append(message)

    # -- endpoints (called with the lock held) ---------------------------------------------------------------

    @staticmethod
    def _container(store: dict[str, _Container], call: _Call) -> _Container:
        found = store.get(call.params["id"])
        if found is None:
            raise _ApiError(404, "Resource not found")
        return found

    @staticmethod
    def _search(
        items: list[dict[str, Any]], needle: str | None, *fields: Callable[[dict[str, Any]], str]
    ) -> list[dict[str, Any]]:
        if not needle:
            return items
        lowered = needle.lower()
        return [item for item in items if any(lowered in get(item).lower() for get in fields)]

    def _list_campaigns(self, call: _Call) -> dict[str, Any]:
        items = [campaign.public for campaign in self._campaigns.values()]
        items = self._search(items, call.query.get("search"), lambda item: item["name"])
        if "status" in call.query:
            items = [item for item in items if item["status"] == call.query["status"]]
        if "exclude_status" in call.query:
            items = [item for item in items if item["status"] != call.query["exclude_status"]]
        items = _after(items, call.query.get("starting_after"), "id")
        return _page(items, call.query.get("limit", _DEFAULT_LIMIT), "id")

    def _campaign_analytics(self, call: _Call) -> list[dict[str, Any]]:
        wanted = set(call.query.get("ids", [])) | ({call.query["id"]} if "id" in call.query else set())
        zero_counts = (
            "contacted_count",
            "open_count",
            "reply_count",
            "link_click_count",
            "bounced_count",
            "unsubscribed_count",
            "completed_count",
            "emails_sent_count",
            "new_leads_contacted_count",
            "total_opportunities",
            "total_opportunity_value",
        )
        return [
            {
                "campaign_name": campaign.public["name"],
                "campaign_id": campaign_id,
                "campaign_status": campaign.public["status"],
                "campaign_is_evergreen": False,
                "leads_count": campaign.leads,
                **dict.fromkeys(zero_counts, 0),
            }
            for campaign_id, campaign in self._campaigns.items()
            if not wanted or campaign_id in wanted
        ]

    def _list_lead_lists(self, call: _Call) -> dict[str, Any]:
        items = [lead_list.public for lead_list in self._lists.values()]
        items = self._search(items, call.query.get("search"), lambda item: item["name"])
        cursor = call.query.get("starting_after")
        if cursor is not None:
            try:
                after = datetime.fromisoformat(cursor)
            except ValueError as exc:
                # Lead lists page by timestamp; handing back an id here is a client bug worth flagging.
                raise _ApiError(400, "querystring/starting_after must be a timestamp", violation=True) from exc
            items = [item for item in items if datetime.fromisoformat(item["timestamp_created"]) > after]
        return _page(items, call.query.get("limit", _DEFAULT_LIMIT), "timestamp_created")

    def _verification_stats(self, call: _Call) -> dict[str, Any]:
        leads = self._container(self._lists, call).leads
        stats = dict.fromkeys(("invalid", "risky", "catch_all", "job_change"), 0)
        return {"stats": {"verified": leads, **stats}, "total_leads": leads}

    def _list_members(self, call: _Call) -> dict[str, Any]:
        items = self._search(
            list(self._members),
            call.query.get("search"),
            lambda item: item["email"],
            lambda item: f"{item['name']['first']} {item['name']['last']}",
        )
        if "accepted" in call.query:
            items = [item for item in items if item["accepted"] == call.query["accepted"]]
        items = _after(items, call.query.get("starting_after"), "id")
        return _page(items, call.query.get("limit", _DEFAULT_LIMIT), "id")

    def _workspace(self, call: _Call) -> dict[str, Any]:
        return {
            "id": self.workspace_id,
            "name": "Leadmover demo workspace",
            "owner": self.owner_user_id,
            "timestamp_created": self._created,
            "timestamp_updated": self._created,
        }

    def _source(self, body: dict[str, Any]) -> _Container | None:
        if "campaign" in body:
            found = self._campaigns.get(body["campaign"])
        elif "list_id" in body:
            found = self._lists.get(body["list_id"])
        else:
            return None
        if found is None:
            raise _ApiError(404, "Source campaign or list not found")
        return found

    def _leads(self, source: _Container | None, body: dict[str, Any]) -> list[tuple[str, str]]:
        """(id, email) of the leads a filter body selects; ids are stable so tests can target them."""
        if source is None:
            namespace, count, domain = uuid.NAMESPACE_URL, _UNSOURCED_LEADS, "workspace.example.com"
        else:
            namespace, count = uuid.UUID(source.public["id"]), source.leads
            domain = f"{source.public['id'][:8]}.example.com"
        leads = [(str(uuid.uuid5(namespace, str(n))), f"lead{n + 1}@{domain}") for n in range(count)]
        if "filter" in body and body["filter"] not in self._known_filters:
            # Instantly silently matches nothing for an unknown filter; the caller should never send one.
            self._violate(f"unknown lead filter {body['filter']!r} matches no leads")
            return []
        for key, position, keep in (("ids", 0, True), ("excluded_ids", 0, False), ("contacts", 1, True)):
            if key in body:
                chosen = set(body[key])
                leads = [lead for lead in leads if (lead[position] in chosen) == keep]
        if body.get("search"):
            leads = [lead for lead in leads if body["search"].lower() in lead[1]]
        return leads

    def _list_leads(self, call: _Call) -> dict[str, Any]:
        body = call.body or {}
        source = self._source(body)
        stamp = self._created
        items: list[dict[str, Any]] = [
            {
                "id": lead_id,
                "email": email,
                "timestamp_created": stamp,
                "timestamp_updated": stamp,
                "organization": self.workspace_id,
                "status": 1,
                "email_open_count": 0,
                "email_reply_count": 0,
                "email_click_count": 0,
                "company_domain": email.split("@")[1],
                "status_summary": {},
                "campaign": source.public["id"] if source and source.kind == "campaign" else None,
                "list_id": source.public["id"] if source and source.kind == "list" else None,
            }
            for lead_id, email in self._leads(source, body)
        ]
        items = _after(items, body.get("starting_after"), "id")
        return _page(items, body.get("limit", _DEFAULT_LIMIT), "id")

    def _move_leads(self, call: _Call) -> dict[str, Any]:
        body: dict[str, Any] = call.body or {}
        if ("to_campaign_id" in body) == ("to_list_id" in body):
            raise _ApiError(400, "body must have exactly one of to_campaign_id, to_list_id", violation=True)
        if "ids" in body and "campaign" not in body and "list_id" not in body:
            raise _ApiError(400, "body/ids needs a source campaign or list_id", violation=True)
        known_users = {self.owner_user_id} | {member["user_id"] for member in self._members}
        if "assigned_to" in body and body["assigned_to"] not in known_users:
            raise _ApiError(400, "body/assigned_to must be a workspace member's user_id", violation=True)
        if "to_campaign_id" in body:
            destination = self._campaigns.get(body["to_campaign_id"])
        else:
            destination = self._lists.get(body["to_list_id"])
        if destination is None:
            raise _ApiError(404, "Destination campaign or list not found")
        source = self._source(body)
        leads = self._leads(source, body)
        total = max(0, min(int(body.get("limit", len(leads))), len(leads)))
        stamp = self._clock.stamp()
        public = {
            "id": secrets.token_hex(12),  # Instantly job ids are Mongo-style ObjectIds, not UUIDs
            "workspace_id": self.workspace_id,
            "user_id": self.owner_user_id,
            "type": "move-leads",
            "entity_id": destination.public["id"],
            "entity_type": destination.kind,
            "progress": 0,
            "status": "pending",
            "data": {},
            "created_at": stamp,
            "updated_at": stamp,
        }
        emails = [email for _, email in leads[: min(total, _SAMPLE_EMAILS)]]
        job = _Job(public, copy.deepcopy(body), total, emails, source, destination, self._final_status)
        job.created_at = time.monotonic()
        self._jobs[public["id"]] = job
        return public

    def _advance(self, job: _Job) -> None:
        """One observation moves a job one scripted step; finished jobs never change again."""
        if job.finished:
            return
        if self._job_duration is not None:
            self._settle(job, time.monotonic())
            return
        public = job.public
        if job.step < len(self._progress_steps):
            public.update(status="in-progress", progress=self._progress_steps[job.step])
            job.step += 1
        else:
            self._finish(job, time.monotonic())
        public["updated_at"] = self._clock.stamp()

    def _settle(self, job: _Job, now: float) -> None:
        """With `job_duration`: bring a job to where the clock says it is (a no-op in per-observation mode)."""
        duration = self._job_duration
        if duration is None or job.finished:
            return
        elapsed = now - job.created_at
        if elapsed >= duration:
            if job.step < len(self._progress_steps):
                # It ends at its last step's progress, as it would had anyone watched it get there.
                job.public.update(status="in-progress", progress=self._progress_steps[-1])
            self._finish(job, job.created_at + duration)
            job.public["updated_at"] = self._clock.stamp()
            return
        # pending for the first share, then one share per progress step
        step = min(len(self._progress_steps), int(elapsed / duration * (len(self._progress_steps) + 1)))
        if step > job.step:
            job.step = step
            job.public.update(status="in-progress", progress=self._progress_steps[step - 1])
            job.public["updated_at"] = self._clock.stamp()

    def _finish(self, job: _Job, at: float) -> None:
        public = job.public
        job.finished = True
        job.ended_at = at
        if job.final_status == "success":
            data = {"moved_leads": job.total, "moved_lead_emails": job.emails}
            public.update(status="success", progress=100, data=data)
            if not job.body.get("copy_leads") and job.source is not None:
                job.source.leads -= job.total
            job.destination.leads += job.total
        else:
            moved = job.total * int(public["progress"]) // 100
            public.update(status=job.final_status, data={"moved_leads": moved})

    def _get_job(self, call: _Call) -> dict[str, Any]:
        job = self._jobs.get(call.params["id"])
        if job is None:
            raise _ApiError(404, "Background job not found")
        self._advance(job)
        return job.public

    def _list_jobs(self, call: _Call) -> dict[str, Any]:
        query = call.query
        jobs = list(self._jobs.values())
        if self._job_duration is not None:
            now = time.monotonic()
            for job in jobs:
                self._settle(job, now)
        ids = _csv(query.get("ids"))
        for key, keep in (("ids", True), ("included_ids", True), ("excluded_ids", False), ("status", True)):
            wanted = _csv(query.get(key))
            if wanted is not None:
                field_name = "status" if key == "status" else "id"
                jobs = [job for job in jobs if (job.public[field_name] in wanted) == keep]
        for key in ("type", "entity_type", "entity_id"):
            if key in query:
                jobs = [job for job in jobs if job.public[key] == query[key]]
        column = query.get("sort_column", "created_at")
        jobs.sort(key=lambda job: str(job.public[column]), reverse=query.get("sort_order", "desc") == "desc")
        limit = query.get("limit", _DEFAULT_LIMIT)
        remaining = _after([job.public for job in jobs], query.get("starting_after"), "id")
        answer = _page(remaining, limit, "id")
        if ids is not None:
            # Only a poll by id counts as watching a job: a recovery search must not push jobs along.
            for public in answer["items"]:
                self._advance(self._jobs[public["id"]])
        return answer

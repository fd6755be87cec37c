"""A typed client for the parts of Instantly API v2 that leadmover uses, over one pooled httpx.Client.

Every failure is an InstantlyError (the hierarchy is drawn in bot.instantly.errors). Idempotent GETs are retried on
timeouts, 5xx, 429 and unreadable answers. POST /leads/move never is: Instantly has no idempotency key, so a resent
POST could start a second move. Every request spends the workspace's request budget (bot.instantly.budget).
`instantly_client` is the one way the product builds a client: from Settings, a key and that key's budget.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from bot import __version__, metrics
from bot.instantly.budget import Budget, Priority
from bot.instantly.errors import (
    InstantlyAPIError,
    InstantlyBudgetExhausted,
    InstantlyError,
    InstantlyNotFound,
    InstantlyProtocolError,
    InstantlyRateLimited,
    InstantlyServerError,
    InstantlyTimeout,
    InstantlyTransportError,
    api_error,
)
from bot.instantly.schemas import (
    BackgroundJob,
    Campaign,
    CampaignAnalyticsRows,
    Lead,
    LeadList,
    ListLeadsRequest,
    ListVerificationStats,
    MoveLeadsRequest,
    Page,
    Workspace,
    WorkspaceMember,
    is_job_id,
)
from bot.settings import Settings

log = logging.getLogger(__name__)

USER_AGENT: Final = f"leadmover/{__version__} (+https://github.com/leadmover/leadmover)"
MAX_IDS_PER_REQUEST: Final = 100
# The path parts that name an endpoint rather than a thing (every other part after the first is an id).
_NAMED_PATH_PARTS: Final = frozenset({"move", "list", "analytics", "current", "verification-stats"})
MODEL = TypeVar("MODEL", bound=BaseModel)


class InstantlyClient:
    """One Instantly workspace, reached through its API key."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout: float = 10.0,
        max_attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        budget: Budget | None = None,
    ) -> None:
        self._max_attempts = max_attempts
        self._sleep = sleep
        self.budget = budget
        self._http = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            headers={
                "Authorization": f"Bearer {api_key}",
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
            },
            timeout=httpx.Timeout(timeout, connect=5.0),
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> InstantlyClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- leads -------------------------------------------------------------------------------------------

    def move_leads(self, request: MoveLeadsRequest, *, timeout: float | None = None) -> BackgroundJob:
        """Start a move (or copy) job. Sent once: a timeout surfaces as InstantlyTimeout, never a resend. Moves wait
        their turn (bot.starts) behind people at a screen, so they take the budget's share for queued work."""
        body = self._send("POST", "leads/move", json_body=request.to_body(), timeout=timeout, priority=Priority.QUEUED)
        return self._parse(BackgroundJob, body)

    def sample_leads(self, request: ListLeadsRequest, *, timeout: float) -> list[Lead]:
        """One page of the leads a filter selects (POST /leads/list reads nothing but changes nothing either)."""
        return self.list_leads(request, timeout=timeout).items

    def list_leads(self, request: ListLeadsRequest, *, timeout: float) -> Page[Lead]:
        """One page of the leads a filter selects and the cursor of the next, for a person waiting on a preview."""
        body = self._send(
            "POST", "leads/list", json_body=request.to_body(), timeout=timeout, priority=Priority.INTERACTIVE
        )
        return self._parse(Page[Lead], body)

    # --- counts ------------------------------------------------------------------------------------------

    def campaign_leads_count(self, campaign_id: str, *, timeout: float) -> int | None:
        """The campaign's `leads_count` from its analytics; None if Instantly sent no row for it."""
        rows = self._parse(
            CampaignAnalyticsRows, self._get("campaigns/analytics", {"id": campaign_id}, timeout=timeout)
        )
        found = [row.leads_count for row in rows.root if row.campaign_id in (campaign_id, None)]
        return found[0] if found else None

    def list_total_leads(self, list_id: str, *, timeout: float) -> int:
        """The lead list's `total_leads` from its verification stats."""
        path = f"lead-lists/{quote(list_id, safe='')}/verification-stats"
        return int(self._parse(ListVerificationStats, self._get(path, {}, timeout=timeout)).total_leads)

    # --- background jobs ---------------------------------------------------------------------------------

    def get_job(self, job_id: str, *, with_counts: bool = True, timeout: float | None = None) -> BackgroundJob:
        """One job. An id that is not Instantly's shape never reaches a URL path: it is a job Instantly cannot know."""
        if not is_job_id(job_id):
            raise InstantlyNotFound(status_code=404, error="Not Found", message="not an Instantly job id")
        # The e-mails are asked for by name: Instantly sends them (up to 10,000) only then.
        params = {"data_fields": "moved_leads,moved_lead_emails"} if with_counts else {}
        return self._parse(BackgroundJob, self._get(f"background-jobs/{job_id}", params, timeout=timeout))

    def list_jobs(self, *, ids: Sequence[str]) -> list[BackgroundJob]:
        """The jobs with these ids, one request per hundred; ids Instantly doesn't know are simply absent."""
        jobs: list[BackgroundJob] = []
        for start in range(0, len(ids), MAX_IDS_PER_REQUEST):
            chunk = ids[start : start + MAX_IDS_PER_REQUEST]
            params = {"ids": ",".join(chunk), "limit": str(len(chunk))}
            jobs.extend(self._parse(Page[BackgroundJob], self._get("background-jobs", params)).items)
        return jobs

    def recent_move_jobs(self, *, limit: int = 20, timeout: float | None = None) -> list[BackgroundJob]:
        """The newest move-leads jobs first: how a move whose POST timed out is found again."""
        params = {
            "type": "move-leads",
            "sort_column": "created_at",
            "sort_order": "desc",
            "limit": str(limit),
        }
        return self._parse(Page[BackgroundJob], self._get("background-jobs", params, timeout=timeout)).items

    def jobs_updated_since(self, *, starting_after: str | None = None, limit: int = 100) -> Page[BackgroundJob]:
        """One page of every job of the workspace, the most recently updated first: how a watched workspace's jobs
        are discovered (bot.watching), on the budget's small discovery share."""
        params = {"sort_column": "updated_at", "sort_order": "desc", "limit": str(limit)}
        if starting_after is not None:
            params["starting_after"] = starting_after
        body = self._send("GET", "background-jobs", params=params, timeout=None, priority=Priority.DISCOVERY)
        return self._parse(Page[BackgroundJob], body)

    # --- pickers -----------------------------------------------------------------------------------------

    def list_campaigns(
        self,
        *,
        search: str = "",
        limit: int = 25,
        starting_after: str | None = None,
        timeout: float | None = None,
    ) -> Page[Campaign]:
        params = self._page_params(search=search, limit=limit, starting_after=starting_after)
        return self._parse(Page[Campaign], self._get("campaigns", params, timeout=timeout))

    def list_lead_lists(
        self,
        *,
        search: str = "",
        limit: int = 25,
        starting_after: str | None = None,
        timeout: float | None = None,
    ) -> Page[LeadList]:
        params = self._page_params(search=search, limit=limit, starting_after=starting_after)
        return self._parse(Page[LeadList], self._get("lead-lists", params, timeout=timeout))

    def get_campaign(self, campaign_id: str, *, timeout: float | None = None) -> Campaign:
        """One campaign by id (its name as Instantly has it now)."""
        path = f"campaigns/{quote(campaign_id, safe='')}"
        return self._parse(Campaign, self._get(path, {}, timeout=timeout))

    def get_lead_list(self, list_id: str, *, timeout: float | None = None) -> LeadList:
        """One lead list by id (its name as Instantly has it now)."""
        path = f"lead-lists/{quote(list_id, safe='')}"
        return self._parse(LeadList, self._get(path, {}, timeout=timeout))

    def list_members(self, *, search: str = "", limit: int = 25, timeout: float | None = None) -> Page[WorkspaceMember]:
        params = self._page_params(search=search, limit=limit, starting_after=None)
        return self._parse(Page[WorkspaceMember], self._get("workspace-members", params, timeout=timeout))

    def current_workspace(self, *, timeout: float | None = None) -> Workspace:
        return self._parse(Workspace, self._get("workspaces/current", {}, timeout=timeout))

    # --- plumbing ----------------------------------------------------------------------------------------

    @staticmethod
    def _page_params(*, search: str, limit: int, starting_after: str | None) -> dict[str, str]:
        params = {"limit": str(max(1, min(limit, 100)))}
        if search:
            params["search"] = search
        if starting_after:
            params["starting_after"] = starting_after
        return params

    @staticmethod
    def _parse(model: type[MODEL], body: Any) -> MODEL:
        try:
            return model.model_validate(body)
        except ValidationError as exc:
            raise InstantlyProtocolError(f"unexpected answer shape for {model.__name__}: {exc.errors()[:3]}") from exc

    def _get(self, path: str, params: Mapping[str, str], *, timeout: float | None = None) -> Any:
        # A time-boxed call (a picker) gets one try: a person is waiting for it.
        attempts = 1 if timeout is not None else self._max_attempts
        priority = Priority.INTERACTIVE if timeout is not None else Priority.BACKGROUND
        for attempt in range(1, attempts + 1):
            try:
                return self._send("GET", path, params=params, timeout=timeout, priority=priority)
            except (
                InstantlyTransportError,
                InstantlyProtocolError,
                InstantlyServerError,
                InstantlyRateLimited,
            ) as exc:
                if attempt == attempts:
                    raise
                delay = self._backoff(attempt, exc)
                log.warning("Instantly GET %s failed (%s); retry %d in %.1fs", path, exc, attempt, delay)
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _backoff(attempt: int, exc: InstantlyError) -> float:
        if isinstance(exc, InstantlyAPIError) and exc.retry_after is not None:
            return min(exc.retry_after, 60.0)
        # Full jitter keeps several replicas from retrying in step.
        return random.uniform(0, min(8.0, 0.5 * 2**attempt))

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
        timeout: float | None = None,
        priority: Priority = Priority.BACKGROUND,
    ) -> Any:
        extra: dict[str, Any] = (
            {} if timeout is None else {"timeout": httpx.Timeout(timeout, connect=min(timeout, 5.0))}
        )
        slot = None
        if self.budget is not None:
            wait = timeout if timeout is not None else 30.0
            asked = time.monotonic()
            slot = self.budget.acquire(priority=priority, timeout=wait)
            metrics.budget_waited(time.monotonic() - asked)
            if slot is None:
                raise InstantlyBudgetExhausted(f"{method} /{path}: no room in the request budget within {wait:.0f}s")
        endpoint, sent = endpoint_of(method, path), time.monotonic()
        try:
            response = self._http.request(method, path, params=params, json=json_body, **extra)
        except httpx.TimeoutException as exc:
            metrics.instantly_request(endpoint=endpoint, status="timeout", seconds=time.monotonic() - sent)
            raise InstantlyTimeout(f"{method} /{path} timed out") from exc
        except httpx.HTTPError as exc:
            metrics.instantly_request(endpoint=endpoint, status="network", seconds=time.monotonic() - sent)
            raise InstantlyTransportError(f"{method} /{path} failed: {exc.__class__.__name__}") from exc
        finally:
            if slot is not None and self.budget is not None:
                self.budget.release(slot)
        metrics.instantly_request(endpoint=endpoint, status=str(response.status_code), seconds=time.monotonic() - sent)
        if response.status_code >= 400:
            error = api_error(response)
            if isinstance(error, InstantlyRateLimited) and self.budget is not None:
                self.budget.slow_down(seconds=max(60.0, error.retry_after or 0.0))
            raise error
        try:
            return response.json()
        except json.JSONDecodeError as exc:
            raise InstantlyProtocolError(f"{method} /{path} answered {response.status_code} with non-JSON") from exc


def endpoint_of(method: str, path: str) -> str:
    """`method` and `path` with its ids written as {id}, so that a metric's label takes few values."""
    parts = path.strip("/").split("/")
    named = [part if n == 0 or part in _NAMED_PATH_PARTS else "{id}" for n, part in enumerate(parts)]
    return f"{method} /{'/'.join(named)}"


def instantly_client(
    *,
    settings: Settings,
    api_key: str,
    budget: Budget | None,
    timeout: float | None = None,
    max_attempts: int = 3,
) -> InstantlyClient:
    """A client of the Instantly workspace `api_key` reaches, spending `budget`; `timeout` (else the settings') and
    `max_attempts` for a caller that cannot wait, such as a key checked while a person looks on."""
    return InstantlyClient(
        api_key=api_key,
        base_url=settings.instantly_api_url,
        timeout=settings.instantly_timeout_seconds if timeout is None else timeout,
        max_attempts=max_attempts,
        budget=budget,
    )

"""Prometheus metrics counted in memory: the hot paths bump a counter or a histogram and do nothing else (what the
database knows is read at scrape time, in bot.scrape). Labels stay few: team_id is "" unless counted per workspace
(LEADMOVER_METRICS_PER_WORKSPACE=true)."""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter, Histogram
from prometheus_client.registry import Collector

from bot import logs

TEAM: Final = "team_id"
# Acks must come within Slack's 3 s; the buckets are finest below that.
_ACK_BUCKETS: Final = (0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 5.0)
_REQUEST_BUCKETS: Final = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_WAIT_BUCKETS: Final = (0.001, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 30.0)

# Registered in no registry of their own: each process's /metrics registry (registry()) exposes them.
MOVES: Final = Counter(
    "leadmover_moves_total",
    "Moves and copies that ended, by outcome (Instantly's final status, or lost) and by how they were asked for",
    ["outcome", "via", TEAM],
    registry=None,
)
INSTANTLY_REQUESTS: Final = Counter(
    "leadmover_instantly_requests_total",
    "Requests to Instantly by endpoint and HTTP status (timeout or network when none came back)",
    ["endpoint", "status", TEAM],
    registry=None,
)
INSTANTLY_SECONDS: Final = Histogram(
    "leadmover_instantly_request_seconds",
    "How long Instantly took to answer one request",
    ["endpoint", TEAM],
    buckets=_REQUEST_BUCKETS,
    registry=None,
)
BUDGET_WAIT: Final = Histogram(
    "leadmover_instantly_budget_wait_seconds",
    "How long a request waited for room in its workspace's Instantly request budget",
    [TEAM],
    buckets=_WAIT_BUCKETS,
    registry=None,
)
SLACK_CALLS: Final = Counter(
    "leadmover_slack_calls_total",
    "Slack Web API calls by method and result (ok, Slack's error code, or network)",
    ["method", "result", TEAM],
    registry=None,
)
ACK_SECONDS: Final = Histogram(
    "leadmover_ack_seconds",
    "From a Slack request's arrival to its acknowledgement",
    [TEAM],
    buckets=_ACK_BUCKETS,
    registry=None,
)
IN_MEMORY: Final[tuple[Collector, ...]] = (
    MOVES,
    INSTANTLY_REQUESTS,
    INSTANTLY_SECONDS,
    BUDGET_WAIT,
    SLACK_CALLS,
    ACK_SECONDS,
)

_per_workspace = False


def count_per_workspace(on: bool) -> None:
    """Whether what is counted from now on carries the workspace it concerns (LEADMOVER_METRICS_PER_WORKSPACE)."""
    global _per_workspace
    _per_workspace = on


def team() -> str:
    """The team_id label of what is counted now: the workspace the work at hand concerns, if counted per workspace."""
    return str(logs.concerns().get("team_id", "")) if _per_workspace else ""


def ended_move(*, outcome: str, via: str | None) -> None:
    MOVES.labels(outcome=outcome, via=via or "unknown", team_id=team()).inc()


def slack_call(*, method: str, result: str) -> None:
    SLACK_CALLS.labels(method=method, result=result, team_id=team()).inc()


def instantly_request(*, endpoint: str, status: str, seconds: float) -> None:
    label = team()
    INSTANTLY_REQUESTS.labels(endpoint=endpoint, status=status, team_id=label).inc()
    INSTANTLY_SECONDS.labels(endpoint=endpoint, team_id=label).observe(seconds)


def budget_waited(seconds: float) -> None:
    BUDGET_WAIT.labels(team_id=team()).observe(seconds)


def acked(seconds: float) -> None:
    ACK_SECONDS.labels(team_id=team()).observe(seconds)

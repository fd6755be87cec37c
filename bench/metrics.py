"""What a benchmark run records, and the figures it turns that into (bench/report.py prints them).

The fakes call `InstantlyLog.add` and `SlackLog.add` for every request they answer (see the fakes' `on_request` and
`on_call` knobs); both keep one small tuple per request, never bodies, so 5,000 jobs stay cheap.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import os
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, NamedTuple

from simulators.instantly import RecordedRequest
from simulators.slack import ApiCall

JOBS_PATH = "/api/v2/background-jobs"
MOVE_PATH = "/api/v2/leads/move"
PICKER_PATHS = ("/api/v2/campaigns", "/api/v2/lead-lists", "/api/v2/workspace-members")


class InstantlyHit(NamedTuple):
    at: float  # time.monotonic()
    kind: str  # "poll" | "move" | "picker" | "other"
    status: int
    workspace_id: str = ""  # the Instantly workspace whose key it carried ("" when no live key did)


class SlackHit(NamedTuple):
    at: float
    method: str
    channel: str
    in_thread: bool
    ok: bool
    error: str
    instantly_job_id: str
    team_id: str = ""  # whose token made the call ("" when none did, e.g. oauth.v2.access)


def instantly_kind(method: str, path: str) -> str:
    if path.startswith(JOBS_PATH):
        return "poll"
    if method == "POST" and path == MOVE_PATH:
        return "move"
    if path.startswith(PICKER_PATHS):
        return "picker"
    return "other"


class InstantlyLog:
    def __init__(self) -> None:
        self.hits: list[InstantlyHit] = []
        self._lock = threading.Lock()

    def add(self, request: RecordedRequest) -> None:
        kind = instantly_kind(request.method, request.path)
        hit = InstantlyHit(request.at, kind, request.status, request.workspace_id or "")
        with self._lock:
            self.hits.append(hit)

    def snapshot(self) -> list[InstantlyHit]:
        with self._lock:
            return list(self.hits)


def job_id_in(metadata: Any) -> str:
    """The Instantly job a message's metadata names (`event_payload.instantly_job_id`; given as JSON text or as a
    dict), or ""."""
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return ""
    if not isinstance(metadata, dict):
        return ""
    payload = metadata.get("event_payload")
    return str(payload.get("instantly_job_id") or "") if isinstance(payload, dict) else ""


def shared_ids_in(metadata: Any) -> list[int]:
    """leadmover's numbers of the jobs a shared message names (`event_payload.job_ids`, "12,13,14"), or []."""
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return []
    payload = metadata.get("event_payload") if isinstance(metadata, dict) else None
    shared = str(payload.get("job_ids") or "") if isinstance(payload, dict) else ""
    return [int(part) for part in shared.split(",") if part.isdecimal()]


class SlackLog:
    """Every Web API call; final replies (a thread post that names its Instantly job) are indexed as they come."""

    def __init__(self) -> None:
        self.hits: list[SlackHit] = []
        self.replies: dict[str, list[float]] = defaultdict(list)  # instantly job id -> when each reply was posted
        self.notes = 0  # chat.postEphemeral: leadmover telling a requester their move did not start
        self._lock = threading.Lock()

    def add(self, call: ApiCall, status: int, answer: dict[str, Any]) -> None:
        args = call.args
        ok = bool(answer.get("ok"))
        in_thread = bool(args.get("thread_ts"))
        job_id = job_id_in(args.get("metadata")) if call.method == "chat.postMessage" else ""
        channel, error = str(args.get("channel") or ""), str(answer.get("error") or "")
        hit = SlackHit(call.at, call.method, channel, in_thread, ok, error, job_id, call.team_id)
        with self._lock:
            self.hits.append(hit)
            if ok and in_thread and job_id:
                self.replies[job_id].append(call.at)
            if ok and call.method == "chat.postEphemeral":
                self.notes += 1

    def replied(self) -> set[str]:
        with self._lock:
            return set(self.replies)

    def snapshot(self) -> tuple[list[SlackHit], dict[str, list[float]], int]:
        with self._lock:
            return list(self.hits), {k: list(v) for k, v in self.replies.items()}, self.notes


# --- arithmetic -------------------------------------------------------------------------------------------------


def peak_in_window(times: Iterable[float], window: float) -> int:
    """The most events in any half-open window [t, t + window)."""
    ordered = sorted(times)
    best = start = 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def per(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


# Where the final reply delay's histogram buckets start, in seconds; the last one has no end.
REPLY_DELAY_EDGES: tuple[float, ...] = (0, 1, 2, 3, 5, 10, 30, 60, 120)


def bucket_labels(edges: Sequence[float]) -> list[str]:
    """The names of the buckets starting at `edges`: "0-1", "1-2", ..., "120+" (seconds)."""
    bounds = [f"{edge:g}" for edge in edges]
    return [f"{low}-{high}" for low, high in itertools.pairwise(bounds)] + [f"{bounds[-1]}+"]


def bucket_counts(values: Iterable[float], *, edges: Sequence[float] = REPLY_DELAY_EDGES) -> dict[str, int]:
    """How many values fall in each half-open bucket [edge, next edge); below the first edge counts in the first."""
    labels = bucket_labels(edges)
    counts = dict.fromkeys(labels, 0)
    for value in values:
        index = max(0, bisect.bisect_right(edges, value) - 1)
        counts[labels[index]] += 1
    return counts


# --- the leadmover / baseline process --------------------------------------------------------------------------


def process_stats(pid: int) -> tuple[float, float]:
    """(peak RSS in MB from VmHWM, CPU seconds from utime + stime) of a live process, read from /proc."""
    with open(f"/proc/{pid}/status") as status:
        hwm_kb = next((int(line.split()[1]) for line in status if line.startswith("VmHWM:")), 0)
    with open(f"/proc/{pid}/stat") as stat:
        after_name = stat.read().rsplit(")", 1)[1].split()
    # Fields 14 and 15 of stat(5); after the name, field 3 (state) is index 0.
    ticks = int(after_name[11]) + int(after_name[12])
    return hwm_kb / 1024, ticks / os.sysconf("SC_CLK_TCK")


# --- the figures -----------------------------------------------------------------------------------------------


@dataclass
class Figures:
    """Every figure of one run (one mode, one job count). None: not measured in this mode."""

    mode: str
    jobs: int
    time_scale: float
    # what the moves came to: started + asked to wait + did not start + left waiting == submitted
    moves_submitted: int = 0  # moves the driver went through the modal for (baseline: the jobs it starts itself)
    instantly_jobs: int = 0  # jobs created at Instantly: started
    acked_starting: int | None = None  # submissions answered "starting" (none in baseline mode: it has no modal)
    asked_to_wait: int = 0  # submissions refused with "Try again in about ..."
    start_failures: int = 0  # did not start: driver failures, other refusals, the app's notes that a start failed
    left_waiting: int = 0  # acked as starting, yet neither seen by Instantly nor noted as failed when the run ended
    jobs_replied: int = 0  # Instantly jobs with a final reply in their thread
    duplicate_replies: int = 0
    announcements_final: int | None = None  # announcements showing the end state (100%) at the last final reply
    # After the run settled the app keeps running (up to Scenario.announcement_wait_seconds) until every started
    # job's announcement shows 100%: how many did then, and how long that took (the cap when not all did).
    announcements_eventually: int | None = None
    announcements_wait_seconds: float | None = None
    # Of the final replies, how many came after their announcement showed the end (its last edit went first).
    replies_after_the_end: int | None = None
    job_minutes: float = 0.0  # summed Instantly lifetime, in timeline minutes (real minutes / time scale)
    # Instantly
    instantly_requests: int = 0
    polling_requests: int = 0
    interactive_requests: int = 0  # moves and picker searches
    polling_per_job_minute: float | None = None
    interactive_per_job: float | None = None
    instantly_429s: int = 0
    peak_instantly_1s: int = 0
    peak_instantly_60s: int = 0
    # Slack
    slack_calls: int = 0
    slack_calls_per_job: float | None = None
    chat_calls_per_job: float | None = None  # chat.postMessage + chat.update only
    peak_slack_per_minute: int = 0
    peak_updates_per_minute: int = 0
    peak_posts_per_channel_second: int = 0
    slack_ratelimited: int = 0
    # how quickly people hear
    final_delay_p50: float | None = None  # seconds from Instantly's end to the final reply
    final_delay_p95: float | None = None
    final_delay_max: float | None = None
    final_delay_histogram: dict[str, int] = field(default_factory=dict)  # bucket label (seconds) -> replies
    ack_p50_ms: float | None = None
    ack_p99_ms: float | None = None
    acks: int = 0
    ack_failures: int = 0  # not 200, or later than Slack's 3 s
    # the process
    peak_rss_mb: float | None = None
    cpu_seconds: float | None = None
    # context
    wall_seconds: float = 0.0
    start_lag_max: float | None = None  # how late the driver started its last-started job vs. the schedule
    bench_cpu_seconds: float = 0.0  # the bench process itself (fakes and driver)
    finished: bool = True  # every job got its final reply before the deadline
    app_version: str = ""  # git commit of the code the child process ran
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def compute(
    figures: Figures,
    *,
    instantly: Sequence[InstantlyHit],
    slack: Sequence[SlackHit],
    replies: dict[str, list[float]],
    job_times: dict[str, tuple[float, float | None]],
    now: float,
    acks: Sequence[tuple[int, float]],
) -> Figures:
    """Fill in every figure from the raw logs. `acks`: (HTTP status, seconds) of each probe command. The caller sets
    what the moves came to first (moves_submitted, acked_starting, asked_to_wait, start_failures)."""
    f = figures
    f.instantly_jobs = len(job_times)
    lifetimes = [(end if end is not None else now) - created for created, end in job_times.values()]
    f.job_minutes = sum(lifetimes) / 60 / f.time_scale
    f.instantly_requests = len(instantly)
    f.polling_requests = sum(1 for hit in instantly if hit.kind == "poll")
    f.interactive_requests = sum(1 for hit in instantly if hit.kind in ("move", "picker"))
    f.polling_per_job_minute = per(f.polling_requests, f.job_minutes)
    f.interactive_per_job = per(f.interactive_requests, f.jobs)
    f.instantly_429s = sum(1 for hit in instantly if hit.status == 429)
    f.peak_instantly_1s = peak_in_window((hit.at for hit in instantly), 1.0)
    f.peak_instantly_60s = peak_in_window((hit.at for hit in instantly), 60.0)

    f.slack_calls = len(slack)
    f.slack_calls_per_job = per(len(slack), f.jobs)
    chat = [hit for hit in slack if hit.method in ("chat.postMessage", "chat.update")]
    f.chat_calls_per_job = per(len(chat), f.jobs)
    f.peak_slack_per_minute = peak_in_window((hit.at for hit in slack), 60.0)
    f.peak_updates_per_minute = peak_in_window((hit.at for hit in slack if hit.method == "chat.update"), 60.0)
    posts: dict[str, list[float]] = defaultdict(list)
    for hit in slack:
        if hit.method == "chat.postMessage":
            posts[hit.channel].append(hit.at)
    f.peak_posts_per_channel_second = max((peak_in_window(times, 1.0) for times in posts.values()), default=0)
    f.slack_ratelimited = sum(1 for hit in slack if hit.error == "ratelimited")

    delays = []
    for job_id, (_, ended) in job_times.items():
        posted = replies.get(job_id)
        if ended is not None and posted:
            delays.append(min(posted) - ended)
    f.jobs_replied = sum(1 for job_id in job_times if replies.get(job_id))
    f.duplicate_replies = sum(len(times) - 1 for times in replies.values() if len(times) > 1)
    f.final_delay_p50 = percentile(delays, 50)
    f.final_delay_p95 = percentile(delays, 95)
    f.final_delay_max = max(delays, default=None)
    f.final_delay_histogram = bucket_counts(delays)
    # Whatever of the submitted moves is not accounted for otherwise was acked and is still waiting to start.
    accounted = f.instantly_jobs + f.asked_to_wait + f.start_failures
    f.left_waiting = max(0, f.moves_submitted - accounted)
    f.finished = f.jobs_replied == f.instantly_jobs and accounted >= f.jobs

    if acks:
        latencies = [seconds * 1000 for _, seconds in acks]
        f.acks = len(acks)
        f.ack_failures = sum(1 for status, seconds in acks if status != 200 or seconds > 3.0)
        f.ack_p50_ms = percentile(latencies, 50)
        f.ack_p99_ms = percentile(latencies, 99)
    return f


def from_dict(data: dict[str, Any]) -> Figures:
    known = {f.name for f in fields(Figures)}
    return Figures(**{key: value for key, value in data.items() if key in known})


def figure_names() -> list[str]:
    return [f.name for f in fields(Figures)]

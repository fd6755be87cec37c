"""What a benchmark run records, and the figures it turns that into.

The fakes call `InstantlyLog.add` and `SlackLog.add` for every request they answer (see the fakes' `on_request` and
`on_call` knobs); both keep one small tuple per request, never bodies, so 5,000 jobs stay cheap.
"""

from __future__ import annotations

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


def _instantly_job_id(args: dict[str, Any]) -> str:
    metadata = args.get("metadata")
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return ""
    if not isinstance(metadata, dict):
        return ""
    payload = metadata.get("event_payload")
    return str(payload.get("instantly_job_id") or "") if isinstance(payload, dict) else ""


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
        job_id = _instantly_job_id(args) if call.method == "chat.postMessage" else ""
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
    # what happened
    instantly_jobs: int = 0  # jobs created at Instantly
    start_failures: int = 0  # moves that never became an Instantly job (driver or app side)
    jobs_replied: int = 0  # Instantly jobs with a final reply in their thread
    announcements_final: int | None = None  # announcements showing the end state (100%) when the run ended
    duplicate_replies: int = 0
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
    """Fill in every figure from the raw logs. `acks`: (HTTP status, seconds) of each probe command."""
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
    f.finished = f.jobs_replied == f.instantly_jobs and f.instantly_jobs + f.start_failures >= f.jobs

    if acks:
        latencies = [seconds * 1000 for _, seconds in acks]
        f.acks = len(acks)
        f.ack_failures = sum(1 for status, seconds in acks if status != 200 or seconds > 3.0)
        f.ack_p50_ms = percentile(latencies, 50)
        f.ack_p99_ms = percentile(latencies, 99)
    return f


# --- printing --------------------------------------------------------------------------------------------------

# (attribute, label, format); a row per figure the issue asks for, then context.
ROWS: tuple[tuple[str, str, str], ...] = (
    ("polling_per_job_minute", "Instantly polling requests / job-minute", "{:.3f}"),
    ("interactive_per_job", "Instantly start requests / job (move+pickers)", "{:.2f}"),
    ("instantly_429s", "Instantly 429s", "{:d}"),
    ("peak_instantly_1s", "peak Instantly requests in any 1 s", "{:d}"),
    ("peak_instantly_60s", "peak Instantly requests in any 60 s", "{:d}"),
    ("slack_calls_per_job", "Slack calls / job (all methods)", "{:.2f}"),
    ("chat_calls_per_job", "Slack chat.postMessage+update / job", "{:.2f}"),
    ("peak_slack_per_minute", "peak Slack calls in any 60 s", "{:d}"),
    ("peak_updates_per_minute", "peak chat.update in any 60 s", "{:d}"),
    ("peak_posts_per_channel_second", "peak posts in one channel in any 1 s", "{:d}"),
    ("slack_ratelimited", "Slack ratelimited answers", "{:d}"),
    ("final_delay_p50", "final reply delay p50 (s)", "{:.1f}"),
    ("final_delay_p95", "final reply delay p95 (s)", "{:.1f}"),
    ("final_delay_max", "final reply delay max (s)", "{:.1f}"),
    ("ack_p50_ms", "ack latency p50 (ms, /leads jobs)", "{:.0f}"),
    ("ack_p99_ms", "ack latency p99 (ms, /leads jobs)", "{:.0f}"),
    ("peak_rss_mb", "peak RSS (MB)", "{:.0f}"),
    ("cpu_seconds", "CPU seconds", "{:.1f}"),
    ("instantly_jobs", "jobs started at Instantly", "{:d}"),
    ("start_failures", "moves that did not start", "{:d}"),
    ("jobs_replied", "jobs with a final reply", "{:d}"),
    ("announcements_final", "announcements showing 100% at the end", "{:d}"),
    ("duplicate_replies", "duplicate final replies", "{:d}"),
    ("job_minutes", "job-minutes (timeline)", "{:.0f}"),
    ("instantly_requests", "Instantly requests, all", "{:d}"),
    ("slack_calls", "Slack calls, all", "{:d}"),
    ("acks", "probe commands sent", "{:d}"),
    ("ack_failures", "probe acks failed or > 3 s", "{:d}"),
    ("start_lag_max", "driver start lag max (s)", "{:.1f}"),
    ("wall_seconds", "wall seconds", "{:.0f}"),
    ("bench_cpu_seconds", "bench process CPU s (fakes, driver)", "{:.1f}"),
)
# Figures every run must produce (the smoke test checks these); ack latency only exists in leadmover mode.
REQUIRED = tuple(name for name, _, _ in ROWS if name not in ("ack_p50_ms", "ack_p99_ms", "start_lag_max"))


def _cell(value: Any, fmt: str) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return str(value)
    if fmt.endswith("d}"):
        return fmt.format(int(value))
    return fmt.format(value)


def _ratio(a: Any, b: Any) -> str:
    if a is None or b is None or isinstance(a, bool):
        return "n/a"
    if b == 0:
        return "=" if a == 0 else "inf"
    return f"{a / b:.3g}"


def table(runs: Sequence[Figures]) -> str:
    """One job count: a column per mode, and leadmover / baseline when both ran."""
    by_mode = {run.mode: run for run in runs}
    modes = [m for m in ("leadmover", "baseline") if m in by_mode]
    both = len(modes) == 2
    first = runs[0]
    head = f"== {first.jobs} jobs, time scale {first.time_scale:g}, code {first.app_version or '?'} =="
    widths = (46, 12, 12, 10)
    lines = [head, f"{'figure':<{widths[0]}}" + "".join(f"{m:>{widths[1]}}" for m in modes)]
    if both:
        lines[-1] += f"{'ratio':>{widths[3]}}"
    for name, label, fmt in ROWS:
        values = [getattr(by_mode[m], name) for m in modes]
        line = f"{label:<{widths[0]}}" + "".join(f"{_cell(v, fmt):>{widths[1]}}" for v in values)
        if both:
            line += f"{_ratio(values[0], values[1]):>{widths[3]}}"
        lines.append(line)
    for mode in modes:
        run = by_mode[mode]
        if not run.finished:
            lines.append(f"!! {mode}: not every job got its final reply before the deadline")
        lines.extend(f"!! {mode}: {problem}" for problem in run.problems)
    return "\n".join(lines)


def markdown(runs: Sequence[Figures]) -> str:
    """The same table as `table`, in Markdown (for docs/performance.md)."""
    by_mode = {run.mode: run for run in runs}
    modes = [m for m in ("leadmover", "baseline") if m in by_mode]
    both = len(modes) == 2
    header = ["figure", *modes, *(["leadmover / baseline"] if both else [])]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" + "---:|" * (len(header) - 1)]
    for name, label, fmt in ROWS:
        values = [getattr(by_mode[m], name) for m in modes]
        cells = [label, *(_cell(v, fmt) for v in values), *([_ratio(values[0], values[1])] if both else [])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def from_dict(data: dict[str, Any]) -> Figures:
    known = {f.name for f in fields(Figures)}
    return Figures(**{key: value for key, value in data.items() if key in known})


def figure_names() -> list[str]:
    return [f.name for f in fields(Figures)]

"""Printing a run's figures: the table (plain or Markdown), one column per mode, and each mode's final reply delay
histogram under it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bench.metrics import Figures

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
    ("moves_submitted", "moves submitted", "{:d}"),
    ("instantly_jobs", "moves started at Instantly", "{:d}"),
    ("acked_starting", "moves acked as starting", "{:d}"),
    ("asked_to_wait", "moves asked to wait", "{:d}"),
    ("start_failures", "moves that did not start", "{:d}"),
    ("left_waiting", "moves left waiting (acked, not at Instantly)", "{:d}"),
    ("jobs_replied", "jobs with a final reply", "{:d}"),
    ("duplicate_replies", "duplicate final replies", "{:d}"),
    ("announcements_final", "announcements showing 100% at the last reply", "{:d}"),
    ("announcements_eventually", "announcements showing 100% after waiting", "{:d}"),
    ("announcements_wait_seconds", "seconds until all showed 100% (or the cap)", "{:.1f}"),
    ("replies_after_the_end", "final replies after their announcement showed 100%", "{:d}"),
    ("job_minutes", "job-minutes (timeline)", "{:.0f}"),
    ("instantly_requests", "Instantly requests, all", "{:d}"),
    ("slack_calls", "Slack calls, all", "{:d}"),
    ("acks", "probe commands sent", "{:d}"),
    ("ack_failures", "probe acks failed or > 3 s", "{:d}"),
    ("start_lag_max", "driver start lag max (s)", "{:.1f}"),
    ("wall_seconds", "wall seconds", "{:.0f}"),
    ("bench_cpu_seconds", "bench process CPU s (fakes, driver)", "{:.1f}"),
)
# Figures every run must produce (the smoke test checks these); acks and the modal exist only in leadmover mode.
LEADMOVER_ONLY = ("ack_p50_ms", "ack_p99_ms", "start_lag_max", "acked_starting")
REQUIRED = tuple(name for name, _, _ in ROWS if name not in LEADMOVER_ONLY)
# A `#` per this many percent of the replies: a bucket holding every reply gets 40.
PERCENT_PER_MARK = 2.5


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


def _modes(runs: Sequence[Figures]) -> tuple[dict[str, Figures], list[str]]:
    by_mode = {run.mode: run for run in runs}
    return by_mode, [m for m in ("leadmover", "baseline") if m in by_mode]


def histogram(run: Figures) -> list[str]:
    """How long after its end at Instantly each job's final reply came, as text: a line per bucket with the count,
    its share of the replies and a bar. Empty for a run saved before the histogram existed."""
    buckets = run.final_delay_histogram
    if not buckets:
        return []
    total = sum(buckets.values())
    lines = [f"final reply delay after the job's end at Instantly, {run.mode} ({total} replies):"]
    for label, count in buckets.items():
        share = 100 * count / total if total else 0.0
        bar = "#" * max(1 if count else 0, round(share / PERCENT_PER_MARK))
        lines.append(f"  {label + ' s':>8} {count:>7} {share:6.1f}%  {bar}".rstrip())
    return lines


def table(runs: Sequence[Figures]) -> str:
    """One job count: a column per mode, and leadmover / baseline when both ran; each mode's histogram under it."""
    by_mode, modes = _modes(runs)
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
        drawn = histogram(by_mode[mode])
        if drawn:
            lines += ["", *drawn]
    for mode in modes:
        run = by_mode[mode]
        if not run.finished:
            lines.append(f"!! {mode}: not every job got its final reply before the deadline")
        lines.extend(f"!! {mode}: {problem}" for problem in run.problems)
    return "\n".join(lines)


def markdown(runs: Sequence[Figures]) -> str:
    """The same table as `table`, in Markdown (for docs/performance.md), each histogram in a code block."""
    by_mode, modes = _modes(runs)
    both = len(modes) == 2
    header = ["figure", *modes, *(["leadmover / baseline"] if both else [])]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" + "---:|" * (len(header) - 1)]
    for name, label, fmt in ROWS:
        values = [getattr(by_mode[m], name) for m in modes]
        cells = [label, *(_cell(v, fmt) for v in values), *([_ratio(values[0], values[1])] if both else [])]
        lines.append("| " + " | ".join(cells) + " |")
    for mode in modes:
        drawn = histogram(by_mode[mode])
        if drawn:
            lines += ["", "```", *drawn, "```"]
    return "\n".join(lines)

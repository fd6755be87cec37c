"""The many-workspace benchmark's figures: one `Figures` per workspace (computed by metrics.compute from that
workspace's share of the logs), a summary across workspaces with the targets, and the process's own figures.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.metrics import Figures, InstantlyHit, SlackHit, compute
from bench.metrics import from_dict as figures_from_dict

# Figures each workspace must meet: (attribute, label, target as printed, whether a value meets it).
TARGETS: tuple[tuple[str, str, str, Callable[[Any], bool]], ...] = (
    ("instantly_429s", "Instantly 429s", "0", lambda v: v == 0),
    ("slack_ratelimited", "Slack `ratelimited` answers", "0", lambda v: v == 0),
    ("peak_updates_per_minute", "max chat.update in any 60 s", "≤ 50", lambda v: v <= 50),
    ("final_delay_p95", "final reply latency p95 (s)", "≤ 10", lambda v: v <= 10.0),
)
# Per-workspace figures shown for context, with no target: (attribute, label, format).
CONTEXT: tuple[tuple[str, str, str], ...] = (
    ("final_delay_p50", "final reply latency p50 (s)", "{:.1f}"),
    ("final_delay_max", "final reply latency max (s)", "{:.1f}"),
    ("peak_instantly_1s", "peak Instantly requests in any 1 s (budget 10)", "{:d}"),
    ("peak_instantly_60s", "peak Instantly requests in any 60 s (budget 600)", "{:d}"),
    ("polling_per_job_minute", "Instantly polling requests / job-minute", "{:.2f}"),
    ("peak_posts_per_channel_second", "peak posts in one channel in any 1 s", "{:d}"),
    ("instantly_jobs", "jobs started at Instantly", "{:d}"),
    ("jobs_replied", "jobs with a final reply", "{:d}"),
    ("start_failures", "moves that did not start", "{:d}"),
    ("duplicate_replies", "duplicate final replies", "{:d}"),
    ("announcements_final", "announcements showing 100% at the last reply", "{:d}"),
    ("install_seconds", "install through OAuth (s)", "{:.2f}"),
    ("connect_seconds", "/leads connect, command to answer (s)", "{:.2f}"),
)
TARGET_FORMATS = {
    "instantly_429s": "{:d}",
    "slack_ratelimited": "{:d}",
    "peak_updates_per_minute": "{:d}",
    "final_delay_p95": "{:.1f}",
}
# Whole-process figures: (attribute of the run's overall Figures, label, format).
PROCESS_ROWS: tuple[tuple[str, str, str], ...] = (
    ("peak_rss_mb", "peak RSS (MB)", "{:.0f}"),
    ("cpu_seconds", "CPU seconds (after ready)", "{:.1f}"),
    ("instantly_jobs", "jobs started at Instantly", "{:d}"),
    ("jobs_replied", "jobs with a final reply", "{:d}"),
    ("acked_starting", "moves acked as starting", "{:d}"),
    ("asked_to_wait", "moves asked to wait", "{:d}"),
    ("start_failures", "moves that did not start", "{:d}"),
    ("left_waiting", "moves left waiting (acked, not at Instantly)", "{:d}"),
    ("duplicate_replies", "duplicate final replies", "{:d}"),
    ("instantly_429s", "Instantly 429s, all workspaces", "{:d}"),
    ("slack_ratelimited", "Slack `ratelimited` answers, all workspaces", "{:d}"),
    ("final_delay_p50", "final reply latency p50, all jobs (s)", "{:.1f}"),
    ("final_delay_p95", "final reply latency p95, all jobs (s)", "{:.1f}"),
    ("final_delay_max", "final reply latency max, all jobs (s)", "{:.1f}"),
    ("ack_p50_ms", "ack latency p50 (ms, /leads jobs)", "{:.0f}"),
    ("ack_p99_ms", "ack latency p99 (ms, /leads jobs)", "{:.0f}"),
    ("ack_failures", "probe acks failed or > 3 s", "{:d}"),
    ("instantly_requests", "Instantly requests, all", "{:d}"),
    ("peak_instantly_1s", "peak Instantly requests in any 1 s, all workspaces", "{:d}"),
    ("slack_calls", "Slack calls, all", "{:d}"),
    ("peak_slack_per_minute", "peak Slack calls in any 60 s, all workspaces", "{:d}"),
    ("start_lag_max", "driver start lag max (s)", "{:.1f}"),
    ("wall_seconds", "wall seconds", "{:.0f}"),
    ("bench_cpu_seconds", "bench process CPU s (fakes, driver)", "{:.1f}"),
)


@dataclass
class WorkspaceFigures:
    """One Slack workspace and its Instantly workspace: the per-workspace figures, and how its setup went."""

    team_id: str
    instantly_workspace_id: str
    figures: Figures
    install_seconds: float | None = None
    connect_seconds: float | None = None
    setup_problem: str = ""

    def value(self, name: str) -> Any:
        if name in ("install_seconds", "connect_seconds"):
            return getattr(self, name)
        return getattr(self.figures, name)

    def as_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {"team_id": self.team_id, "instantly_workspace_id": self.instantly_workspace_id}
        row |= {name: self.figures.as_dict()[name] for name, *_ in TARGETS}
        row |= {name: self.value(name) for name, *_ in CONTEXT}
        row |= {
            "slack_calls": self.figures.slack_calls,
            "instantly_requests": self.figures.instantly_requests,
            "finished": self.figures.finished,
            "setup_problem": self.setup_problem,
        }
        row["misses"] = misses(self)
        return row


@dataclass
class FleetResult:
    """Everything a many-workspace run measured."""

    workspaces: int
    jobs_per_workspace: int
    time_scale: float
    process: Figures  # the whole run, every workspace together: the process's RSS, CPU and acks live here
    per_workspace: list[WorkspaceFigures] = field(default_factory=list)
    setup_seconds: float = 0.0  # installing and connecting every workspace, before the first move
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "workspaces": self.workspaces,
            "jobs_per_workspace": self.jobs_per_workspace,
            "time_scale": self.time_scale,
            "app_version": self.process.app_version,
            "setup_seconds": self.setup_seconds,
            "summary": summary_rows(self.per_workspace),
            "process": asdict(self.process),
            "per_workspace": [row.as_dict() for row in self.per_workspace],
            "problems": self.problems,
        }


def misses(row: WorkspaceFigures) -> list[str]:
    """The targets this workspace missed (a p95 with no replies at all is a miss)."""
    missed = [name for name, _, _, meets in TARGETS if row.value(name) is None or not meets(row.value(name))]
    if not row.figures.finished:
        missed.append("finished")
    return missed


def split_by_workspace(
    instantly: Sequence[InstantlyHit], slack: Sequence[SlackHit]
) -> tuple[dict[str, list[InstantlyHit]], dict[str, list[SlackHit]]]:
    """The logs' hits grouped by Instantly workspace id and by Slack team id."""
    by_instantly: dict[str, list[InstantlyHit]] = defaultdict(list)
    by_team: dict[str, list[SlackHit]] = defaultdict(list)
    for ihit in instantly:
        by_instantly[ihit.workspace_id].append(ihit)
    for shit in slack:
        by_team[shit.team_id].append(shit)
    return by_instantly, by_team


def workspace_figures(
    figures: Figures,
    *,
    instantly: Sequence[InstantlyHit],
    slack: Sequence[SlackHit],
    replies: dict[str, list[float]],
    job_times: dict[str, tuple[float, float | None]],
    now: float,
) -> Figures:
    """metrics.compute on one workspace's share: its hits, its jobs and only their replies."""
    own = {job_id: replies[job_id] for job_id in job_times if job_id in replies}
    return compute(figures, instantly=instantly, slack=slack, replies=own, job_times=job_times, now=now, acks=())


# --- printing --------------------------------------------------------------------------------------------------


def _cell(value: Any, fmt: str) -> str:
    if value is None:
        return "n/a"
    if fmt.endswith("d}"):
        return fmt.format(int(value))
    return fmt.format(value)


def _spread(values: list[Any], fmt: str) -> tuple[str, str, str]:
    present = [v for v in values if v is not None]
    if not present:
        return "n/a", "n/a", "n/a"
    median = statistics.median(present)
    median_fmt = fmt if not fmt.endswith("d}") or float(median).is_integer() else "{:.1f}"
    return _cell(min(present), fmt), _cell(median, median_fmt), _cell(max(present), fmt)


def summary_rows(rows: Sequence[WorkspaceFigures]) -> list[dict[str, str]]:
    """min / median / max across workspaces for each figure, and how many workspaces miss its target."""
    out = []
    for name, label, target, meets in TARGETS:
        values = [row.value(name) for row in rows]
        low, mid, high = _spread(values, TARGET_FORMATS[name])
        missed = sum(1 for v in values if v is None or not meets(v))
        out.append({"figure": label, "min": low, "median": mid, "max": high, "target": target, "missed": str(missed)})
    for name, label, fmt in CONTEXT:
        low, mid, high = _spread([row.value(name) for row in rows], fmt)
        out.append({"figure": label, "min": low, "median": mid, "max": high, "target": "", "missed": ""})
    return out


def markdown_summary(result: FleetResult) -> str:
    """The per-workspace summary and the process's figures, as Markdown tables."""
    n = len(result.per_workspace)
    lines = [
        f"| per workspace ({n} workspaces) | min | median | max | target | workspaces missing it |",
        "|---|---:|---:|---:|---|---:|",
    ]
    for row in summary_rows(result.per_workspace):
        cells = [row["figure"], row["min"], row["median"], row["max"], row["target"], row["missed"]]
        lines.append("| " + " | ".join(cells) + " |")
    unfinished = sum(1 for row in result.per_workspace if not row.figures.finished)
    lines.append(f"| workspaces where a job got no final reply in time | | | | 0 | {unfinished} |")
    lines += ["", "| the process (every workspace together) | value |", "|---|---:|"]
    for name, label, fmt in PROCESS_ROWS:
        lines.append(f"| {label} | {_cell(getattr(result.process, name), fmt)} |")
    lines.append(f"| installing and connecting every workspace (s) | {result.setup_seconds:.0f} |")
    return "\n".join(lines)


def per_workspace_table(result: FleetResult) -> str:
    """One line per workspace, with the figures that have targets and the misses."""
    names = [name for name, *_ in TARGETS]
    head = ["team", *names, "final_delay_max", "started", "replied", "not started", "misses"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 2) + "---|"]
    for row in result.per_workspace:
        f = row.figures
        cells = [row.team_id, *(_cell(row.value(name), TARGET_FORMATS[name]) for name in names)]
        cells += [_cell(f.final_delay_max, "{:.1f}"), str(f.instantly_jobs), str(f.jobs_replied), str(f.start_failures)]
        cells.append(", ".join(misses(row)) or "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render(result: FleetResult, *, per_workspace: bool = False) -> str:
    head = (
        f"== {result.workspaces} workspaces x {result.jobs_per_workspace} jobs, time scale {result.time_scale:g}, "
        f"code {result.process.app_version or '?'} =="
    )
    parts = [head, markdown_summary(result)]
    if per_workspace:
        parts.append(per_workspace_table(result))
    parts.extend(f"!! {problem}" for problem in result.problems)
    return "\n\n".join(parts)


def from_dict(data: dict[str, Any]) -> FleetResult:
    """A FleetResult read back from --json (per-workspace rows keep only what as_dict wrote)."""
    process = figures_from_dict(data["process"])
    result = FleetResult(
        workspaces=data["workspaces"],
        jobs_per_workspace=data["jobs_per_workspace"],
        time_scale=data["time_scale"],
        process=process,
        setup_seconds=data.get("setup_seconds", 0.0),
        problems=list(data.get("problems", [])),
    )
    for row in data["per_workspace"]:
        figures = figures_from_dict(
            {"mode": "leadmover", "jobs": data["jobs_per_workspace"], "time_scale": data["time_scale"], **row}
        )
        result.per_workspace.append(
            WorkspaceFigures(
                team_id=row["team_id"],
                instantly_workspace_id=row["instantly_workspace_id"],
                figures=figures,
                install_seconds=row.get("install_seconds"),
                connect_seconds=row.get("connect_seconds"),
                setup_problem=row.get("setup_problem", ""),
            )
        )
    return result

"""The many-workspace benchmark, run small and fast so it cannot rot: three workspaces installed through OAuth, each
connecting its own Instantly key, four moves each, and every per-workspace and process figure present."""

from __future__ import annotations

import json

from bench.fleet_metrics import TARGETS, FleetResult, WorkspaceFigures, from_dict, render, summary_rows
from bench.metrics import Figures
from bench.run import Scenario
from bench.workspaces import Fleet, run_workspaces


def _row(team: str, *, p95: float | None, updates: int, finished: bool = True) -> WorkspaceFigures:
    figures = Figures(mode="leadmover", jobs=2, time_scale=1.0, final_delay_p95=p95, peak_updates_per_minute=updates)
    figures.finished = finished
    return WorkspaceFigures(team, f"ws-{team}", figures)


def test_the_summary_counts_the_workspaces_that_miss_each_target() -> None:
    rows = [_row("T1", p95=2.0, updates=40), _row("T2", p95=12.0, updates=51), _row("T3", p95=None, updates=10)]
    summary = {row["figure"]: row for row in summary_rows(rows)}
    p95 = summary["final reply latency p95 (s)"]
    assert (p95["min"], p95["median"], p95["max"], p95["missed"]) == ("2.0", "7.0", "12.0", "2")  # None misses
    updates = summary["max chat.update in any 60 s"]
    assert (updates["min"], updates["median"], updates["max"], updates["missed"]) == ("10", "40", "51", "1")
    assert summary["Instantly 429s"]["missed"] == "0"


def test_three_workspaces_report_every_figure_per_workspace_and_for_the_process() -> None:
    # 0.02: moves start over 6 s and each runs 1.2 s in Instantly; leadmover polls every 60 ms.
    fleet = Fleet(workspaces=3, jobs_per_workspace=4, setup_threads=2)
    base = Scenario(jobs=0, time_scale=0.02, probe_rate=5.0, drain_seconds=20.0, starters=2)
    result = run_workspaces(fleet, base, progress=lambda _: None)

    assert not [p for p in result.problems if "violations" in p or "died" in p], result.problems
    assert [row.team_id for row in result.per_workspace] == ["T0BENCH000", "T0BENCH001", "T0BENCH002"]
    assert len({row.instantly_workspace_id for row in result.per_workspace}) == 3  # each its own Instantly workspace
    for row in result.per_workspace:
        f = row.figures
        assert row.setup_problem == ""
        assert row.install_seconds is not None
        assert row.connect_seconds is not None
        assert f.finished, (row.team_id, result.problems)
        assert f.start_failures == 0
        assert f.instantly_jobs == f.jobs_replied == 4  # its own moves reached its own Instantly workspace
        assert f.duplicate_replies == 0
        for name, *_ in TARGETS:
            assert row.value(name) is not None, f"{row.team_id}: no figure for {name}"
        assert f.instantly_429s == 0
        assert f.slack_ratelimited == 0
        assert 0 < f.peak_updates_per_minute <= 50
        assert f.final_delay_p95 is not None
        assert 0 <= f.final_delay_p95 < 10
        assert (f.moves_submitted, f.acked_starting, f.asked_to_wait, f.left_waiting) == (4, 4, 0, 0)
        assert sum(f.final_delay_histogram.values()) == f.jobs_replied
    process = result.process
    assert process.instantly_jobs == process.jobs_replied == 12
    assert process.start_failures == 0
    accounted = process.instantly_jobs + process.asked_to_wait + process.start_failures + process.left_waiting
    assert accounted == process.moves_submitted == 12
    assert sum(process.final_delay_histogram.values()) == process.jobs_replied
    assert process.peak_rss_mb is not None
    assert process.peak_rss_mb > 0
    assert process.cpu_seconds is not None
    assert process.cpu_seconds > 0
    assert process.acks > 0
    assert process.ack_failures == 0

    printed = render(result, per_workspace=True)
    labels = ("Instantly 429s", "max chat.update in any 60 s", "final reply latency p95", "peak RSS", "T0BENCH002")
    for label in (*labels, "moves asked to wait", "moves left waiting"):
        assert label in printed
    again = from_dict(json.loads(json.dumps(result.as_dict())))
    assert isinstance(again, FleetResult)
    assert render(again, per_workspace=True) == printed

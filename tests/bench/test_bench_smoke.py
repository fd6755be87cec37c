"""The load benchmark's machinery, run small and fast so it cannot rot: both modes, every figure present."""

from __future__ import annotations

from bench.metrics import REQUIRED, peak_in_window, percentile, table
from bench.run import Scenario, run


def test_window_and_percentile_arithmetic() -> None:
    assert peak_in_window([0.0, 0.5, 0.99, 1.0, 1.2, 5.0], 1.0) == 4  # [0.5, 1.5) holds 0.5, 0.99, 1.0, 1.2
    assert peak_in_window([], 60.0) == 0
    assert percentile([3.0, 1.0, 2.0, 4.0], 50) == 2.0
    assert percentile([float(n) for n in range(1, 101)], 95) == 95.0
    assert percentile([], 50) is None


def test_five_jobs_in_both_modes_report_every_figure() -> None:
    # 0.01: jobs start over 3 s and each runs 0.6 s; leadmover polls every 30 ms, the baseline every 20 ms.
    base = Scenario(jobs=0, time_scale=0.01, channels=3, probe_rate=5.0, drain_seconds=10.0, starters=2)
    [runs] = run([5], modes=("leadmover", "baseline"), base=base, quiet=True)
    by_mode = {figures.mode: figures for figures in runs}
    for mode, figures in by_mode.items():
        missing = [name for name in REQUIRED if getattr(figures, name) is None]
        assert missing == [], f"{mode}: no figure for {missing}"
        assert figures.finished, f"{mode}: {figures.problems}"
        assert figures.instantly_jobs == figures.jobs_replied == 5
        assert figures.duplicate_replies == 0
        assert figures.peak_rss_mb is not None
        assert figures.peak_rss_mb > 0
        assert figures.cpu_seconds is not None
        assert figures.cpu_seconds > 0
    leadmover = by_mode["leadmover"]
    assert leadmover.acks > 0
    assert leadmover.ack_p50_ms is not None
    assert leadmover.ack_p99_ms is not None
    assert leadmover.interactive_requests >= 5  # one move each, plus the picker searches
    assert leadmover.instantly_429s == 0
    printed = table(runs)
    for label in ("polling requests / job-minute", "final reply delay p95", "ack latency p99", "peak RSS", "ratio"):
        assert label in printed

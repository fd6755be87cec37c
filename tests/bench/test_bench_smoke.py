"""The load benchmark's machinery, run small and fast so it cannot rot: both modes, every figure present."""

from __future__ import annotations

import json

from bench.metrics import from_dict, peak_in_window, percentile
from bench.report import REQUIRED, markdown, table
from bench.run import Scenario, run


def test_window_and_percentile_arithmetic() -> None:
    assert peak_in_window([0.0, 0.5, 0.99, 1.0, 1.2, 5.0], 1.0) == 4  # [0.5, 1.5) holds 0.5, 0.99, 1.0, 1.2
    assert peak_in_window([], 60.0) == 0
    assert percentile([3.0, 1.0, 2.0, 4.0], 50) == 2.0
    assert percentile([float(n) for n in range(1, 101)], 95) == 95.0
    assert percentile([], 50) is None


def test_five_jobs_in_both_modes_report_every_figure() -> None:
    # 0.01: jobs start over 3 s and each runs 0.6 s; leadmover polls every 30 ms, the baseline every 20 ms. The wait
    # for the announcements' 100% is not scaled; 30 s is ample for five.
    base = Scenario(
        jobs=0,
        time_scale=0.01,
        channels=3,
        probe_rate=5.0,
        drain_seconds=10.0,
        starters=2,
        announcement_wait_seconds=30.0,
    )
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
        # What the moves came to adds up, and the histogram holds every final reply once.
        accounted = figures.instantly_jobs + figures.asked_to_wait + figures.start_failures + figures.left_waiting
        assert accounted == figures.moves_submitted == 5, mode
        assert sum(figures.final_delay_histogram.values()) == figures.jobs_replied, mode
        assert figures.announcements_final is not None
        assert figures.announcements_eventually is not None
        assert figures.announcements_final <= figures.announcements_eventually <= figures.instantly_jobs
        assert figures.announcements_wait_seconds is not None
        assert 0 <= figures.announcements_wait_seconds <= 31
    leadmover = by_mode["leadmover"]
    assert leadmover.acks > 0
    assert leadmover.ack_p50_ms is not None
    assert leadmover.ack_p99_ms is not None
    assert leadmover.interactive_requests >= 5  # one move each, plus the picker searches
    assert leadmover.instantly_429s == 0
    assert leadmover.acked_starting == 5  # nobody was asked to wait at five moves
    assert leadmover.asked_to_wait == leadmover.left_waiting == 0
    # leadmover's pacing delays an edit, never drops one
    assert leadmover.announcements_eventually == 5, (
        f"{leadmover.announcements_final} showed the end at the last reply, {leadmover.announcements_eventually} "
        f"after {leadmover.announcements_wait_seconds}s; {leadmover.slack_ratelimited} edits rate-limited"
    )
    assert by_mode["baseline"].acked_starting is None  # no modal: the baseline starts its own jobs
    printed = table(runs)
    for label in (
        "polling requests / job-minute", "final reply delay p95", "ack latency p99", "peak RSS", "ratio",
        "moves asked to wait", "moves left waiting", "announcements showing 100% at the last reply",
        "announcements showing 100% after waiting", "final reply delay after the job's end at Instantly, baseline",
    ):  # fmt: skip
        assert label in printed
    # --json and --render: what was saved reads back into the same tables, histograms included.
    again = [from_dict(json.loads(json.dumps(figures.as_dict()))) for figures in runs]
    assert table(again) == printed
    assert "final reply delay after the job's end at Instantly, leadmover (5 replies):" in markdown(again)

"""The watched-workspace benchmark (bench/watch.py), run small and fast so it cannot rot: four jobs started elsewhere
at Instantly, in a channel watched with a signed `/leads watch`, each announced once, and every figure present. The
figures themselves live in the bench (docs/performance.md), not here."""

from __future__ import annotations

import json

import pytest

from bench.scenario import Scenario
from bench.watch import JOB_KINDS, WatchPlan, from_dict, render, run_watch, spread_of, targets


def test_channels_split_the_jobs_by_type() -> None:
    one = WatchPlan(jobs=9)
    assert one.types == ("import-leads", "export-leads", "move-leads")  # imports, exports, moves
    assert one.watched_types(0) == ()  # the one channel hears of every type, as a bare /leads watch
    assert {one.channel_of(one.type_of(n)) for n in range(9)} == {"C0WATCH00"}
    two = WatchPlan(jobs=9, channels=2)
    assert two.watched_types(0) == ("import-leads", "move-leads")
    assert two.watched_types(1) == ("export-leads",)
    every = WatchPlan(jobs=9, channels=len(JOB_KINDS))
    assert [every.channel_of(every.type_of(n)) for n in range(9)] == every.channel_ids()  # one type each
    with pytest.raises(ValueError, match="--channels"):
        WatchPlan(jobs=9, channels=len(JOB_KINDS) + 1)


def test_a_job_never_announced_counts_as_an_infinite_lag() -> None:
    assert spread_of([1.0, 2.0, 3.0]) == (2.0, 3.0, 3.0)
    p50, p95, worst = spread_of([float(n) for n in range(19)], missing=1)
    assert (p50, p95, worst) == (9.0, 18.0, None)  # the 20th is the missing one: p95 still lands on a real one
    assert spread_of([1.0], missing=1)[1] is None
    assert spread_of([]) == (None, None, None)


def test_four_jobs_started_elsewhere_are_each_announced_once() -> None:
    # 0.02: jobs start over 6 s and each runs 1.2 s; leadmover polls every 60 ms and lists every 1 s (its least).
    # Slack's post a second per channel is not scaled: the one channel's 8 posts take about 8 s.
    base = Scenario(jobs=0, time_scale=0.02, drain_seconds=30.0)
    figures = run_watch(WatchPlan(jobs=4), base, progress=lambda _: None)

    assert not [p for p in figures.problems if "violations" in p or "died" in p], figures.problems
    assert figures.jobs_started == figures.jobs_followed == figures.jobs_announced == figures.jobs_replied == 4
    assert figures.duplicate_announcements == figures.channel_duplicates == 0
    assert figures.not_announced == figures.wrong_channel == figures.duplicate_replies == 0
    assert figures.watch_set_via.startswith("a signed `/leads watch`")
    [channel] = figures.per_channel
    assert (channel.jobs, channel.announced) == (4, 4)
    assert 2 <= channel.posts <= 8, "a message each, or fewer where jobs found together shared one"
    assert figures.instantly_429s == 0
    assert figures.discovery_rounds > 0
    assert figures.discovery_requests >= figures.discovery_rounds
    assert figures.poll_requests > 0
    for name in ("discovery_lag_p95", "announcement_lag_p95", "posting_wait_p95", "final_lag_p95", "cpu_seconds"):
        assert getattr(figures, name) is not None, name
    assert figures.discovery_lag_p95 is not None
    assert figures.announcement_lag_p95 is not None
    assert 0 <= figures.discovery_lag_p95 <= figures.announcement_lag_p95 + 0.05  # followed before announced
    assert figures.peak_rss_mb is not None
    assert figures.peak_rss_mb > 0
    assert targets(figures)[0][3], "each job announced exactly once"
    printed = render(figures)
    for words in ("discovery lag p95", "announcement lag p95", "posts: the busiest channel", "C0WATCH00", "targets:"):
        assert words in printed
    # --json and --render: what was saved reads back into the same tables.
    assert render(from_dict(json.loads(json.dumps(figures.as_dict())))) == printed

"""Load benchmark: the real leadmover (and a baseline follower) against the loopback fakes, with many jobs at once.

    python -m bench.run --jobs 10,100,1000 --time-scale 0.1 [--mode leadmover|baseline|both] [--json out.json]
    python -m bench.run --workspaces 50 --jobs-per-workspace 20 [--time-scale 1] [--json out.json]
    python -m bench.run --watch --jobs 1000 [--time-scale 1] [--channels N] [--watch-seconds 30] [--json out.json]

For each job count and mode it starts fresh fakes of Instantly and Slack in this process (with Instantly's and
Slack's rate limits switched on), runs the app as a child process (`python -m app.cli serve --http`, or
`python -m bench.baseline`), starts the jobs evenly over 5 minutes, and prints the figures. 1,000 people over 20
channels make the moves: job n is person n mod 1,000's, who always works in the same channel, so at 5,000 jobs each
person moves about once a minute. Jobs run pending -> 25 -> 50 -> 75 -> success over one minute of wall clock.
`--time-scale` shrinks the whole timeline (the spread, a job's minute, leadmover's POLL_INTERVAL_SECONDS and the
baseline's 2 s) for quick checks; the rate limits of Instantly, Slack and leadmover itself are not scaled.

Besides the rates and latencies, it prints what the submitted moves came to (started at Instantly, acked as
starting, asked to wait, did not start, left waiting: acked but never seen by Instantly), a histogram of how long
after its end at Instantly each job's final reply came, and the announcements showing 100%: at the last reply, and
after the app was left running up to 120 s more (not scaled, not counted in the CPU or delay figures) for the rest.

With `--workspaces` it runs the many-workspace mode instead (bench/workspaces.py): one app installed by OAuth in N
Slack workspaces, each with its own Instantly key and workspace, and the figures per workspace.
With `--watch` it runs the watched-workspace mode (bench/watch.py): jobs started elsewhere at Instantly, which the
app discovers in N watched channels (1 by default), announces once each and follows.
See docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path

from bench.announcements import AnnouncementWatch, wait_for_announcements
from bench.child import code_version, log_problems
from bench.driver import Driver, Outcome
from bench.metrics import Figures, compute, from_dict
from bench.report import markdown, table
from bench.scenario import Fakes, Scenario, fakes, start_baseline, start_leadmover

# --- one run -------------------------------------------------------------------------------------------------


def _all_replied(f: Fakes) -> bool:
    replied = f.slack_log.replied()
    return all(job_id in replied for job_id in f.instantly.job_ids())


def record_moves(figures: Figures, *, tally: Counter[Outcome], notes: int) -> None:
    """What the driver's moves came to, from its tally and the app's notes that a start failed; before `compute`,
    which counts the rest as left waiting."""
    figures.moves_submitted = sum(tally.values())
    figures.acked_starting = tally[Outcome.STARTING]
    figures.asked_to_wait = tally[Outcome.ASKED_TO_WAIT]
    figures.start_failures = tally[Outcome.FAILED] + tally[Outcome.REFUSED] + notes


def problems_of(driver: Driver) -> list[str]:
    """The driver's failures (the first five) and the app's refusals other than "wait", grouped by their words."""
    problems = driver.failures[:5]
    if len(driver.failures) > 5:
        problems.append(f"... and {len(driver.failures) - 5} more driver failures")
    problems += [f"refused x{count}: {words}" for count, words in driver.refusals()[:5]]
    return problems


def run_once(scenario: Scenario, mode: str, *, keep: bool = False, progress: Callable[[str], None] = print) -> Figures:
    figures = Figures(mode=mode, jobs=scenario.jobs, time_scale=scenario.time_scale)
    workdir = Path(tempfile.mkdtemp(prefix=f"leadmover-bench-{mode}-{scenario.jobs}-"))
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    began = time.monotonic()
    with ExitStack() as cleanup, fakes(scenario) as f:
        if mode == "leadmover":
            child, app_url = start_leadmover(scenario, f, workdir)
        else:
            child, app_url = start_baseline(scenario, f, workdir), ""
        cleanup.callback(child.stop)
        figures.app_version = code_version()
        begin = time.monotonic()
        scheduled_end = begin + scenario.spread + scenario.job_duration
        driver = Driver(scenario, f.slack, app_url, channels=scenario.channel_ids(), users=scenario.user_ids())
        threads: list[threading.Thread] = []
        probing_over = threading.Event()
        if mode == "leadmover":
            threads.append(threading.Thread(target=driver.run_starts, args=(begin,), daemon=True))
            threads.append(threading.Thread(target=driver.run_probes, args=(probing_over.is_set,), daemon=True))
        for thread in threads:
            thread.start()

        def starting_done() -> bool:
            if mode == "leadmover":
                return not threads[0].is_alive()
            return len(f.instantly.job_ids()) >= scenario.jobs

        def settled() -> bool:
            if not starting_done():
                return False
            started = len(f.instantly.job_ids())
            # A move asked to wait is over for this run as surely as a refused one: nothing will come of it.
            not_starting = driver.will_not_start() + f.slack_log.notes
            return started + not_starting >= scenario.jobs and _all_replied(f)

        deadline = scheduled_end + scenario.drain_seconds
        last_report = time.monotonic()
        while not settled() and time.monotonic() < deadline:
            if not child.alive():
                figures.problems.append(f"the {mode} process died: {child.log()[-2000:]}")
                break
            time.sleep(0.2)
            if time.monotonic() - last_report >= 30:
                last_report = time.monotonic()
                replied = len(f.slack_log.replied())
                progress(
                    f"  [{mode} {scenario.jobs}] t={last_report - begin:.0f}s started={len(f.instantly.job_ids())} "
                    f"replied={replied} asked_to_wait={driver.tally()[Outcome.ASKED_TO_WAIT]} "
                    f"instantly_reqs={f.instantly.request_count} slack_calls={f.slack.call_count}"
                )
        now = time.monotonic()
        if mode == "leadmover":
            probing_over.set()
            for thread in threads:
                thread.join(timeout=30)
            figures.start_lag_max = driver.lag_max
        if child.alive():
            figures.peak_rss_mb, figures.cpu_seconds = child.stats()
        if mode == "leadmover":
            record_moves(figures, tally=driver.tally(), notes=f.slack_log.notes)
        else:  # the baseline starts its own jobs, retrying until Instantly takes them
            figures.moves_submitted, figures.start_failures = scenario.jobs, f.slack_log.notes
        figures.problems.extend(problems_of(driver))
        slack_hits, replies, _ = f.slack_log.snapshot()
        job_times = f.instantly.job_times()
        compute(
            figures,
            instantly=f.instantly_log.snapshot(),
            slack=slack_hits,
            replies=replies,
            job_times=job_times,
            now=now,
            acks=driver.acks,
        )
        # Edits are scarcer than posts: how many anchors already show the end when the last reply is out.
        figures.announcements_final = sum(
            1 for channel in scenario.channel_ids() for message in f.slack.messages(channel) if "100%" in message.text
        )
        # And how long the rest take, with the figures above already taken: this wait is in no delay, CPU or RSS.
        watch = AnnouncementWatch(f.slack, scenario.channel_ids())
        if child.alive():
            figures.announcements_eventually, figures.announcements_wait_seconds = wait_for_announcements(
                watch, job_times, limit=scenario.announcement_wait_seconds, alive=child.alive
            )
            figures.replies_after_the_end = watch.replies_after_the_end(job_times)
        violations = f.slack.violations + f.instantly.violations
        if violations:
            figures.problems.append(f"{len(violations)} contract violations seen by the fakes, first: {violations[0]}")
        child.stop()
        log = child.log()
        for count, line in log_problems(log)[:4]:
            figures.problems.append(f"log x{count}: {line}")
    figures.wall_seconds = time.monotonic() - began
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    figures.bench_cpu_seconds = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    if keep:
        progress(f"  [{mode} {scenario.jobs}] kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return figures


def run(
    job_counts: Sequence[int], *, modes: Sequence[str], base: Scenario, keep: bool = False, quiet: bool = False
) -> list[list[Figures]]:
    def say(text: str) -> None:
        if not quiet:
            print(text, flush=True)

    results = []
    for jobs in job_counts:
        scenario = Scenario(**{**base.__dict__, "jobs": jobs})
        runs = []
        for mode in modes:
            say(f"-- {mode}, {jobs} jobs, time scale {scenario.time_scale:g} (spread {scenario.spread:g} s) --")
            runs.append(run_once(scenario, mode, keep=keep, progress=say))
        say(table(runs))
        say("")
        results.append(runs)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", default="10,100,1000", help="comma-separated job counts (default 10,100,1000)")
    parser.add_argument("--time-scale", type=float, default=1.0, help="shrink the timeline (0.1: 30 s spread)")
    parser.add_argument("--mode", choices=("leadmover", "baseline", "both"), default="both")
    parser.add_argument("--channels", type=int, help="channels (default 20; with --watch, watched channels, 1)")
    parser.add_argument("--users", type=int, default=1000, help="people making the moves, each in one channel")
    parser.add_argument("--probe-rate", type=float, default=2.0, help="/leads jobs commands a second")
    parser.add_argument("--drain", type=float, default=600.0, help="seconds to wait for final replies after the end")
    parser.add_argument("--starters", type=int, default=8, help="driver threads clicking through the modal")
    parser.add_argument("--no-limits", action="store_true", help="do not enforce Instantly's and Slack's limits")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument("--keep", action="store_true", help="keep each run's directory (database, logs)")
    parser.add_argument("--render", type=Path, nargs="+", help="print --json results as Markdown tables; run nothing")
    many = parser.add_argument_group("many workspaces (bench/workspaces.py)")
    many.add_argument("--workspaces", type=int, help="serve this many workspaces, installed by OAuth, instead")
    many.add_argument("--jobs-per-workspace", type=int, default=20)
    many.add_argument("--channels-per-workspace", type=int, default=2)
    many.add_argument("--per-workspace", action="store_true", help="also print a line per workspace")
    watched = parser.add_argument_group("a watched workspace (bench/watch.py)")
    watched.add_argument("--watch", action="store_true", help="jobs started elsewhere, discovered by /leads watch")
    watched.add_argument("--watch-seconds", type=float, default=30.0, help="LEADMOVER_WATCH_SECONDS before scaling")
    args = parser.parse_args(argv)
    if args.render:
        for path in args.render:
            data = json.loads(path.read_text())
            if isinstance(data, dict) and data.get("mode") == "watch":
                from bench import watch

                print(watch.render(watch.from_dict(data)) + "\n")
                continue
            if isinstance(data, dict):  # a many-workspace run
                from bench import fleet_metrics

                print(fleet_metrics.render(fleet_metrics.from_dict(data), per_workspace=args.per_workspace) + "\n")
                continue
            for runs in data:
                figures = [from_dict(run) for run in runs]
                print(f"### {figures[0].jobs} jobs, time scale {figures[0].time_scale:g}\n")
                print(markdown(figures) + "\n")
        return 0
    if args.time_scale <= 0:
        parser.error("--time-scale must be positive")
    if args.users < 1 or (args.channels is not None and args.channels < 1):
        parser.error("--users and --channels must be positive")
    base = Scenario(
        jobs=0,
        time_scale=args.time_scale,
        channels=20 if args.channels is None or args.watch else args.channels,
        users=args.users,
        probe_rate=args.probe_rate,
        drain_seconds=args.drain,
        starters=args.starters,
        enforce_limits=not args.no_limits,
    )
    if args.watch:
        return _watched(args, base)
    if args.workspaces is not None:
        return _many_workspaces(args, base)
    modes = ("leadmover", "baseline") if args.mode == "both" else (args.mode,)
    job_counts = [int(part) for part in args.jobs.split(",") if part.strip()]
    results = run(job_counts, modes=modes, base=base, keep=args.keep)
    if args.json is not None:
        args.json.write_text(json.dumps([[run.as_dict() for run in runs] for runs in results], indent=2))
    return 0


def _many_workspaces(args: argparse.Namespace, base: Scenario) -> int:
    from bench.fleet_metrics import render
    from bench.workspaces import Fleet, run_workspaces

    if args.workspaces < 1 or args.jobs_per_workspace < 0 or args.channels_per_workspace < 1:
        raise SystemExit("--workspaces and --channels-per-workspace must be positive")
    fleet = Fleet(args.workspaces, args.jobs_per_workspace, channels_per_workspace=args.channels_per_workspace)
    print(
        f"-- {fleet.workspaces} workspaces x {fleet.jobs_per_workspace} jobs, time scale {base.time_scale:g} "
        f"(spread {base.spread_seconds * base.time_scale:g} s) --",
        flush=True,
    )
    result = run_workspaces(fleet, base, keep=args.keep, progress=lambda text: print(text, flush=True))
    print(render(result, per_workspace=args.per_workspace), flush=True)
    if args.json is not None:
        args.json.write_text(json.dumps(result.as_dict(), indent=2))
    return 0


def _watched(args: argparse.Namespace, base: Scenario) -> int:
    from bench.watch import WatchPlan, render, run_watch

    try:
        plan = WatchPlan(jobs=int(args.jobs.strip()), channels=args.channels or 1, watch_seconds=args.watch_seconds)
    except ValueError as exc:  # a list of job counts, or a plan the mode cannot run
        raise SystemExit(f"--watch: {exc}") from exc
    print(
        f"-- watched workspace: {plan.jobs} jobs started elsewhere, {plan.channels} watched channel(s), time scale "
        f"{base.time_scale:g} (spread {base.spread:g} s) --",
        flush=True,
    )
    figures = run_watch(plan, base, keep=args.keep, progress=lambda text: print(text, flush=True))
    print(render(figures), flush=True)
    if args.json is not None:
        args.json.write_text(json.dumps(figures.as_dict(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

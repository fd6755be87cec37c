"""Load benchmark: the real leadmover (and a baseline follower) against the loopback fakes, with many jobs at once.

    python -m bench.run --jobs 10,100,1000 --time-scale 0.1 [--mode leadmover|baseline|both] [--json out.json]

For each job count and mode it starts fresh fakes of Instantly and Slack in this process (with Instantly's and
Slack's rate limits switched on), runs the app as a child process (`python -m bot.cli serve --http`, or
`python -m bench.baseline`), starts the jobs evenly over 5 minutes, and prints the figures. Jobs run pending ->
25 -> 50 -> 75 -> success over one minute of wall clock. `--time-scale` shrinks the whole timeline (the spread, a
job's minute, leadmover's POLL_INTERVAL_SECONDS and the baseline's 2 s) for quick checks; the rate limits of
Instantly, Slack and leadmover itself are not scaled. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.metrics import Figures, InstantlyLog, SlackLog, compute, from_dict, markdown, process_stats, table
from bot.simulators.instantly import INSTANTLY_RATE_LIMITS, FakeInstantly
from bot.simulators.slack import FakeSlack

ROOT = Path(__file__).resolve().parents[1]
SOURCE_NAME = "Bench source campaign"
DESTINATION_NAME = "Bench destination list"
PICKER_QUERY = "bench"
# Block and action ids of the move modal (handlers/ids.py); spelled out so the bench imports nothing from handlers.
SOURCE_PICKER = "source"
DESTINATION_PICKER = "destination"


@dataclass(frozen=True)
class Scenario:
    jobs: int
    time_scale: float = 1.0
    channels: int = 20
    users: int = 50
    spread_seconds: float = 300.0  # before scaling
    job_seconds: float = 60.0
    poll_interval: float = 3.0  # leadmover's default POLL_INTERVAL_SECONDS
    baseline_poll: float = 2.0  # Instantly's starter kit
    probe_rate: float = 2.0  # `/leads jobs` commands a second, in wall time
    drain_seconds: float = 600.0  # after the last job's scheduled end, how long to wait for final replies
    budget_percent: float = 10.0
    starters: int = 8  # driver threads that click through the modal
    enforce_limits: bool = True

    @property
    def spread(self) -> float:
        return self.spread_seconds * self.time_scale

    @property
    def job_duration(self) -> float:
        return self.job_seconds * self.time_scale

    def channel_ids(self) -> list[str]:
        return [f"C0BENCH{n:02d}" for n in range(self.channels)]

    def user_ids(self) -> list[str]:
        return [f"U0BENCH{n:03d}" for n in range(self.users)]


@dataclass
class Fakes:
    slack: FakeSlack
    instantly: FakeInstantly
    slack_log: SlackLog
    instantly_log: InstantlyLog
    source_id: str
    destination_id: str


@contextmanager
def fakes(scenario: Scenario) -> Iterator[Fakes]:
    slack_log, instantly_log = SlackLog(), InstantlyLog()
    limits = scenario.enforce_limits
    with (
        FakeSlack(
            record_calls=False,
            keep_history=False,
            on_call=slack_log.add,
            update_limit_per_minute=50 if limits else None,
            post_rate_per_channel=1.0 if limits else None,
            post_burst=3.0,
            keep_alive=True,
        ) as slack,
        FakeInstantly(
            job_duration=scenario.job_duration,
            rate_limits=INSTANTLY_RATE_LIMITS if limits else (),
            record_requests=False,
            on_request=instantly_log.add,
        ) as instantly,
    ):
        for n, channel in enumerate(scenario.channel_ids()):
            slack.add_channel(channel, f"bench-{n:02d}")
        source = instantly.add_campaign(SOURCE_NAME, leads=200)
        destination = instantly.add_list(DESTINATION_NAME, leads=0)
        yield Fakes(slack, instantly, slack_log, instantly_log, source, destination)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Child:
    """A child process whose /proc figures we read before stopping it; its output goes to a file."""

    def __init__(self, args: list[str], *, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        with log_path.open("ab") as output:
            self.process = subprocess.Popen(args, env=env, cwd=log_path.parent, stdout=output, stderr=subprocess.STDOUT)
        self.cpu_at_ready = 0.0

    def alive(self) -> bool:
        return self.process.poll() is None

    def mark_ready(self) -> None:
        self.cpu_at_ready = process_stats(self.process.pid)[1]

    def stats(self) -> tuple[float, float]:
        """(peak RSS MB, CPU seconds since ready)."""
        rss, cpu = process_stats(self.process.pid)
        return rss, cpu - self.cpu_at_ready

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def code_version() -> str:
    """The commit the child processes run, and whether the app's files differ from it."""
    git = shutil.which("git")
    if git is None:
        return "unknown"
    try:
        commit = subprocess.run(
            [git, "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            [git, "-C", str(ROOT), "status", "--porcelain", "--", "bot", "handlers", "storage"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}+uncommitted" if changed else commit


def _base_env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}


def start_leadmover(scenario: Scenario, f: Fakes, workdir: Path) -> tuple[Child, str]:
    port = _free_port()
    env = {
        **_base_env(),
        "SLACK_BOT_TOKEN": f.slack.bot_token,
        "SLACK_SIGNING_SECRET": f.slack.signing_secret,
        "SLACK_API_URL": f.slack.api_url,
        "INSTANTLY_API_KEY": f.instantly.api_key,
        "INSTANTLY_API_URL": f.instantly.base_url,
        "DATABASE_URL": f"sqlite:///{workdir / 'leadmover.db'}",
        # The job timeline is scaled, so polling is too: a job is then polled as often per (scaled) minute.
        "POLL_INTERVAL_SECONDS": f"{scenario.poll_interval * scenario.time_scale:g}",
        "INSTANTLY_BUDGET_PERCENT": f"{scenario.budget_percent:g}",
        "LOG_LEVEL": "WARNING",
    }
    args = [sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1", "--port", str(port)]
    child = Child(args, env=env, log_path=workdir / "leadmover.log")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not child.alive():
            raise RuntimeError(f"leadmover exited early:\n{child.log()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                child.mark_ready()
                return child, f"http://127.0.0.1:{port}/slack/events"
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    child.stop()
    raise RuntimeError(f"leadmover never became healthy:\n{child.log()}")


def start_baseline(scenario: Scenario, f: Fakes, workdir: Path) -> Child:
    args = [
        sys.executable,
        "-m",
        "bench.baseline",
        "--instantly-url",
        f.instantly.base_url,
        "--instantly-key",
        f.instantly.api_key,
        "--slack-url",
        f.slack.api_url,
        "--slack-token",
        f.slack.bot_token,
        "--jobs",
        str(scenario.jobs),
        "--spread",
        f"{scenario.spread:g}",
        "--poll",
        f"{scenario.baseline_poll * scenario.time_scale:g}",
        "--channels",
        ",".join(scenario.channel_ids()),
        "--source",
        f.source_id,
        "--destination",
        f.destination_id,
    ]
    child = Child(args, env=_base_env(), log_path=workdir / "baseline.log")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and '"started"' not in child.log():
        if not child.alive():
            raise RuntimeError(f"baseline exited early:\n{child.log()}")
        time.sleep(0.05)
    child.mark_ready()
    return child


# --- driving leadmover the way people do ---------------------------------------------------------------------


class Driver:
    """Starts jobs through the real app path (/leads move, two picker searches, submit) and probes acks."""

    def __init__(self, scenario: Scenario, f: Fakes, app_url: str) -> None:
        self.scenario = scenario
        self.f = f
        self.app_url = app_url
        self.failures: list[str] = []
        self.lag_max = 0.0
        self.acks: list[tuple[int, float]] = []
        self._lock = threading.Lock()
        self._channels = scenario.channel_ids()
        self._users = scenario.user_ids()

    def _fail(self, number: int, why: str) -> None:
        with self._lock:
            self.failures.append(f"job {number}: {why}")

    def start_job(self, number: int) -> None:
        slack, url = self.f.slack, self.app_url
        channel = self._channels[number % len(self._channels)]
        user = self._users[number % len(self._users)]
        trigger = slack.issue_trigger_id()
        answer = slack.send_command(
            url, text="move", channel_id=channel, channel_name=channel.lower(), user_id=user, user_name=user.lower(),
            trigger_id=trigger,
        )  # fmt: skip
        if answer.status != 200:
            self._fail(number, f"/leads move answered {answer.status}")
            return
        view: dict[str, Any] | None = None
        deadline = time.monotonic() + 5
        while view is None and time.monotonic() < deadline:
            view = slack.view_opened_by(trigger)
            if view is None:
                time.sleep(0.005)
        if view is None:
            self._fail(number, "the modal never opened")
            return
        values = {}
        for action_id, prefix in ((SOURCE_PICKER, "campaign:"), (DESTINATION_PICKER, "list:")):
            loaded = slack.load_options(url, view_id=view["id"], action_id=action_id, value=PICKER_QUERY, user_id=user)
            body = loaded.json() if loaded.status == 200 else None
            groups = body.get("option_groups", []) if isinstance(body, dict) else []
            options = [o for g in groups for o in g["options"] if str(o["value"]).startswith(prefix)]
            if not options:
                self._fail(number, f"picker {action_id} offered nothing usable ({loaded.status})")
                return
            values[action_id] = options[0]
        submitted = slack.submit_view(url, view_id=view["id"], values=values, user_id=user)
        if submitted.status != 200:
            self._fail(number, f"submission answered {submitted.status}")

    def run_starts(self, begin: float) -> None:
        """Start every job on schedule (evenly over the spread) on a pool of driver threads; wait for all."""
        jobs = self.scenario.jobs
        gap = self.scenario.spread / jobs if jobs else 0.0
        futures: list[Future[None]] = []
        with ThreadPoolExecutor(max_workers=self.scenario.starters, thread_name_prefix="bench-start") as pool:
            for number in range(jobs):
                due = begin + number * gap
                time.sleep(max(0.0, due - time.monotonic()))
                futures.append(pool.submit(self._timed_start, number, due))
            for future in futures:
                exc = future.exception()
                if exc is not None:
                    self._fail(-1, f"driver crashed: {exc!r}")

    def _timed_start(self, number: int, due: float) -> None:
        lag = time.monotonic() - due
        with self._lock:
            self.lag_max = max(self.lag_max, lag)
        self.start_job(number)

    def run_probes(self, until: Callable[[], bool]) -> None:
        """`/leads jobs` at a steady rate (a pool, so one slow answer does not delay the next probe)."""
        interval = 1.0 / self.scenario.probe_rate
        channel, user = self._channels[0], self._users[0]
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="bench-probe") as pool:
            next_at = time.monotonic()
            while not until():
                time.sleep(max(0.0, next_at - time.monotonic()))
                pool.submit(self._probe, channel, user)
                next_at += interval

    def _probe(self, channel: str, user: str) -> None:
        answer = self.f.slack.send_command(
            self.app_url, text="jobs", channel_id=channel, channel_name=channel.lower(), user_id=user,
            user_name=user.lower(),
        )  # fmt: skip
        with self._lock:
            self.acks.append((answer.status, answer.elapsed))


# --- one run -------------------------------------------------------------------------------------------------


def _all_replied(f: Fakes) -> bool:
    replied = f.slack_log.replied()
    return all(job_id in replied for job_id in f.instantly.job_ids())


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
        driver = Driver(scenario, f, app_url)
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
            not_started = len(driver.failures) + f.slack_log.notes
            return started + not_started >= scenario.jobs and _all_replied(f)

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
                    f"replied={replied} instantly_reqs={f.instantly.request_count} slack_calls={f.slack.call_count}"
                )
        now = time.monotonic()
        if mode == "leadmover":
            probing_over.set()
            for thread in threads:
                thread.join(timeout=30)
            figures.start_lag_max = driver.lag_max
        if child.alive():
            figures.peak_rss_mb, figures.cpu_seconds = child.stats()
        figures.start_failures = len(driver.failures) + f.slack_log.notes
        figures.problems.extend(driver.failures[:5])
        if len(driver.failures) > 5:
            figures.problems.append(f"... and {len(driver.failures) - 5} more driver failures")
        slack_hits, replies, _ = f.slack_log.snapshot()
        compute(
            figures,
            instantly=f.instantly_log.snapshot(),
            slack=slack_hits,
            replies=replies,
            job_times=f.instantly.job_times(),
            now=now,
            acks=driver.acks,
        )
        # Edits are scarcer than posts: how many anchors already show the end when the last reply is out.
        figures.announcements_final = sum(
            1 for channel in scenario.channel_ids() for message in f.slack.messages(channel) if "100%" in message.text
        )
        violations = f.slack.violations + f.instantly.violations
        if violations:
            figures.problems.append(f"{len(violations)} contract violations seen by the fakes, first: {violations[0]}")
        child.stop()
        log = child.log()
        for count, line in _log_problems(log)[:4]:
            figures.problems.append(f"log x{count}: {line}")
    figures.wall_seconds = time.monotonic() - began
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    figures.bench_cpu_seconds = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    if keep:
        progress(f"  [{mode} {scenario.jobs}] kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return figures


def _log_problems(log: str) -> list[tuple[int, str]]:
    """WARNING and ERROR lines of a log, grouped once numbers and ids are blanked out; the commonest first."""
    kinds: Counter[str] = Counter()
    example: dict[str, str] = {}
    for line in log.splitlines():
        if " WARNING " not in line and " ERROR " not in line and "Traceback" not in line:
            continue
        text = line.split(" ", 2)[-1] if line[:2].isdigit() else line
        key = re.sub(r"[0-9a-f]{24}|\d+(\.\d+)?", "#", text)[:160]
        kinds[key] += 1
        example.setdefault(key, text[:300])
    return [(count, example[key]) for key, count in kinds.most_common()]


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
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--probe-rate", type=float, default=2.0, help="/leads jobs commands a second")
    parser.add_argument("--drain", type=float, default=600.0, help="seconds to wait for final replies after the end")
    parser.add_argument("--starters", type=int, default=8, help="driver threads clicking through the modal")
    parser.add_argument("--no-limits", action="store_true", help="do not enforce Instantly's and Slack's limits")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument("--keep", action="store_true", help="keep each run's directory (database, logs)")
    parser.add_argument("--render", type=Path, nargs="+", help="print --json results as Markdown tables; run nothing")
    args = parser.parse_args(argv)
    if args.render:
        for path in args.render:
            for runs in json.loads(path.read_text()):
                figures = [from_dict(run) for run in runs]
                print(f"### {figures[0].jobs} jobs, time scale {figures[0].time_scale:g}\n")
                print(markdown(figures) + "\n")
        return 0
    if args.time_scale <= 0:
        parser.error("--time-scale must be positive")
    base = Scenario(
        jobs=0,
        time_scale=args.time_scale,
        channels=args.channels,
        probe_rate=args.probe_rate,
        drain_seconds=args.drain,
        starters=args.starters,
        enforce_limits=not args.no_limits,
    )
    modes = ("leadmover", "baseline") if args.mode == "both" else (args.mode,)
    job_counts = [int(part) for part in args.jobs.split(",") if part.strip()]
    results = run(job_counts, modes=modes, base=base, keep=args.keep)
    if args.json is not None:
        args.json.write_text(json.dumps([[run.as_dict() for run in runs] for runs in results], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Many workspaces: one leadmover serving N Slack workspaces, each with its own Instantly workspace and key.

    python -m bench.run --workspaces 50 --jobs-per-workspace 20 [--time-scale S] [--json out.json] [--per-workspace]

Fresh fakes of Slack and Instantly run in this process with the real limits switched on, per workspace as the real
services count them: Instantly 100 requests/s and 6,000/min per Instantly workspace, Slack chat.update about 50/min
per workspace, chat.postMessage about 1/s per channel, and the history reads (once a minute). The app runs as a
child process installed by OAuth (`SLACK_CLIENT_ID`, no `SLACK_BOT_TOKEN`, no `INSTANTLY_API_KEY`).

1. **Setup** (not timed against the jobs): each Slack workspace installs the app through the real OAuth flow (the
   app's /slack/install page, Slack's approval, /slack/oauth_redirect) and an admin connects its own Instantly key
   with `/leads connect` (the modal, then its submission).
2. **Moves**: jobs-per-workspace x workspaces moves through the real modal, evenly over 5 minutes as the one-workspace
   bench does, job n in workspace n mod N; each runs a minute in Instantly. `/leads jobs` probes rotate over the
   workspaces twice a second and their acks are timed.
3. **Figures**: per workspace (that workspace's share of the fakes' logs), a summary across workspaces against the
   targets, and the process's peak RSS and CPU. See docs/performance.md, "Many workspaces".
"""

from __future__ import annotations

import resource
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from bench.child import Child, code_version, log_problems, start_leadmover_process
from bench.driver import Driver, Target, wait_for_view
from bench.fleet_metrics import FleetResult, WorkspaceFigures, split_by_workspace, workspace_figures
from bench.metrics import Figures, InstantlyLog, SlackLog, compute
from bench.run import problems_of, record_moves
from bench.scenario import DESTINATION_NAME, SOURCE_NAME, Scenario
from bot.secrets import new_key
from simulators.instantly import INSTANTLY_RATE_LIMITS, FakeInstantly, InstantlyWorkspace
from simulators.slack import FakeSlack

# The connect modal's ids (handlers/ids.py), spelled out so the bench imports nothing from handlers.
CONNECT_MODAL = "connect_instantly"
API_KEY = "api_key"


@dataclass(frozen=True)
class Tenant:
    """One customer: a Slack workspace with an admin, people and channels, and the key to its Instantly workspace."""

    index: int
    team_id: str
    admin: str
    users: tuple[str, ...]
    channels: tuple[str, ...]
    api_key: str


@dataclass(frozen=True)
class Fleet:
    workspaces: int
    jobs_per_workspace: int
    channels_per_workspace: int = 2
    users_per_workspace: int = 4  # besides the admin
    setup_threads: int = 4  # installs and connects in parallel

    @property
    def jobs(self) -> int:
        return self.workspaces * self.jobs_per_workspace

    def tenants(self) -> list[Tenant]:
        return [
            Tenant(
                index=w,
                team_id=f"T0BENCH{w:03d}",
                admin=f"U0W{w:03d}ADMIN",
                users=tuple(f"U0W{w:03d}P{n:02d}" for n in range(self.users_per_workspace)),
                channels=tuple(f"C0W{w:03d}CH{c:02d}" for c in range(self.channels_per_workspace)),
                api_key=f"bench-instantly-key-{w:03d}-0123456789abcdef",
            )
            for w in range(self.workspaces)
        ]


@dataclass
class FleetFakes:
    slack: FakeSlack
    instantly: FakeInstantly
    slack_log: SlackLog
    instantly_log: InstantlyLog
    tenants: list[Tenant]
    instantly_of: dict[str, InstantlyWorkspace]  # team id -> its Instantly workspace


@contextmanager
def fleet_fakes(scenario: Scenario, fleet: Fleet) -> Iterator[FleetFakes]:
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
            history_limits=limits,
            keep_alive=True,
            strict_users=True,
        ) as slack,
        FakeInstantly(
            job_duration=scenario.job_duration,
            rate_limits=INSTANTLY_RATE_LIMITS if limits else (),  # each workspace gets these, counted apart
            record_requests=False,
            on_request=instantly_log.add,
        ) as instantly,
    ):
        tenants, instantly_of = fleet.tenants(), {}
        for t in tenants:
            slack.add_team(t.team_id, name=f"Bench team {t.index:03d}", domain=f"bench-{t.index:03d}")
            slack.add_user(t.admin, team_id=t.team_id, is_admin=True)
            for user in t.users:
                slack.add_user(user, team_id=t.team_id)
            for n, channel in enumerate(t.channels):
                slack.add_channel(channel, f"bench-{t.index:03d}-{n:02d}", team_id=t.team_id)
            workspace = instantly.add_workspace(name=f"Bench outreach {t.index:03d}", api_key=t.api_key)
            workspace.add_campaign(SOURCE_NAME, leads=200)
            workspace.add_list(DESTINATION_NAME, leads=0)
            instantly_of[t.team_id] = workspace
        yield FleetFakes(slack, instantly, slack_log, instantly_log, tenants, instantly_of)


def start_app(scenario: Scenario, f: FleetFakes, workdir: Path) -> tuple[Child, str]:
    """The app installed by OAuth in many workspaces: client id and secret, an encryption key, no bot token and no
    Instantly key of its own. Returns the child and its base URL."""
    settings = {
        "SLACK_CLIENT_ID": f.slack.client_id,
        "SLACK_CLIENT_SECRET": f.slack.client_secret,
        "LEADMOVER_ENCRYPTION_KEY": new_key(),
        "SLACK_SIGNING_SECRET": f.slack.signing_secret,
        "SLACK_API_URL": f.slack.api_url,
        "INSTANTLY_API_URL": f.instantly.base_url,
        "DATABASE_URL": f"sqlite:///{workdir / 'leadmover.db'}",
        "POLL_INTERVAL_SECONDS": f"{scenario.poll_interval * scenario.time_scale:g}",
        "INSTANTLY_BUDGET_PERCENT": f"{scenario.budget_percent:g}",
        "LOG_LEVEL": "WARNING",
        # The moves here take no limit; the bench measures following them, not waiting for an approver.
        "LEADMOVER_APPROVALS": "false",
    }
    return start_leadmover_process(settings, workdir)


# --- setup: install, then connect ---------------------------------------------------------------------------


@dataclass
class Setup:
    install_seconds: float | None = None
    connect_seconds: float | None = None
    problem: str = ""


def install_and_connect(slack: FakeSlack, base_url: str, tenant: Tenant) -> Setup:
    """ "Add to Slack" through OAuth as the admin, then `/leads connect` with the workspace's key."""
    setup = Setup()
    began = time.monotonic()
    installed = slack.install(base_url, team_id=tenant.team_id, user_id=tenant.admin)
    setup.install_seconds = time.monotonic() - began
    if installed.status != 200 or not installed.installed:
        setup.problem = f"install answered {installed.status}, installed={installed.installed}"
        return setup
    app_url, channel = f"{base_url}/slack/events", tenant.channels[0]
    began = time.monotonic()
    trigger = slack.issue_trigger_id(team_id=tenant.team_id)
    answer = slack.send_command(
        app_url, text="connect", team_id=tenant.team_id, user_id=tenant.admin, user_name=tenant.admin.lower(),
        channel_id=channel, channel_name=channel.lower(), trigger_id=trigger,
    )  # fmt: skip
    view = wait_for_view(slack, trigger) if answer.status == 200 else None
    if view is None or view.get("callback_id") != CONNECT_MODAL:
        setup.problem = f"/leads connect answered {answer.status} and opened {view and view.get('callback_id')}"
        return setup
    submitted = slack.submit_view(
        app_url, view_id=view["id"], values={API_KEY: tenant.api_key}, user_id=tenant.admin, team_id=tenant.team_id
    )
    setup.connect_seconds = time.monotonic() - began
    body = submitted.json() if submitted.status == 200 and submitted.body.strip().startswith("{") else {}
    if body.get("response_action") != "update":
        setup.problem = f"connect submission answered {submitted.status}: {submitted.body[:200]}"
    return setup


def set_up_all(f: FleetFakes, base_url: str, threads: int) -> dict[str, Setup]:
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bench-setup") as pool:
        done = pool.map(lambda t: (t.team_id, install_and_connect(f.slack, base_url, t)), f.tenants)
        return dict(done)


# --- moves ---------------------------------------------------------------------------------------------------


class FleetDriver(Driver):
    """Job n happens in workspace n mod N, rotating over that workspace's channels and people; probes rotate over
    the workspaces."""

    def __init__(self, scenario: Scenario, slack: FakeSlack, app_url: str, tenants: list[Tenant]) -> None:
        super().__init__(scenario, slack, app_url, channels=[], users=[])
        self.tenants = tenants

    def target(self, number: int) -> Target:
        tenant = self.tenants[number % len(self.tenants)]
        turn = number // len(self.tenants)
        return Target(
            tenant.team_id, tenant.channels[turn % len(tenant.channels)], tenant.users[turn % len(tenant.users)]
        )

    def probe_target(self, number: int) -> Target:
        tenant = self.tenants[number % len(self.tenants)]
        return Target(tenant.team_id, tenant.channels[0], tenant.users[0])


def _all_replied(f: FleetFakes) -> bool:
    replied = f.slack_log.replied()
    return all(job_id in replied for job_id in f.instantly.all_job_times())


def run_workspaces(
    fleet: Fleet, base: Scenario, *, keep: bool = False, progress: Callable[[str], None] = print
) -> FleetResult:
    scenario = replace(base, jobs=fleet.jobs)
    tag = f"[{fleet.workspaces} ws x {fleet.jobs_per_workspace}]"
    workdir = Path(tempfile.mkdtemp(prefix=f"leadmover-bench-workspaces-{fleet.workspaces}-"))
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    began = time.monotonic()
    overall = Figures(mode="leadmover", jobs=fleet.jobs, time_scale=scenario.time_scale)
    result = FleetResult(fleet.workspaces, fleet.jobs_per_workspace, scenario.time_scale, process=overall)
    with ExitStack() as cleanup, fleet_fakes(scenario, fleet) as f:
        child, base_url = start_app(scenario, f, workdir)
        cleanup.callback(child.stop)
        overall.app_version = code_version()
        setups = set_up_all(f, base_url, fleet.setup_threads)
        result.setup_seconds = time.monotonic() - began
        failed = [f"{team}: {s.problem}" for team, s in setups.items() if s.problem]
        progress(f"  {tag} installed and connected in {result.setup_seconds:.0f} s, {len(failed)} failed")
        result.problems.extend(failed[:5])

        begin = time.monotonic()
        scheduled_end = begin + scenario.spread + scenario.job_duration
        driver = FleetDriver(scenario, f.slack, f"{base_url}/slack/events", f.tenants)
        probing_over = threading.Event()
        starts = threading.Thread(target=driver.run_starts, args=(begin,), daemon=True)
        probes = threading.Thread(target=driver.run_probes, args=(probing_over.is_set,), daemon=True)
        starts.start()
        probes.start()

        def settled() -> bool:
            if starts.is_alive():
                return False
            started = len(f.instantly.all_job_times())
            # Moves asked to wait or refused are over for this run: nothing will come of them.
            return started + driver.will_not_start() + f.slack_log.notes >= fleet.jobs and _all_replied(f)

        deadline, last_report = scheduled_end + scenario.drain_seconds, time.monotonic()
        while not settled() and time.monotonic() < deadline:
            if not child.alive():
                result.problems.append(f"the leadmover process died: {child.log()[-2000:]}")
                break
            time.sleep(0.2)
            if time.monotonic() - last_report >= 30:
                last_report = time.monotonic()
                progress(
                    f"  {tag} t={last_report - begin:.0f}s started={len(f.instantly.all_job_times())} "
                    f"replied={len(f.slack_log.replied())} instantly_reqs={f.instantly.request_count} "
                    f"slack_calls={f.slack.call_count}"
                )
        now = time.monotonic()
        probing_over.set()
        starts.join(timeout=30)
        probes.join(timeout=30)
        if child.alive():
            overall.peak_rss_mb, overall.cpu_seconds = child.stats()
        _figures(result, f, driver, setups, now)
        violations = f.slack.violations + f.instantly.violations
        if violations:
            result.problems.append(f"{len(violations)} contract violations seen by the fakes, first: {violations[0]}")
        child.stop()
        for count, line in log_problems(child.log())[:6]:
            result.problems.append(f"log x{count}: {line}")
    overall.wall_seconds = time.monotonic() - began
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    overall.bench_cpu_seconds = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    if keep:
        progress(f"  {tag} kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def _figures(result: FleetResult, f: FleetFakes, driver: FleetDriver, setups: dict[str, Setup], now: float) -> None:
    """Fill in the per-workspace figures and the whole run's, from the fakes' logs."""
    slack_hits, replies, notes = f.slack_log.snapshot()
    instantly_hits = f.instantly_log.snapshot()
    by_instantly, by_team = split_by_workspace(instantly_hits, slack_hits)
    tally_in = driver.tally_by_team()
    noted_in = Counter(h.team_id for h in slack_hits if h.method == "chat.postEphemeral" and h.ok)
    for t in f.tenants:
        workspace, setup = f.instantly_of[t.team_id], setups[t.team_id]
        figures = Figures(mode="leadmover", jobs=result.jobs_per_workspace, time_scale=result.time_scale)
        record_moves(figures, tally=tally_in.get(t.team_id, Counter()), notes=noted_in[t.team_id])
        workspace_figures(
            figures,
            instantly=by_instantly.get(workspace.workspace_id, []),
            slack=by_team.get(t.team_id, []),
            replies=replies,
            job_times=workspace.job_times(),
            now=now,
        )
        figures.announcements_final = sum(
            1 for c in t.channels for message in f.slack.messages(c, team_id=t.team_id) if "100%" in message.text
        )
        result.per_workspace.append(
            WorkspaceFigures(
                t.team_id, workspace.workspace_id, figures, setup.install_seconds, setup.connect_seconds, setup.problem
            )
        )
    overall = result.process
    record_moves(overall, tally=driver.tally(), notes=notes)
    overall.start_lag_max = driver.lag_max
    compute(
        overall,
        instantly=instantly_hits,
        slack=slack_hits,
        replies=replies,
        job_times=f.instantly.all_job_times(),
        now=now,
        acks=driver.acks,
    )
    overall.announcements_final = sum(row.figures.announcements_final or 0 for row in result.per_workspace)
    result.problems.extend(problems_of(driver))

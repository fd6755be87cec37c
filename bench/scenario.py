"""A one-workspace run's setting: its timeline and people (Scenario), the fakes of Instantly and Slack it runs
against, and the process it measures (leadmover, or the baseline follower)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.child import Child, base_env, start_leadmover_process
from bench.metrics import InstantlyLog, SlackLog
from simulators.instantly import INSTANTLY_RATE_LIMITS, FakeInstantly
from simulators.slack import FakeSlack

SOURCE_NAME = "Bench source campaign"
DESTINATION_NAME = "Bench destination list"


@dataclass(frozen=True)
class Scenario:
    jobs: int
    time_scale: float = 1.0
    channels: int = 20
    users: int = 1000  # people; person p always works in channel p mod channels
    spread_seconds: float = 300.0  # before scaling
    job_seconds: float = 60.0
    poll_interval: float = 3.0  # leadmover's default POLL_INTERVAL_SECONDS
    baseline_poll: float = 2.0  # Instantly's starter kit
    probe_rate: float = 2.0  # `/leads jobs` commands a second, in wall time
    drain_seconds: float = 600.0  # after the last job's scheduled end, how long to wait for final replies
    announcement_wait_seconds: float = 120.0  # once settled, for every announcement to show 100% (not scaled)
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


def start_leadmover(scenario: Scenario, f: Fakes, workdir: Path) -> tuple[Child, str]:
    settings = {
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
        # The moves here take no limit; the bench measures following them, not waiting for an approver.
        "LEADMOVER_APPROVALS": "false",
    }
    child, base_url = start_leadmover_process(settings, workdir)
    return child, f"{base_url}/slack/events"


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
    child = Child(args, env=base_env(), log_path=workdir / "baseline.log")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and '"started"' not in child.log():
        if not child.alive():
            raise RuntimeError(f"baseline exited early:\n{child.log()}")
        time.sleep(0.05)
    child.mark_ready()
    return child

"""The long-lived objects one process needs, built once from Settings and handed to the app and the loops."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

from bot.budget import RequestBudget
from bot.heartbeat import Heartbeat
from bot.instantly import InstantlyClient
from bot.moves import MoveService
from bot.pickers import PickerService
from bot.poller import Poller, default_owner
from bot.reporter import Reporter
from bot.settings import Settings
from bot.starts import StartQueue
from bot.writer import SlackWriter
from storage import jobs, migrate, outbox, workspaces
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    db: Database
    instantly: InstantlyClient
    slack: WebClient
    reporter: Reporter
    moves: MoveService
    pickers: PickerService
    poller: Poller
    writer: SlackWriter
    starts: StartQueue
    heartbeat: Heartbeat
    owner: str
    # Bolt runs what a listener does after its ack here, so shutdown can let that work finish.
    listener_executor: ThreadPoolExecutor

    def start_loops(self) -> None:
        self.heartbeat.start()
        self.writer.start()
        self.poller.start()

    def close(self, *, grace: float = 4.0) -> None:
        """Let listener work in flight finish (up to `grace` seconds), stop the loops, release every lease."""
        finishing = threading.Thread(target=self.listener_executor.shutdown, kwargs={"wait": True}, daemon=True)
        finishing.start()
        finishing.join(grace)
        if finishing.is_alive():
            log.warning("shutting down with listener work still running; its jobs will be recovered")
        self.starts.close(grace=grace)
        self.poller.stop()
        self.writer.stop()
        self.heartbeat.stop()
        try:
            released = jobs.release_leases(self.db, owner=self.owner) + outbox.release_leases(self.db, owner=self.owner)
            log.info("released %d leases", released)
        except Exception:
            log.exception("could not release leases at shutdown; they will expire")
        self.pickers.close()
        self.instantly.close()
        self.db.dispose()


def build_services(settings: Settings, *, db: Database | None = None, owner: str | None = None) -> Services:
    """Wire every service for one workspace. Callers check the settings their mode needs first."""
    settings.require("slack_bot_token", "instantly_api_key")
    assert settings.slack_bot_token is not None
    assert settings.instantly_api_key is not None
    owner = owner or default_owner()
    db = db or Database(settings.database_url)
    migrate.upgrade(db)
    instantly = InstantlyClient(
        api_key=settings.instantly_api_key.get_secret_value(),
        base_url=settings.instantly_api_url,
        timeout=settings.instantly_timeout_seconds,
        budget=RequestBudget(percent=settings.instantly_budget_percent),
    )
    # Rate limits are the writer's business (it paces and backs off); here only dropped connections are retried.
    slack = WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1)],
    )
    return wire_services(settings, db=db, slack=slack, instantly=instantly, owner=owner)


def wire_services(
    settings: Settings,
    *,
    db: Database,
    slack: WebClient,
    instantly: InstantlyClient,
    owner: str,
    listener_executor: ThreadPoolExecutor | None = None,
) -> Services:
    """Wire the services of one process around a migrated database and the clients of Slack and Instantly."""
    reporter = Reporter(slack=slack, db=db, history_spacing=60.0 / settings.slack_history_lookups_per_minute)
    writer = SlackWriter(db=db, reporter=reporter, owner=owner, lease_seconds=settings.lease_seconds)
    moves = MoveService(
        db=db,
        instantly=instantly,
        owner=owner,
        poll_interval=settings.poll_interval_seconds,
        follow_limit=timedelta(hours=settings.follow_limit_hours),
        start_lease_seconds=settings.instantly_timeout_seconds + 5,
        max_starting_per_user=settings.leadmover_moves_in_flight_per_user,
        notify=writer.wake,
    )
    poller = Poller(
        db=db,
        instantly=instantly,
        moves=moves,
        interval=settings.poll_interval_seconds,
        owner=owner,
        lease_seconds=settings.lease_seconds,
        retention=timedelta(days=settings.leadmover_retention_days),
    )
    return Services(
        settings=settings,
        db=db,
        instantly=instantly,
        slack=slack,
        reporter=reporter,
        moves=moves,
        pickers=PickerService(instantly=instantly, timeout=settings.picker_timeout_seconds),
        poller=poller,
        writer=writer,
        starts=StartQueue(moves=moves),
        heartbeat=Heartbeat(db=db, owner=owner, lease_seconds=settings.lease_seconds),
        owner=owner,
        listener_executor=listener_executor
        or ThreadPoolExecutor(max_workers=16, thread_name_prefix="leadmover-listener"),
    )


def check_slack_token(services: Services) -> str | None:
    """Ask Slack who we are; a working token lifts an earlier revocation. Returns the team id, if Slack answered."""
    try:
        team_id = str(services.slack.auth_test()["team_id"])
    except SlackApiError as exc:
        log.error("Slack refused the bot token at start-up: %s", exc.response.get("error") if exc.response else exc)
        return None
    if workspaces.mark_active(services.db, team_id=team_id):
        log.info("workspace %s: the Slack token works again; resuming its work", team_id)
        outbox.resume_team(services.db, team_id=team_id)
    return team_id

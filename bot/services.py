"""The long-lived objects one process needs, handed to the listeners and the loops (built by app.wiring)."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from slack_sdk import WebClient

from bot.access import AccessService
from bot.approvals import ApprovalService
from bot.audit_log import AuditLog
from bot.channel_settings import ChannelSettingsService
from bot.connections import ConnectionService
from bot.door import Door
from bot.heartbeat import Heartbeat
from bot.moved_leads import MovedLeadsService
from bot.moves import MoveService
from bot.poller import Poller
from bot.preview import PreviewService
from bot.schedules import ScheduleService
from bot.settings import Settings
from bot.slack.installations import SealedInstallationStore
from bot.slack.reporter import Reporter
from bot.slack.writer import SlackWriter
from bot.starts import StartQueue
from bot.tracking import TrackingService
from bot.undo import UndoService
from bot.watching import WatchService
from bot.workflow_steps import WorkflowSteps
from bot.workspaces import Workspaces
from storage import job_claims, outbox
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    db: Database
    # The app's own client: with SLACK_BOT_TOKEN it carries that token; installed by OAuth it carries none.
    slack: WebClient
    workspaces: Workspaces
    connections: ConnectionService
    access: AccessService
    approvals: ApprovalService
    audit: AuditLog
    channel_settings: ChannelSettingsService
    # Installed by OAuth: every workspace's Slack installation (None with SLACK_BOT_TOKEN).
    installations: SealedInstallationStore | None
    reporter: Reporter
    moves: MoveService
    # The one way a move is asked for: every listener and use case that starts one goes through it.
    door: Door
    # Runs of the "Move Instantly leads" workflow step: each asks the door, and the writer tells Slack how it ended.
    workflow_steps: WorkflowSteps
    # Moves that run by themselves on a recurrence (/leads schedule), and the loop that runs them.
    schedules: ScheduleService
    # Channels that hear of every Instantly job of their workspace (/leads watch), and the discovery loop.
    watching: WatchService
    poller: Poller
    writer: SlackWriter
    starts: StartQueue
    undo: UndoService
    moved_leads: MovedLeadsService
    preview: PreviewService
    tracking: TrackingService
    heartbeat: Heartbeat
    owner: str
    # Bolt runs what a listener does after its ack here, so shutdown can let that work finish.
    listener_executor: ThreadPoolExecutor

    def start_loops(self) -> None:
        self.heartbeat.start()
        self.writer.start()
        self.poller.start()
        self.schedules.start()
        self.watching.start()
        self.workflow_steps.start()

    def close(self, *, grace: float = 4.0) -> None:
        """Let listener work in flight finish (up to `grace` seconds), stop the loops, release every lease."""
        finishing = threading.Thread(target=self.listener_executor.shutdown, kwargs={"wait": True}, daemon=True)
        finishing.start()
        finishing.join(grace)
        if finishing.is_alive():
            log.warning("shutting down with listener work still running; its jobs will be recovered")
        self.starts.close(grace=grace)
        self.schedules.stop()
        self.watching.stop()
        self.workflow_steps.stop()
        self.poller.stop()
        self.writer.stop()
        self.heartbeat.stop()
        self.preview.close()
        self.door.close()
        try:
            released = job_claims.release_leases(self.db, owner=self.owner) + outbox.release_leases(
                self.db, owner=self.owner
            )
            log.info("released %d leases", released)
        except Exception:
            log.exception("could not release leases at shutdown; they will expire")
        self.workspaces.close()
        self.db.dispose()

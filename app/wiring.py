"""Wiring: every service of one process built once from Settings, for one workspace or for many installed by OAuth."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import logs, metrics
from bot.access import AccessService
from bot.approvals import ApprovalService
from bot.audit_log import AuditLog
from bot.channel_settings import ChannelSettingsService
from bot.connections import ConnectionService
from bot.door import Door
from bot.heartbeat import Heartbeat
from bot.instantly.budget import SHARES, Priority, SharedBudget, share_limits
from bot.instantly.client import InstantlyClient, instantly_client
from bot.instantly.schemas import is_terminal
from bot.moved_leads import MovedLeadsService
from bot.moves import MoveService
from bot.poller import Poller, default_owner
from bot.preview import PreviewService
from bot.schedules import ScheduleService
from bot.secrets import Sealer
from bot.services import Services
from bot.settings import Settings
from bot.slack.channel_members import ChannelMembers
from bot.slack.errors import slack_error
from bot.slack.installations import SealedInstallationStore, token_rotator
from bot.slack.notices import Notices
from bot.slack.posting_again import PostingAgainReporter
from bot.slack.reporter import Reporter
from bot.slack.step_ends import StepEnds
from bot.slack.writer import SlackWriter
from bot.starts import StartQueue
from bot.tracking import TrackingService
from bot.undo import UndoService
from bot.watching import WatchService
from bot.workflow_steps import WorkflowSteps
from bot.workspaces import Workspaces, budget_key_of_api_key, slack_client
from storage import migrate, outbox, workspaces
from storage.db import Database
from storage.records import JobRecord

log = logging.getLogger(__name__)


def _sealer(settings: Settings) -> Sealer | None:
    keys = settings.encryption_keys()
    return Sealer(keys) if keys else None


def build_services(settings: Settings, *, db: Database | None = None, owner: str | None = None) -> Services:
    """Wire every service: for one workspace (SLACK_BOT_TOKEN) or for every workspace installed by OAuth."""
    settings.require_credentials()
    owner = owner or default_owner()
    db = db or Database(settings.database_url)
    # With LEADMOVER_MIGRATION_DATABASE_URL the owner role migrates; the app then runs as DATABASE_URL's role.
    owner_url = settings.leadmover_migration_database_url
    migrate.upgrade(db, owner_url=owner_url.get_secret_value() if owner_url is not None else None)
    sealer = _sealer(settings)
    if settings.installs_by_oauth:
        if settings.instantly_api_key is not None:
            log.warning("INSTANTLY_API_KEY is ignored when installed by OAuth: each workspace connects its own key")
        assert sealer is not None
        assert settings.slack_client_id is not None
        assert settings.slack_client_secret is not None
        installations = SealedInstallationStore(
            db=db,
            sealer=sealer,
            rotator=token_rotator(
                client_id=settings.slack_client_id,
                client_secret=settings.slack_client_secret.get_secret_value(),
                api_url=settings.slack_api_url,
            ),
            refresh_before=timedelta(minutes=settings.slack_token_refresh_minutes),
        )
        return wire_services(
            settings,
            db=db,
            slack=slack_client(token=None, api_url=settings.slack_api_url),
            instantly=None,
            owner=owner,
            installations=installations,
            sealer=sealer,
        )
    assert settings.slack_bot_token is not None
    instantly = None
    if settings.instantly_api_key is not None:
        api_key = settings.instantly_api_key.get_secret_value()
        instantly = instantly_client(
            settings=settings,
            api_key=api_key,
            budget=SharedBudget(db=db, key=budget_key_of_api_key(api_key), percent=settings.instantly_budget_percent),
        )
    slack = slack_client(token=settings.slack_bot_token.get_secret_value(), api_url=settings.slack_api_url)
    return wire_services(settings, db=db, slack=slack, instantly=instantly, owner=owner, sealer=sealer)


def wire_services(
    settings: Settings,
    *,
    db: Database,
    slack: WebClient,
    instantly: InstantlyClient | None,
    owner: str,
    listener_executor: ThreadPoolExecutor | None = None,
    installations: SealedInstallationStore | None = None,
    sealer: Sealer | None = None,
) -> Services:
    """Wire the services of one process around a migrated database. With `installations`, each workspace's
    Slack token comes from its install; otherwise `slack` speaks for every workspace. `instantly`, if given, is the
    Instantly client of a workspace that connected no key of its own."""
    spaces = Workspaces(
        settings=settings,
        db=db,
        slack=None if installations is not None else slack,
        instantly=instantly,
        installations=installations,
        sealer=sealer,
    )
    metrics.count_per_workspace(settings.leadmover_metrics_per_workspace)
    # Without look-back, a write a crash left unknown is posted again, and no *:history scope is needed.
    reporting = Reporter if settings.leadmover_lookback else PostingAgainReporter
    reporter = reporting(slack=spaces.slack, db=db, history_spacing=60.0 / settings.slack_history_lookups_per_minute)
    step_ends = StepEnds(
        db=db,
        sealer=sealer,
        slack=spaces.slack,
        api_url=settings.slack_api_url,
        owner=owner,
        lease_seconds=settings.lease_seconds,
    )
    writer = SlackWriter(
        db=db, reporter=reporter, owner=owner, lease_seconds=settings.lease_seconds, step_ends=step_ends
    )
    moves = MoveService(
        db=db,
        instantly=spaces.instantly,
        owner=owner,
        poll_interval=settings.poll_interval_seconds,
        follow_limit=timedelta(hours=settings.follow_limit_hours),
        start_lease_seconds=settings.instantly_timeout_seconds + 5,
        max_starting_per_user=settings.leadmover_moves_in_flight_per_user,
        notify=writer.wake,
        ended=lambda record: _ended(record, preview=preview),
    )
    starts = StartQueue(
        moves=moves,
        db=db,
        owner=owner,
        lease_seconds=settings.instantly_timeout_seconds + 5,
        nominal_per_second=share_limits(settings.instantly_budget_percent)[0][1] * SHARES[Priority.QUEUED],
    )
    preview = PreviewService(
        instantly=spaces.instantly,
        timeout=settings.picker_timeout_seconds,
        count_cap=settings.leadmover_preview_count_cap,
    )
    access = AccessService(
        db=db,
        slack=spaces.slack,
        admins=settings.admin_ids(),
        allowed=settings.allowed_ids(),
        approvers=settings.approver_ids(),
        on_denied=lambda team_id, user_ids: approvals.cancel_pending_of(team_id, user_ids),
    )
    approvals = ApprovalService(
        db=db,
        access=access,
        starts=starts,
        owner=owner,
        enabled=settings.leadmover_approvals,
        threshold=settings.leadmover_approval_threshold,
        hours=settings.leadmover_approval_hours,
        channel_id=settings.leadmover_approvals_channel,
        lease_seconds=settings.instantly_timeout_seconds + 5,
        notify=writer.wake,
        release=lambda record: door.release(record),
    )
    door = Door(
        db=db, access=access, workspaces=spaces, preview=preview, approvals=approvals, moves=moves, starts=starts
    )
    poller = Poller(
        db=db,
        instantly=spaces.instantly,
        moves=moves,
        expire_approvals=approvals.expire_due,
        interval=settings.poll_interval_seconds,
        owner=owner,
        lease_seconds=settings.lease_seconds,
        retention=timedelta(days=settings.leadmover_retention_days),
    )
    return Services(
        settings=settings,
        db=db,
        slack=slack,
        workspaces=spaces,
        connections=ConnectionService(db=db, workspaces=spaces, settings=settings, notify=writer.wake),
        access=access,
        approvals=approvals,
        audit=AuditLog(db=db),
        channel_settings=ChannelSettingsService(db=db),
        installations=installations,
        reporter=reporter,
        moves=moves,
        poller=poller,
        writer=writer,
        starts=starts,
        undo=UndoService(db=db, access=access, door=door, instantly=spaces.instantly),
        moved_leads=MovedLeadsService(db=db, access=access, instantly=spaces.instantly),
        preview=preview,
        door=door,
        workflow_steps=WorkflowSteps(
            db=db,
            door=door,
            workspaces=spaces,
            notify=writer.wake,
            owner=owner,
            lease_seconds=settings.lease_seconds,
        ),
        schedules=ScheduleService(
            db=db,
            door=door,
            access=access,
            approvals=approvals,
            notices=Notices(slack=spaces.slack),
            owner=owner,
            grace=timedelta(minutes=settings.leadmover_schedule_grace_minutes),
            lease_seconds=settings.lease_seconds,
        ),
        watching=WatchService(
            db=db,
            access=access,
            workspaces=spaces,
            instantly=spaces.instantly,
            moves=moves,
            owner=owner,
            every=timedelta(seconds=settings.leadmover_watch_seconds),
            follow_limit=timedelta(hours=settings.follow_limit_hours),
            poll_interval=settings.poll_interval_seconds,
            lease_seconds=settings.lease_seconds,
            notify=writer.wake,
        ),
        tracking=TrackingService(
            db=db,
            access=access,
            members=ChannelMembers(slack=spaces.slack),
            instantly=spaces.instantly,
            moves=moves,
            poll_interval=settings.poll_interval_seconds,
            notify=writer.wake,
        ),
        heartbeat=Heartbeat(db=db, owner=owner, lease_seconds=settings.lease_seconds),
        owner=owner,
        listener_executor=listener_executor
        or logs.CarryingExecutor(max_workers=16, thread_name_prefix="leadmover-listener"),
    )


def _ended(record: JobRecord, *, preview: PreviewService) -> None:
    preview.forget_counts(record)
    if not record.tracked:  # a job followed with /leads track is not a move leadmover made
        status = record.status or ""
        metrics.ended_move(outcome=status if is_terminal(status) else "lost", via=record.via)


def check_slack_token(services: Services) -> str | None:
    """Ask Slack who we are; a working token lifts an earlier revocation. Returns the team id, if Slack answered.

    Installed by OAuth there is no one token to ask about: each workspace's install speaks for itself."""
    if services.installations is not None:
        return None
    try:
        team_id = str(services.slack.auth_test()["team_id"])
    except SlackApiError as exc:
        log.error("Slack refused the bot token at start-up: %s", slack_error(exc))
        return None
    resume_workspace(services, team_id=team_id)
    return team_id


def resume_workspace(services: Services, *, team_id: str) -> None:
    """Slack took the workspace's token: if its work was paused by a revocation, it resumes."""
    if workspaces.mark_active(services.db, team_id=team_id):
        log.info("workspace %s: the Slack token works again; resuming its work", team_id)
        outbox.resume_team(services.db, team_id=team_id)

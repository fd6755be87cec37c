"""Test data made one way for every test module: orders, job records, jobs written to a real database, the services
of one process over stand-ins, and the readers of what the code under test wrote (a job, its outbox rows)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from app.wiring import wire_services
from bot.instantly.client import InstantlyClient
from bot.services import Services
from bot.settings import Settings
from storage import approvals, jobs, outbox, submissions
from storage.clock import utcnow
from storage.db import Database
from storage.models import NotificationKind, NotificationRow, Phase
from storage.orders import Endpoint, EndpointKind, LeadFilters, MoveMode, MoveOptions, MoveOrder
from storage.records import JobRecord
from tests.bolt_requests import ListenerWork

WHEN = datetime(2026, 11, 26, 9, 30)
ClientT = TypeVar("ClientT")


def campaign(campaign_id: str = "c-1", name: str = "Acme Q1") -> Endpoint:
    return Endpoint(kind=EndpointKind.CAMPAIGN, id=campaign_id, name=name)


def lead_list(list_id: str = "l-2", name: str = "Acme warm") -> Endpoint:
    return Endpoint(kind=EndpointKind.LIST, id=list_id, name=name)


def an_order(
    *,
    source: Endpoint | None = None,
    destination: Endpoint | None = None,
    copy: bool = False,
    limit: int | None = None,
    filters: LeadFilters | None = None,
    options: MoveOptions | None = None,
) -> MoveOrder:
    """A move from a campaign to a list unless told otherwise."""
    return MoveOrder(
        source=source or campaign(),
        destination=destination or lead_list(),
        mode=MoveMode.COPY if copy else MoveMode.MOVE,
        limit=limit,
        filters=filters or LeadFilters(),
        options=options or MoveOptions(),
    )


def a_record(**changes: Any) -> JobRecord:
    """A running job as a plain value, never stored: for pure code such as the message builders."""
    record = JobRecord(
        id=7,
        team_id="T1",
        channel_id="C1",
        user_id="U1",
        order=an_order(),
        phase=Phase.RUNNING,
        instantly_job_id="a" * 24,
        status="in-progress",
        progress=40,
        moved_leads=None,
        error=None,
        start_attempted_at=None,
        announcement_channel="C1",
        announcement_ts="1.1",
        final_reply_ts=None,
        next_poll_at=WHEN,
        created_at=WHEN,
        updated_at=WHEN,
        finished_at=None,
    )
    return replace(record, **changes)


def requested_job(
    db: Database,
    *,
    order: MoveOrder | None = None,
    team: str = "T1",
    channel: str = "C1",
    user: str = "U1",
    owner: str = "web-1",
    lease_seconds: float = 30.0,
) -> JobRecord:
    """A move written down before Instantly heard of it, leased to `owner`."""
    return submissions.record_request(
        db,
        team_id=team,
        channel_id=channel,
        user_id=user,
        order=order or an_order(),
        owner=owner,
        lease_seconds=lease_seconds,
    )


def submitted_job(
    db: Database,
    key: str,
    *,
    team: str = "T1",
    user: str = "U1",
    order: MoveOrder | None = None,
    max_starting: int | None = None,
    approval: approvals.ApprovalRequest | None = None,
) -> submissions.Submitted | None:
    """A move submitted from the modal under `key`, as the submission listener records it."""
    return submissions.record_submitted(
        db,
        submission_key=key,
        team_id=team,
        channel_id="C1",
        user_id=user,
        order=order or an_order(),
        owner="web-1",
        lease_seconds=30,
        max_starting=max_starting,
        approval=approval,
    )


def awaiting_job(
    db: Database,
    key: str = "k-1",
    *,
    team: str = "T1",
    user: str = "U1",
    approvers: str = "CAPPROVE",
    expires_at: datetime | None = None,
    filters: LeadFilters | None = None,
) -> JobRecord:
    """A big move submitted from the modal under `key`, waiting for an approver in the channel `approvers`."""
    request = approvals.ApprovalRequest(channel_id=approvers, expires_at=expires_at or utcnow() + timedelta(hours=1))
    submitted = submitted_job(db, key, team=team, user=user, order=an_order(filters=filters), approval=request)
    assert submitted is not None
    return submitted.record


def running_job(db: Database, instantly_id: str, *, status: str = "pending", **requested: Any) -> JobRecord:
    """A move Instantly started as job `instantly_id`, due for its first poll now."""
    record = requested_job(db, **requested)
    return jobs.attach_job(
        db, job_id=record.id, instantly_job_id=instantly_id, status=status, progress=0, next_poll_at=utcnow()
    )


# --- what the code under test wrote ---------------------------------------------------------------------------


def stored_job(db: Database, job_id: int) -> JobRecord:
    """The job as it is stored now."""
    record = jobs.get(db, job_id=job_id)
    assert record is not None, f"no job {job_id}"
    return record


def outbox_rows(
    db: Database, *, job_id: int | None = None, team: str | None = None, kind: NotificationKind | None = None
) -> list[NotificationRow]:
    """The outbox's rows in the order they were queued, of one job, workspace or kind when given; the rows stay
    readable after the read-only transaction ends, so a test can see every column (lease, error, not_before)."""
    query = select(NotificationRow).order_by(NotificationRow.id)
    if job_id is not None:
        query = query.where(NotificationRow.job_id == job_id)
    if team is not None:
        query = query.where(NotificationRow.team_id == team)
    if kind is not None:
        query = query.where(NotificationRow.kind == kind)
    with db.reading() as session:
        rows = list(session.scalars(query))
        session.expunge_all()
        return rows


def outbox_notifications(
    db: Database, *, job_id: int | None = None, team: str | None = None, kind: NotificationKind | None = None
) -> list[outbox.Notification]:
    """The same rows as the plain values the writer hands to the reporter."""
    return [outbox.as_notification(row) for row in outbox_rows(db, job_id=job_id, team=team, kind=kind)]


def newest_outbox_row(db: Database, job_id: int, kind: NotificationKind) -> NotificationRow:
    """The job's newest outbox row of this kind."""
    rows = outbox_rows(db, job_id=job_id, kind=kind)
    assert rows, f"no {kind} row for job {job_id}"
    return rows[-1]


def newest_notification(db: Database, job_id: int, kind: NotificationKind) -> outbox.Notification:
    """The job's newest outbox row of this kind, as the writer would hand it over."""
    return outbox.as_notification(newest_outbox_row(db, job_id, kind))


# --- the services of one process, over stand-ins ----------------------------------------------------------------

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def a_settings(db: Database, **changes: Any) -> Settings:
    """Settings with every value given, so neither the environment nor a .env file can change a test."""
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-stand-in",
        "slack_signing_secret": SIGNING_SECRET,
        "slack_app_token": None,
        "slack_api_url": "http://stand-in.invalid/api/",
        "instantly_api_key": "test-key",
        "instantly_api_url": "https://instantly.invalid/api/v2",
        "instantly_timeout_seconds": 2.0,
        "instantly_budget_percent": 100.0,
        "database_url": db.url,
        "log_level": "INFO",
        "poll_interval_seconds": 3.0,
        "picker_timeout_seconds": 1.0,
        "lease_seconds": 30.0,
        "follow_limit_hours": 24.0,
        # Most tests are about following moves; the approval tests switch approvals on.
        "leadmover_approvals": False,
    }
    return Settings(_env_file=None, **{**values, **changes})


def a_services(
    db: Database,
    *,
    slack: WebClient,
    instantly: InstantlyClient,
    settings: Settings,
    owner: str = "web-1",
    listener_executor: ThreadPoolExecutor | None = None,
) -> Services:
    """The services build_services would make, over the given database, Slack client and Instantly client."""
    services = wire_services(
        settings,
        db=db,
        slack=slack,
        instantly=instantly,
        owner=owner,
        listener_executor=listener_executor or ThreadPoolExecutor(max_workers=4, thread_name_prefix="test-listener"),
    )
    if isinstance(listener_executor, ListenerWork):  # waiting for the listeners waits for the moves they queue
        listener_executor.also_wait_for(services.starts.wait_idle)
    return services


def for_every_team(client: ClientT) -> Callable[[str], ClientT]:
    """One client that serves every workspace, as in single-workspace mode."""
    return lambda _team_id: client


def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The URL of a SQLite file in `tmp_path`, the only setting the command line gets: it runs there, where no .env
    file can feed the settings, with the tokens and keys of the environment unset."""
    monkeypatch.chdir(tmp_path)
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
        "INSTANTLY_API_KEY",
        "LEADMOVER_MIGRATION_DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url

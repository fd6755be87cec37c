"""The process's services: built from Settings, a working Slack token resumes a paused workspace, close lets go."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.wiring import build_services, check_slack_token
from bot.services import Services
from bot.settings import MissingSettingError
from storage import job_claims, jobs, outbox, outbox_claims, workspaces
from storage.db import Database
from storage.models import JobRow
from tests.factories import a_services, a_settings, requested_job, running_job
from tests.stand_ins import SlackStandIn, instantly_client

OWNER = "web-1"


@pytest.fixture
def slack() -> SlackStandIn:
    return SlackStandIn(team_id="T1")


@pytest.fixture
def services(sqlite_db: Database, slack: SlackStandIn) -> Iterator[Services]:
    def instantly(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"items": [], "next_starting_after": None})

    built = a_services(
        sqlite_db, slack=slack, instantly=instantly_client(instantly), settings=a_settings(sqlite_db), owner=OWNER
    )
    yield built
    built.close(grace=1.0)


# --- build_services ------------------------------------------------------------------------------------------------


def test_build_services_wires_one_workspace_from_the_settings_over_a_migrated_database(
    sqlite_db: Database, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    settings = a_settings(
        sqlite_db, database_url=url, slack_bot_token="xoxb-built", slack_api_url="http://slack.invalid/api"
    )
    services = build_services(settings, owner="web-9")
    try:
        assert services.settings is settings
        assert services.db.url == url
        assert jobs.recent(services.db) == []  # the schema is there
        assert services.slack.token == "xoxb-built"
        assert services.slack.base_url == "http://slack.invalid/api/"
        assert (services.owner, services.poller.owner) == ("web-9", "web-9")
        record = requested_job(services.db, owner="web-9")
        assert services.moves.find_job(team_id="T1", reference=str(record.id)) == record
    finally:
        services.close(grace=1.0)


def test_build_services_names_every_missing_credential(sqlite_db: Database) -> None:
    settings = a_settings(sqlite_db, slack_bot_token=None, instantly_api_key=None)
    with pytest.raises(MissingSettingError) as caught:
        build_services(settings)
    assert caught.value.names == ("SLACK_BOT_TOKEN", "INSTANTLY_API_KEY")


def test_each_process_gets_its_own_lease_owner_unless_told(sqlite_db: Database) -> None:
    settings = a_settings(sqlite_db)
    first, second = build_services(settings, db=sqlite_db), build_services(settings, db=sqlite_db)
    try:
        assert first.owner
        assert first.owner != second.owner
    finally:
        first.close(grace=1.0)
        second.close(grace=1.0)


# --- check_slack_token ---------------------------------------------------------------------------------------------


def _held_announcement(db: Database) -> int:
    """A job whose announcement waits in the outbox, held back for ten minutes as a revoked token leaves it."""
    running_job(db, "a" * 24, team="T1", channel="C1")
    [notification] = outbox_claims.claim_due(db, owner="writer", lease_seconds=30)
    outbox.defer(db, notification_id=notification.id, delay=600)
    return notification.id


def test_a_working_token_marks_a_revoked_workspace_active_and_resumes_its_outbox(
    services: Services, slack: SlackStandIn, sqlite_db: Database
) -> None:
    _held_announcement(sqlite_db)
    workspaces.mark_revoked(sqlite_db, team_id="T1", reason="token_revoked")
    assert services.writer.drain() == 0

    assert check_slack_token(services) == "T1"

    assert workspaces.revoked_teams(sqlite_db) == set()
    assert services.writer.drain() == 1
    [posted] = slack.posted["C1"]
    assert "Job #1" in str(posted["blocks"])


def test_a_refused_token_leaves_the_workspace_paused(
    services: Services, slack: SlackStandIn, sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    _held_announcement(sqlite_db)
    workspaces.mark_revoked(sqlite_db, team_id="T1", reason="token_revoked")
    slack.fail("auth.test", "invalid_auth")
    with caplog.at_level(logging.ERROR):
        assert check_slack_token(services) is None
    assert workspaces.revoked_teams(sqlite_db) == {"T1"}
    assert outbox_claims.claim_due(sqlite_db, owner="writer", lease_seconds=30) == []
    assert any("invalid_auth" in r.getMessage() for r in caplog.records)


def test_a_working_token_of_a_workspace_never_paused_leaves_its_outbox_as_it_was(
    services: Services, sqlite_db: Database
) -> None:
    _held_announcement(sqlite_db)  # held back for another reason, e.g. Slack's rate limit
    assert check_slack_token(services) == "T1"
    assert workspaces.revoked_teams(sqlite_db) == set()
    assert outbox_claims.claim_due(sqlite_db, owner="writer", lease_seconds=30) == []


# --- close ---------------------------------------------------------------------------------------------------------


def test_close_releases_the_leases_this_process_holds(services: Services, sqlite_db: Database) -> None:
    running = running_job(sqlite_db, "b" * 24)
    starting = requested_job(sqlite_db, owner=OWNER)
    assert [r.id for r in job_claims.claim_due(sqlite_db, owner=OWNER, lease_seconds=60)] == [running.id]
    [announcement] = outbox_claims.claim_due(sqlite_db, owner=OWNER, lease_seconds=60)
    assert job_claims.claim_due(sqlite_db, owner="web-2", lease_seconds=60) == []
    assert outbox_claims.claim_due(sqlite_db, owner="web-2", lease_seconds=60) == []

    services.close(grace=1.0)

    assert [r.id for r in job_claims.claim_due(sqlite_db, owner="web-2", lease_seconds=60)] == [running.id]
    assert [n.id for n in outbox_claims.claim_due(sqlite_db, owner="web-2", lease_seconds=60)] == [announcement.id]
    # A move still being started keeps its lease: freeing it could send it to Instantly a second time.
    assert job_claims.claim_orphans(sqlite_db, owner="web-2", lease_seconds=60) == []
    with sqlite_db.reading() as session:
        row = session.get(JobRow, starting.id)
        assert row is not None
        assert row.lease_owner == OWNER


def test_close_lets_listener_work_in_flight_finish(services: Services) -> None:
    finished = threading.Event()

    def listener_work() -> None:
        time.sleep(0.2)
        finished.set()

    services.listener_executor.submit(listener_work)
    services.close(grace=2.0)
    assert finished.is_set()


def test_close_stops_waiting_for_listener_work_after_the_grace_period_and_still_releases_leases(
    services: Services, sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    running = running_job(sqlite_db, "c" * 24)
    job_claims.claim_due(sqlite_db, owner=OWNER, lease_seconds=60)
    stuck = threading.Event()
    services.listener_executor.submit(stuck.wait, 5.0)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        services.close(grace=0.2)
    stuck.set()
    assert time.monotonic() - started < 1.5
    assert any("listener work still running" in r.getMessage() for r in caplog.records)
    assert [r.id for r in job_claims.claim_due(sqlite_db, owner="web-2", lease_seconds=60)] == [running.id]


def test_close_stops_the_poller_and_the_writer(services: Services) -> None:
    services.start_loops()
    names = {"leadmover-poller", "leadmover-writer"}
    assert names <= {t.name for t in threading.enumerate()}
    services.close(grace=1.0)
    assert not names & {t.name for t in threading.enumerate() if t.is_alive()}

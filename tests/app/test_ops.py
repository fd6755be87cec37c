"""/healthz, /readyz and /metrics of a real process's services over a real SQLite file: readiness per check, and
the metrics, with the database's figures the same from every replica."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text, update

from app.ops import HealthServer, Operations, operations
from bot import metrics, scrape
from bot.health import Readiness
from bot.services import Services
from storage import outbox, outbox_claims
from storage.clock import utcnow
from storage.db import Database
from storage.models import NotificationRow
from tests.factories import requested_job, running_job

NAMES = {
    "leadmover_moves",
    "leadmover_jobs_in_flight",
    "leadmover_instantly_requests",
    "leadmover_instantly_request_seconds",
    "leadmover_instantly_budget_wait_seconds",
    "leadmover_slack_calls",
    "leadmover_outbox_due",
    "leadmover_outbox_oldest_due_seconds",
    "leadmover_poll_lag_seconds",
    "leadmover_ack_seconds",
    "leadmover_approvals_waiting",
}


@pytest.fixture
def ops(services: Services) -> Operations:
    return operations(services.settings, services, slack_token_ok=True)


@pytest.fixture
def health(ops: Operations) -> Iterator[HealthServer]:
    server = HealthServer(ops, host="127.0.0.1", port=0).start()
    yield server
    server.stop()


def _ready_when_running(services: Services, health: HealthServer) -> httpx.Response:
    services.start_loops()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        answer = httpx.get(f"{health.url}/readyz", timeout=5)
        if answer.status_code == 200:
            return answer
        time.sleep(0.05)
    raise AssertionError(answer.text)


def test_healthz_is_alive_and_readyz_is_ready_once_every_check_passes(services: Services, health: HealthServer) -> None:
    assert httpx.get(f"{health.url}/healthz", timeout=5).json() == {"ok": True}
    before = httpx.get(f"{health.url}/readyz", timeout=5)
    assert before.status_code == 503  # no heartbeat and no poll round yet
    assert before.json()["checks"]["poller"] == {"ok": False, "detail": "no round has ended yet"}

    ready = _ready_when_running(services, health).json()

    assert ready["ready"] is True
    assert {name: check["ok"] for name, check in ready["checks"].items()} == {
        "database": True,
        "heartbeat": True,
        "poller": True,
        "outbox": True,
        "slack": True,
    }


def test_a_slack_write_waiting_past_the_limit_makes_the_process_not_ready(
    services: Services, health: HealthServer, sqlite_db: Database
) -> None:
    _ready_when_running(services, health)
    services.writer.stop()  # a writer that no longer drains: its oldest write grows old
    running_job(sqlite_db, "a" * 24, team="T1", channel="C1")
    with sqlite_db.session() as session:
        session.execute(update(NotificationRow).values(not_before=utcnow() - timedelta(seconds=301)))

    answer = httpx.get(f"{health.url}/readyz", timeout=5)

    assert answer.status_code == 503
    assert answer.json()["ready"] is False
    outbox_check = answer.json()["checks"]["outbox"]
    assert outbox_check["ok"] is False
    assert "30" in outbox_check["detail"]


def test_a_schema_behind_a_stale_heartbeat_a_stuck_poller_and_a_refused_token_each_fail_their_check(
    services: Services, sqlite_db: Database
) -> None:
    now = [1000.0]
    services.heartbeat.beat()
    services.poller.last_round_ended = 0.0
    readiness = Readiness(
        db=sqlite_db,
        heartbeat=services.heartbeat,
        poller=services.poller,
        outbox_seconds=300,
        slack_token_ok=False,
        clock=lambda: now[0],
    )
    now[0] = (services.heartbeat.last_beat or 0.0) + 1
    with sqlite_db.session() as session:
        session.execute(text("UPDATE alembic_version SET version_num = '0014'"))

    failed = {check.name: check.detail for check in readiness.checks() if not check.ok}

    assert set(failed) == {"database", "poller", "slack"}
    assert "run migrate" in failed["database"]
    now[0] += 10
    assert "heartbeat" in {check.name for check in readiness.checks() if not check.ok}


def test_metrics_are_in_prometheus_text_with_every_figure_named(
    services: Services, health: HealthServer, sqlite_db: Database
) -> None:
    _ready_when_running(services, health)
    running_job(sqlite_db, "b" * 24)
    answer = httpx.get(f"{health.url}/metrics", timeout=5)

    assert answer.headers["content-type"].startswith("text/plain")
    families = {family.name: family for family in text_string_to_metric_families(answer.text)}
    assert families.keys() >= NAMES
    in_flight = {s.labels["phase"]: s.value for s in families["leadmover_jobs_in_flight"].samples}
    assert in_flight["running"] == 1
    for family in families.values():
        for sample in family.samples:
            assert metrics.TEAM not in sample.labels


def _gauges(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    figures = {}
    for family in registry.collect():
        if family.type == "gauge":
            for sample in family.samples:
                figures[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return figures


def test_every_replica_reports_the_same_figures_from_the_database(sqlite_db: Database) -> None:
    requested_job(sqlite_db)
    running_job(sqlite_db, "c" * 24, team="T2")
    other = Database(sqlite_db.url)  # another process's own engine on the same database
    try:
        scraped_at = utcnow()  # ages are read at scrape time: two scrapes at one moment
        one, two = CollectorRegistry(), CollectorRegistry()
        one.register(scrape.DatabaseFigures(db=sqlite_db, per_workspace=False, clock=lambda: scraped_at))
        two.register(scrape.DatabaseFigures(db=other, per_workspace=False, clock=lambda: scraped_at))
        assert _gauges(one) == _gauges(two)
        assert _gauges(one)[("leadmover_outbox_due", (("kind", "announce"),))] == 1
    finally:
        other.dispose()


def test_per_workspace_metrics_carry_team_id_and_others_do_not(sqlite_db: Database) -> None:
    running_job(sqlite_db, "d" * 24, team="T7")
    from bot import logs

    metrics.count_per_workspace(True)
    try:
        logs.bind(team_id="T7")
        metrics.slack_call(method="chat.postMessage", result="ok")
    finally:
        metrics.count_per_workspace(False)
        logs.bind()
    per_team = scrape.registry(db=sqlite_db, per_workspace=True)
    overall = scrape.registry(db=sqlite_db, per_workspace=False)

    calls = [s for f in per_team.collect() if f.name == "leadmover_slack_calls" for s in f.samples]
    assert any(s.labels.get("team_id") == "T7" for s in calls)
    in_flight = [s for f in per_team.collect() if f.name == "leadmover_jobs_in_flight" for s in f.samples]
    assert [(s.labels, s.value) for s in in_flight] == [({"phase": "running", "team_id": "T7"}, 1.0)]
    for family in overall.collect():
        for sample in family.samples:
            assert "team_id" not in sample.labels


def test_writes_due_later_do_not_count_as_due(sqlite_db: Database) -> None:
    running_job(sqlite_db, "e" * 24)
    [row] = outbox_claims.claim_due(sqlite_db, owner="w", lease_seconds=30)
    outbox.defer(sqlite_db, notification_id=row.id, delay=600)
    figures = _gauges(scrape.registry(db=sqlite_db, per_workspace=False))
    assert ("leadmover_outbox_due", (("kind", "announce"),)) not in figures
    assert figures[("leadmover_outbox_oldest_due_seconds", ())] == 0

"""Watching across processes: two replicas give one announcement per job, a kill during discovery loses nothing and
repeats nothing, and jobs created while every process was down are announced when discovery resumes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.local_stack import seed
from simulators.instantly import FakeInstantly
from simulators.slack import FakeSlack
from storage import migrate, watches
from storage.db import Database
from tests.databases import postgres_schema_url
from tests.e2e.processes import AppProcess, app_env

CHANNEL = "C0JOBS"
LIST = "/api/v2/background-jobs"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from postgres_schema_url()


@pytest.fixture
def fakes() -> Iterator[tuple[FakeSlack, FakeInstantly]]:
    with FakeSlack() as slack, FakeInstantly() as instantly:
        seed(instantly)
        slack.add_user("U0ADMIN", is_admin=True)
        yield slack, instantly


def _env(slack: FakeSlack, instantly: FakeInstantly, database_url: str) -> dict[str, str]:
    return app_env(
        slack=slack,
        instantly=instantly,
        database_url=database_url,
        lease_seconds="1.5",
        leadmover_watch_seconds="1",
    )


def _watched(database_url: str, team_id: str) -> None:
    db = Database(database_url)
    migrate.upgrade(db)
    watches.watch(db, team_id=team_id, channel_id=CHANNEL, job_types=(), by="U0ADMIN")


def _start(instantly: FakeInstantly, count: int) -> None:
    for _ in range(count):
        instantly.default_workspace.start_elsewhere("import-leads", ended=True)


def _announced(slack: FakeSlack) -> int:
    """How many times jobs are named in the channel's messages (jobs found together share one, naming them all)."""
    payloads = [(message.metadata or {}).get("event_payload") or {} for message in slack.messages(CHANNEL)]
    return sum(len(str(p.get("job_ids") or p.get("job_id") or "").split(",")) for p in payloads)


def _listings(instantly: FakeInstantly) -> int:
    return len([r for r in instantly.requests if r.path == LIST and "sort_column" in r.query])


def test_two_replicas_give_one_announcement_per_job(
    fakes: tuple[FakeSlack, FakeInstantly], postgres_url: str, tmp_path: Path
) -> None:
    slack, instantly = fakes
    _watched(postgres_url, slack.team_id)
    env = _env(slack, instantly, postgres_url)
    with (
        AppProcess(env=env, log_path=tmp_path / "one.log") as one,
        AppProcess(env=env, log_path=tmp_path / "two.log") as two,
    ):
        one.wait_healthy()
        two.wait_healthy()
        time.sleep(1.5)  # both have watched a round go by: what starts now is new to both
        _start(instantly, 4)
        assert slack.wait_for(lambda: _announced(slack) == 4, timeout=30), one.log() + two.log()
        time.sleep(2)  # a duplicate would show up by now (rounds are 1 s apart)
        assert _announced(slack) == 4
    assert slack.violations == []
    assert instantly.violations == []


def test_a_kill_during_discovery_loses_and_repeats_nothing(
    fakes: tuple[FakeSlack, FakeInstantly], tmp_path: Path
) -> None:
    slack, instantly = fakes
    database_url = f"sqlite:///{tmp_path / 'watch.db'}"
    _watched(database_url, slack.team_id)
    env = _env(slack, instantly, database_url)
    with AppProcess(env=env, log_path=tmp_path / "first.log") as first:
        first.wait_healthy()
        time.sleep(1.5)
        _start(instantly, 3)
        before = _listings(instantly)
        instantly.delay[LIST] = 5.0
        assert slack.wait_for(lambda: _listings(instantly) > before, timeout=10), first.log()
        first.kill()
    instantly.delay.pop(LIST)
    with AppProcess(env=env, log_path=tmp_path / "second.log") as second:
        second.wait_healthy()
        assert slack.wait_for(lambda: _announced(slack) == 3, timeout=30), second.log()
        time.sleep(1.5)
        assert _announced(slack) == 3
    assert slack.violations == []


def test_jobs_created_while_the_app_was_down_are_announced_when_it_is_back(
    fakes: tuple[FakeSlack, FakeInstantly], tmp_path: Path
) -> None:
    slack, instantly = fakes
    database_url = f"sqlite:///{tmp_path / 'watch.db'}"
    _watched(database_url, slack.team_id)
    env = _env(slack, instantly, database_url)
    with AppProcess(env=env, log_path=tmp_path / "first.log") as first:
        first.wait_healthy()
        _start(instantly, 1)
        assert slack.wait_for(lambda: _announced(slack) == 1, timeout=20), first.log()
    _start(instantly, 2)  # while no process runs
    with AppProcess(env=env, log_path=tmp_path / "second.log") as second:
        second.wait_healthy()
        assert slack.wait_for(lambda: _announced(slack) == 3, timeout=30), second.log()
        time.sleep(1.5)
        assert _announced(slack) == 3
    assert slack.violations == []

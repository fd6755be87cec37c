"""Several leadmover processes on one PostgreSQL database share the work: every job followed, every message once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.local_stack import seed
from handlers import ids
from simulators.instantly import FakeInstantly
from simulators.slack import FakeSlack, Message
from storage import migrate
from storage.db import Database
from tests.databases import postgres_schema_url
from tests.e2e.flows import submit_move
from tests.e2e.processes import AppProcess, app_env

CHANNEL = "C0SALES"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from postgres_schema_url()


def _start_move(slack: FakeSlack, app: AppProcess, *, user: str) -> None:
    before = len(slack.opened_views())
    slack.send_command(app.app_url, text="move", channel_id=CHANNEL, user_id=user)
    assert slack.wait_for(lambda: len(slack.opened_views()) > before, timeout=5)
    view = slack.opened_views()[-1]

    def option(action_id: str, query: str) -> dict[str, object]:
        answer = slack.load_options(app.app_url, view_id=view["id"], action_id=action_id, value=query).json()
        return dict(answer["option_groups"][0]["options"][0])

    values = {ids.SOURCE: option(ids.SOURCE, "globex"), ids.DESTINATION: option(ids.DESTINATION, "trade")}
    assert submit_move(slack, app.app_url, view_id=view["id"], values=values, user_id=user).status == 200


def _threads(slack: FakeSlack) -> dict[str, list[Message]]:
    return {m.ts: slack.replies(CHANNEL, m.ts) for m in slack.messages(CHANNEL)}


def _each_job_once(slack: FakeSlack, instantly: FakeInstantly, jobs: int) -> None:
    threads = _threads(slack)
    assert len(threads) == jobs, f"{len(threads)} announcements for {jobs} jobs"
    assert all(len(replies) == 1 for replies in threads.values()), {ts: len(r) for ts, r in threads.items()}
    assert len(instantly.move_bodies()) == jobs
    job_ids = {m.metadata["event_payload"]["instantly_job_id"] for m in slack.messages(CHANNEL) if m.metadata}
    assert len(job_ids) == jobs
    assert slack.violations == []
    assert instantly.violations == []


def test_two_replicas_share_the_jobs_and_post_each_message_once(postgres_url: str, tmp_path: Path) -> None:
    migrate.upgrade(Database(postgres_url))
    with FakeSlack() as slack, FakeInstantly(progress_steps=tuple(range(5, 100, 5))) as instantly:
        seed(instantly)
        env = app_env(slack=slack, instantly=instantly, database_url=postgres_url, lease_seconds="2")
        with (
            AppProcess(env=env, log_path=tmp_path / "a.log") as a,
            AppProcess(env=env, log_path=tmp_path / "b.log") as b,
        ):
            a.wait_healthy()
            b.wait_healthy()
            for number in range(6):
                _start_move(slack, (a, b)[number % 2], user=f"U0USER{number}")
            assert slack.wait_for(lambda: sum(len(r) for r in _threads(slack).values()) >= 6, timeout=60), a.log()
            slack.wait_for(lambda: False, timeout=1.0)  # time for a duplicate to show, if there were one
        _each_job_once(slack, instantly, 6)


def test_a_dead_replicas_jobs_are_taken_over(postgres_url: str, tmp_path: Path) -> None:
    migrate.upgrade(Database(postgres_url))
    with FakeSlack() as slack, FakeInstantly(progress_steps=tuple(range(2, 100, 2))) as instantly:
        seed(instantly)
        env = app_env(slack=slack, instantly=instantly, database_url=postgres_url, lease_seconds="1.5")
        with AppProcess(env=env, log_path=tmp_path / "doomed.log") as doomed:
            doomed.wait_healthy()
            for number in range(4):
                _start_move(slack, doomed, user=f"U0USER{number}")
            assert slack.wait_for(lambda: len(slack.messages(CHANNEL)) == 4, timeout=20), doomed.log()
            doomed.kill()
        assert sum(len(r) for r in _threads(slack).values()) < 4, "the jobs ended before the replica died"
        with AppProcess(env=env, log_path=tmp_path / "survivor.log", command="poll") as survivor:
            assert slack.wait_for(lambda: sum(len(r) for r in _threads(slack).values()) >= 4, timeout=60), (
                survivor.log()
            )
            slack.wait_for(lambda: False, timeout=1.0)
        _each_job_once(slack, instantly, 4)

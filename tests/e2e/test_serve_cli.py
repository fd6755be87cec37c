"""`leadmover serve --http` as a real process: /healthz, signed commands, graceful SIGTERM."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.local_stack import seed
from handlers import ids
from simulators.instantly import FakeInstantly
from simulators.slack import FakeSlack
from storage.db import Database
from storage.models import JobRow, Phase
from tests.e2e.flows import on_top, submit_move
from tests.e2e.processes import AppProcess, app_env


@pytest.fixture
def fakes() -> Iterator[tuple[FakeSlack, FakeInstantly]]:
    with FakeSlack() as slack, FakeInstantly() as instantly:
        yield slack, instantly


def test_serve_http_answers_health_and_signed_commands_only(
    fakes: tuple[FakeSlack, FakeInstantly], tmp_path: Path
) -> None:
    slack, instantly = fakes
    env = app_env(
        slack=slack, instantly=instantly, database_url=f"sqlite:///{tmp_path / 'serve.db'}", log_level="DEBUG"
    )
    with AppProcess(env=env, log_path=tmp_path / "serve.log") as app:
        app.wait_healthy()
        assert slack.send_command(app.app_url, text="move").status == 200
        assert slack.wait_for(lambda: len(slack.opened_views()) == 1, timeout=5)
        assert httpx.post(app.app_url, content="command=%2Fleads&text=jobs", timeout=5).status_code == 401
        missing = httpx.get(app.app_url.replace("/slack/events", "/nope"), timeout=5)
        assert missing.status_code == 404
        # Served by waitress (a production WSGI server), not the development server that ships with Bolt.
        assert missing.headers["server"] == "leadmover"
        code, seconds = app.terminate()
        output = app.log()
    assert code == 0, output
    assert seconds < 10
    assert "Traceback" not in output
    for secret in (slack.bot_token, slack.signing_secret, instantly.api_key):
        assert secret not in output
    assert slack.violations == []


def test_sigterm_finishes_work_in_flight_releases_leases_and_exits_in_time(
    fakes: tuple[FakeSlack, FakeInstantly], tmp_path: Path
) -> None:
    slack, instantly = fakes
    seed(instantly)
    database_url = f"sqlite:///{tmp_path / 'graceful.db'}"
    env = app_env(slack=slack, instantly=instantly, database_url=database_url)
    instantly.delay["/api/v2/leads/move"] = 2.5
    with AppProcess(env=env, log_path=tmp_path / "graceful.log") as app:
        app.wait_healthy()
        slack.send_command(app.app_url, text="move")
        assert slack.wait_for(lambda: len(slack.opened_views()) == 1, timeout=5)
        view = slack.opened_views()[0]
        source = slack.load_options(app.app_url, view_id=view["id"], action_id=ids.SOURCE, value="globex").json()
        destination = slack.load_options(app.app_url, view_id=view["id"], action_id=ids.DESTINATION, value="trade")
        values = {
            ids.SOURCE: source["option_groups"][0]["options"][0],
            ids.DESTINATION: destination.json()["option_groups"][0]["options"][0],
        }
        submitted = submit_move(slack, app.app_url, view_id=view["id"], values=values)
        assert submitted.status == 200
        assert slack.wait_for(lambda: bool(instantly.move_bodies()), timeout=3), "the move should reach Instantly"
        code, seconds = app.terminate()
        output = app.log()
    assert code == 0, output
    assert seconds < 10, output
    database = Database(database_url)
    with database.session() as session:
        [job] = session.query(JobRow).all()
        assert job.phase == Phase.RUNNING, "the move in flight should have finished and been saved"
        assert job.instantly_job_id is not None
        assert job.lease_owner is None
    database.dispose()
    assert "started job" in str(slack.view(on_top(slack, view["id"]))), "the modal should show the outcome"

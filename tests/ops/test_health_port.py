"""`leadmover poll` (like Socket Mode `serve`, which has no HTTP of its own) answers /healthz, /readyz and /metrics
on LEADMOVER_HEALTH_PORT, and logs JSON lines when asked."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from simulators.instantly import FakeInstantly
from simulators.slack import FakeSlack
from tests.e2e.processes import AppProcess, app_env


def test_a_poller_answers_health_readiness_and_metrics_on_its_own_port(tmp_path: Path) -> None:
    with FakeSlack() as slack, FakeInstantly() as instantly:
        env = app_env(
            slack=slack, instantly=instantly, database_url=f"sqlite:///{tmp_path / 'poll.db'}", log_format="json"
        )
        with AppProcess(env=env, log_path=tmp_path / "poll.log", command="poll") as poller:
            poller.wait_healthy()
            base = f"http://127.0.0.1:{poller.port}"
            deadline = time.monotonic() + 10
            while (ready := httpx.get(f"{base}/readyz", timeout=5)).status_code != 200:
                assert time.monotonic() < deadline, ready.text
                time.sleep(0.1)
            assert ready.json()["checks"]["poller"]["ok"] is True
            assert "leadmover_poll_lag_seconds" in httpx.get(f"{base}/metrics", timeout=5).text
            code, _seconds = poller.terminate()
            output = poller.log()
    assert code == 0, output
    messages = [json.loads(line)["message"] for line in output.splitlines()]
    assert any("health and metrics on" in message for message in messages), messages

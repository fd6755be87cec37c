"""`leadmover serve --http` as a real process: /healthz, signed commands, the poller inside, a clean SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.simulators.instantly import FakeInstantly
from bot.simulators.slack import FakeSlack

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def fakes() -> Iterator[tuple[FakeSlack, FakeInstantly]]:
    with FakeSlack() as slack, FakeInstantly() as instantly:
        yield slack, instantly


def _env(slack: FakeSlack, instantly: FakeInstantly, database: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_API_URL": slack.api_url,
        "INSTANTLY_API_KEY": instantly.api_key,
        "INSTANTLY_API_URL": instantly.base_url,
        "DATABASE_URL": f"sqlite:///{database}",
        "POLL_INTERVAL_SECONDS": "0.2",
        "LOG_LEVEL": "debug",
    }


def test_serve_http_answers_health_commands_and_stops_on_sigterm(
    fakes: tuple[FakeSlack, FakeInstantly], tmp_path: Path
) -> None:
    slack, instantly = fakes
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1", "--port", str(port)],
            env=_env(slack, instantly, tmp_path / "serve.db"),
            cwd=tmp_path,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail(f"/healthz never answered 200:\n{log.read_text()}")
        app_url = f"http://127.0.0.1:{port}/slack/events"
        response = slack.send_command(app_url, text="move")
        assert response.status == 200
        assert slack.wait_for(lambda: len(slack.opened_views()) == 1, timeout=5)
        unsigned = httpx.post(app_url, content="command=%2Fleads&text=jobs", timeout=5)
        assert unsigned.status_code == 401
        assert httpx.get(f"http://127.0.0.1:{port}/nope", timeout=5).status_code == 404
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=10)
    output_text = log.read_text()
    assert code == 0, output_text
    assert "Traceback" not in output_text
    for secret in (slack.bot_token, slack.signing_secret, instantly.api_key):
        assert secret not in output_text
    assert slack.violations == []

"""leadmover as a real child process against the in-test simulators: started, killed, restarted like in production."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

from simulators.instantly import FakeInstantly
from simulators.slack import FakeSlack

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def app_env(*, slack: FakeSlack, instantly: FakeInstantly, database_url: str, **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_APP_TOKEN": slack.app_token,
        "SLACK_API_URL": slack.api_url,
        "INSTANTLY_API_KEY": instantly.api_key,
        "INSTANTLY_API_URL": instantly.base_url,
        "DATABASE_URL": database_url,
        "POLL_INTERVAL_SECONDS": "0.2",
        "LOG_LEVEL": "INFO",
        # These runs are about crashes and replicas; approvals have tests of their own.
        "LEADMOVER_APPROVALS": "false",
    }
    env.update({key.upper(): value for key, value in extra.items()})
    return env


class AppProcess:
    """`leadmover serve --http` (or `poll`) in a child process, with its output kept in a file."""

    def __init__(self, *, env: dict[str, str], log_path: Path, command: str = "serve") -> None:
        self.port = free_port()
        self.log_path = log_path
        args = [sys.executable, "-m", "app.cli", command]
        if command == "serve":
            args += ["--http", "--host", "127.0.0.1", "--port", str(self.port)]
        else:  # a poller answers /healthz on a port of its own
            env = {**env, "LEADMOVER_HEALTH_PORT": str(self.port)}
        with log_path.open("a") as output:
            self.process = subprocess.Popen(args, env=env, cwd=log_path.parent, stdout=output, stderr=subprocess.STDOUT)
        self.command = command

    @property
    def app_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def wait_healthy(self, *, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"leadmover exited early:\n{self.log()}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"/healthz never answered 200:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind, like a crash or an OOM kill."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def terminate(self, *, timeout: float = 15.0) -> tuple[int, float]:
        """SIGTERM, then (exit code, seconds it took to exit)."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=timeout)
        return code, time.monotonic() - started

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def __enter__(self) -> AppProcess:
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.kill()

"""What the Dockerfile builds, built the same way without a container runtime: `uv sync --locked --no-dev --extra
postgres` into a fresh folder, `leadmover migrate` from it, then two `leadmover serve --http` replicas from it on one
fresh PostgreSQL schema, against loopback Slack and Instantly. Both must answer /readyz 200 and /metrics, and every
start-up line must be a JSON log line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from simulators.instantly import FakeInstantly
from simulators.slack import FakeSlack
from tests.databases import postgres_schema_url
from tests.e2e.processes import app_env, free_port

ROOT = Path(__file__).resolve().parents[2]
UV = ROOT / ".venv" / "bin" / "uv"
# What the image copies in: everything the package installs (the Dockerfile's COPY, less .dockerignore).
SOURCES = ("pyproject.toml", "uv.lock", "README.md", "app", "bot", "handlers", "storage", "simulators")


@pytest.fixture
def database_url() -> Iterator[str]:
    yield from postgres_schema_url()


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh folder synced from uv.lock exactly as the image is: the bin folder of its environment."""
    folder = tmp_path_factory.mktemp("image")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, folder / name)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env["UV_PROJECT_ENVIRONMENT"] = str(folder / ".venv")
    result = subprocess.run(
        [str(UV), "sync", "--locked", "--no-dev", "--extra", "postgres", "--no-editable", "--quiet"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return folder / ".venv" / "bin"


def _env(bin_dir: Path, **settings: str) -> dict[str, str]:
    env = {key: value for key, value in settings.items() if key != "PYTHONPATH"}  # the installed package, not ours
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    return env


def _wait_ready(port: int, process: subprocess.Popen[bytes], log: Path) -> httpx.Response:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            answer = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
            if answer.status_code == 200:
                return answer
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"/readyz never answered 200:\n{log.read_text()}")


@pytest.mark.postgres
def test_the_image_build_migrates_and_serves_two_replicas_that_are_ready(
    installed: Path, database_url: str, tmp_path: Path
) -> None:
    with FakeSlack() as slack, FakeInstantly() as instantly:
        env = _env(installed, **app_env(slack=slack, instantly=instantly, database_url=database_url, log_format="json"))
        migrated = subprocess.run(
            [str(installed / "leadmover"), "migrate"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert migrated.returncode == 0, migrated.stderr
        assert "database at revision" in migrated.stdout
        replicas = []
        try:
            for n in (1, 2):
                port, log = free_port(), tmp_path / f"replica-{n}.log"
                with log.open("w") as output:
                    command = [
                        str(installed / "leadmover"),
                        "serve",
                        "--http",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                    ]
                    process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT)
                replicas.append((port, process, log))
            for port, process, log in replicas:
                ready = _wait_ready(port, process, log).json()
                assert ready["ready"] is True
                assert set(ready["checks"]) == {"database", "heartbeat", "poller", "outbox", "slack"}
                metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
                assert "leadmover_jobs_in_flight" in metrics
        finally:
            for _port, process, _log in replicas:
                process.terminate()
            for _port, process, _log in replicas:
                process.wait(timeout=15)
    for _port, process, log in replicas:
        assert process.returncode == 0, log.read_text()
        lines = log.read_text().splitlines()
        messages = [json.loads(line)["message"] for line in lines]  # every line is a JSON object
        assert any(message.startswith("serving Slack on") for message in messages), lines

"""The processes a benchmark measures: starting the app (or the baseline) as a child, reading its /proc figures,
stopping it, and summing up what its log complained about."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

from bench.metrics import process_stats

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Child:
    """A child process whose /proc figures we read before stopping it; its output goes to a file."""

    def __init__(self, args: list[str], *, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        with log_path.open("ab") as output:
            self.process = subprocess.Popen(args, env=env, cwd=log_path.parent, stdout=output, stderr=subprocess.STDOUT)
        self.cpu_at_ready = 0.0

    def alive(self) -> bool:
        return self.process.poll() is None

    def mark_ready(self) -> None:
        self.cpu_at_ready = process_stats(self.process.pid)[1]

    def stats(self) -> tuple[float, float]:
        """(peak RSS MB, CPU seconds since ready)."""
        rss, cpu = process_stats(self.process.pid)
        return rss, cpu - self.cpu_at_ready

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def code_version() -> str:
    """The commit the child processes run, and whether the app's files differ from it."""
    git = shutil.which("git")
    if git is None:
        return "unknown"
    try:
        commit = subprocess.run(
            [git, "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            [git, "-C", str(ROOT), "status", "--porcelain", "--", "bot", "handlers", "storage"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}+uncommitted" if changed else commit


def base_env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}


def start_leadmover_process(
    settings: dict[str, str], workdir: Path, *, ready_within: float = 60.0
) -> tuple[Child, str]:
    """`python -m app.cli migrate`, then `python -m app.cli serve --http` on a free loopback port with these settings
    (on top of a bare environment), as an operator runs them (docs/operations.md); returns the child once /healthz
    answers 200, and the app's base URL."""
    env = {**base_env(), **settings}
    migrated = subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"], env=env, cwd=workdir, capture_output=True, text=True
    )
    if migrated.returncode != 0:
        raise RuntimeError(f"leadmover migrate failed:\n{migrated.stdout}{migrated.stderr}")
    port = free_port()
    args = [sys.executable, "-m", "app.cli", "serve", "--http", "--host", "127.0.0.1", "--port", str(port)]
    child = Child(args, env=env, log_path=workdir / "leadmover.log")
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + ready_within
    while time.monotonic() < deadline:
        if not child.alive():
            raise RuntimeError(f"leadmover exited early:\n{child.log()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                child.mark_ready()
                return child, base_url
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    child.stop()
    raise RuntimeError(f"leadmover never became healthy:\n{child.log()}")


def log_problems(log: str) -> list[tuple[int, str]]:
    """WARNING and ERROR lines of a log, grouped once numbers and ids are blanked out; the commonest first."""
    kinds: Counter[str] = Counter()
    example: dict[str, str] = {}
    for line in log.splitlines():
        if " WARNING " not in line and " ERROR " not in line and "Traceback" not in line:
            continue
        text = line.split(" ", 2)[-1] if line[:2].isdigit() else line
        key = re.sub(r"[0-9a-f]{24}|\d+(\.\d+)?", "#", text)[:160]
        kinds[key] += 1
        example.setdefault(key, text[:300])
    return [(count, example[key]) for key, count in kinds.most_common()]

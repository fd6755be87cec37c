"""End-to-end fixtures: the real app over HTTP (or Socket Mode) on loopback simulators of Slack and Instantly."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.local_stack import DemoWorkspace, LocalStack, local_stack, seed


@pytest.fixture
def stack(tmp_path: Path, migrated_sqlite: Path) -> Iterator[LocalStack]:
    # A copy of a database at HEAD: the app starts as it restarts in production, finding nothing to migrate. Starting
    # on an empty database (and migrating it) is what the demo, tests/e2e/test_serve_cli.py and the crash tests do.
    database = tmp_path / "e2e.db"
    shutil.copyfile(migrated_sqlite, database)
    with local_stack(database_url=f"sqlite:///{database}") as running:
        yield running
        assert running.slack.violations == []
        assert running.instantly.violations == []


@pytest.fixture
def workspace(stack: LocalStack) -> DemoWorkspace:
    return seed(stack.instantly)

"""End-to-end fixtures: the real app over HTTP (or Socket Mode) on loopback simulators of Slack and Instantly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.local_stack import DemoWorkspace, LocalStack, local_stack, seed


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    with local_stack(database_url=f"sqlite:///{tmp_path / 'e2e.db'}") as running:
        yield running
        assert running.slack.violations == []
        assert running.instantly.violations == []


@pytest.fixture
def workspace(stack: LocalStack) -> DemoWorkspace:
    return seed(stack.instantly)

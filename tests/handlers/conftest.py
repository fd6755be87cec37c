"""The submission listeners' Instantly, for the modules that ask for it (each overrides `instantly_handler` with
it, so Instantly stays unreachable everywhere else), and a settle time short enough for tests."""

from __future__ import annotations

import pytest

from handlers import submissions
from tests.stand_ins import MOVE_JOB_ID, InstantlyMoves


@pytest.fixture
def settle_quickly(monkeypatch: pytest.MonkeyPatch) -> None:
    """The result view waits a second for Slack to show the starting view; here a moment is enough."""
    monkeypatch.setattr(submissions, "VIEW_SETTLE_SECONDS", 0.01)


@pytest.fixture
def instantly() -> InstantlyMoves:
    return InstantlyMoves(MOVE_JOB_ID)

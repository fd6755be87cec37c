"""A job saved by one process is followed to its end by the next one."""

from __future__ import annotations

import time
from pathlib import Path

from app.local_stack import LocalStack, local_stack, seed
from app.wiring import build_services
from handlers import ids
from simulators.slack import Message
from tests.e2e.flows import open_modal, pick, submit_move


def test_unfinished_jobs_are_followed_after_a_restart(tmp_path: Path) -> None:
    with local_stack(database_url=f"sqlite:///{tmp_path / 'restart.db'}", start_loops=False) as stack:
        seed(stack.instantly)
        view = open_modal(stack)
        values = {
            ids.SOURCE: pick(stack, view, ids.SOURCE, "globex", "Globex renewals"),
            ids.DESTINATION: pick(stack, view, ids.DESTINATION, "initech", "Initech prospects"),
        }
        submit_move(stack.slack, stack.app_url, view_id=view["id"], values=values)
        assert stack.slack.wait_for(lambda: len(stack.instantly.move_bodies()) == 1, timeout=5)
        # The first process stops here: the job and its announcement wait in the database.
        time.sleep(0.5)
        assert stack.slack.messages("C0SALES") == []

        # A second process on the same database: it knows the job only from what the first one saved.
        restarted = build_services(stack.settings)
        try:
            restarted.start_loops()
            assert stack.slack.wait_for(lambda: len(_replies(stack)) == 1, timeout=15)
        finally:
            restarted.close()
        assert len(stack.slack.messages("C0SALES")) == 1
        assert len(stack.instantly.move_bodies()) == 1
        assert "completed" in _replies(stack)[0].text


def _replies(stack: LocalStack) -> list[Message]:
    return [reply for m in stack.slack.messages("C0SALES") for reply in stack.slack.replies("C0SALES", m.ts)]

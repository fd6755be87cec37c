"""A job saved by one process is followed to its end by the next one."""

from __future__ import annotations

from pathlib import Path

from bot.services import build_services
from bot.simulators.stack import local_stack, seed
from handlers import ids
from tests.e2e.conftest import open_modal, pick


def test_unfinished_jobs_are_followed_after_a_restart(tmp_path: Path) -> None:
    with local_stack(database_url=f"sqlite:///{tmp_path / 'restart.db'}", start_poller=False) as stack:
        seed(stack.instantly)
        view = open_modal(stack)
        values = {
            ids.SOURCE: pick(stack, view, ids.SOURCE, "globex", "Globex renewals"),
            ids.DESTINATION: pick(stack, view, ids.DESTINATION, "initech", "Initech prospects"),
        }
        stack.slack.submit_view(stack.app_url, view_id=view["id"], values=values)
        assert stack.slack.wait_for(lambda: len(stack.slack.messages("C0SALES")) == 1, timeout=5)
        [announcement] = stack.slack.messages("C0SALES")
        assert stack.slack.replies("C0SALES", announcement.ts) == []

        # A second process on the same database: it knows the job only from what the first one saved.
        restarted = build_services(stack.settings)
        try:
            restarted.poller.start()
            assert stack.slack.wait_for(lambda: len(stack.slack.replies("C0SALES", announcement.ts)) == 1, timeout=15)
        finally:
            restarted.close()
        assert len(stack.slack.messages("C0SALES")) == 1
        assert len(stack.instantly.move_bodies()) == 1
        assert "completed" in stack.slack.replies("C0SALES", announcement.ts)[0].text

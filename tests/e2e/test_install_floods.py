"""A flood of anonymous `GET /slack/install` against the real app installed by OAuth: it stores no OAuth state, and
a signed slash command sent in the middle of it is answered within Slack's 3 seconds."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from app.bolt_app import INSTALL_PATH
from app.local_stack import LocalStack, local_stack
from tests.e2e.tenants import command_answer, install_tenant

VISITS = 500
VISITORS = 8  # browsers at once


@pytest.fixture
def oauth_stack(tmp_path: Path) -> Iterator[LocalStack]:
    with local_stack(database_url=f"sqlite:///{tmp_path / 'install-floods.db'}", oauth=True) as stack:
        yield stack
        assert stack.slack.violations == []
        assert stack.instantly.violations == []


def _stored_states(stack: LocalStack) -> int:
    with stack.services.db.reading() as session:
        return int(session.execute(text("SELECT count(*) FROM oauth_states")).scalar_one())


def test_anonymous_install_visits_store_no_state_and_slack_is_answered_in_time_meanwhile(
    oauth_stack: LocalStack,
) -> None:
    stack = oauth_stack
    acme = install_tenant(stack, "T0ACME", "Acme Corp", "acme-instantly-key-000001", "Acme Q1 outbound", "Parked")
    before = _stored_states(stack)
    visited: list[httpx.Response] = []
    lock, quarter, answered = threading.Lock(), threading.Event(), threading.Event()

    def visit(browser: httpx.Client) -> None:
        # Visitors who read the install page and never go on to Slack, at least VISITS of them, until the command
        # sent in the middle of them has its answer.
        while not (answered.is_set() and len(visited) >= VISITS):
            response = browser.get(INSTALL_PATH)
            with lock:
                visited.append(response)
                if len(visited) >= VISITS // 4:
                    quarter.set()

    with httpx.Client(base_url=stack.base_url, timeout=10) as browser, ThreadPoolExecutor(VISITORS) as visitors:
        flood = [visitors.submit(visit, browser) for _ in range(VISITORS)]
        try:
            assert quarter.wait(timeout=30)
            started = time.monotonic()
            answer = command_answer(stack, acme, "help")
            took = time.monotonic() - started
        finally:
            answered.set()
        for visitor in flood:
            visitor.result()  # re-raises what a visit raised

    assert "/leads move" in answer
    assert took < 3, f"/leads help took {took:.2f} s during the flood"
    assert all(
        r.status_code == 200 and "state=" in r.text and "slack-app-oauth-state" in r.headers.get("set-cookie", "")
        for r in visited
    )
    assert len({r.cookies.get("slack-app-oauth-state") for r in visited}) == len(visited), "each a state of its own"
    assert _stored_states(stack) == before < 100, "a visit that never reaches Slack stores nothing"

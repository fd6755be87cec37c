"""Every log line says which workspace, person and job it concerns, wherever that is known: in a listener (set by
the app's middleware, carried into the listener pool), a start worker, the poller and the Slack writer."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator

import httpx
import pytest
from slack_bolt import Ack

from app.bolt_app import build_app
from app.wiring import wire_services
from bot import logs
from bot.services import Services
from storage.db import Database
from tests.bolt_requests import USER, SlackSends, command_body
from tests.factories import SIGNING_SECRET, a_settings, requested_job, running_job
from tests.stand_ins import InstantlyHandler, SlackStandIn, instantly_client, instantly_error


@pytest.fixture
def instantly_handler() -> InstantlyHandler:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/background-jobs"):
            return httpx.Response(200, json={"items": []})  # the batch leaves the job out: it is asked alone
        return instantly_error(500, "down for a moment")

    return answer


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    logs.configure(level="INFO", secrets=[], stream=stream, fmt="json")
    yield stream
    logs.bind()


def _said(stream: io.StringIO, words: str) -> dict[str, object]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for line in stream.getvalue().splitlines():
            parsed = json.loads(line)
            if words in str(parsed["message"]):
                return dict(parsed)
        time.sleep(0.02)
    raise AssertionError(f"no line says {words!r}:\n{stream.getvalue()}")


def test_the_writer_says_which_workspace_and_job_a_write_was_for(
    services: Services, slack: SlackStandIn, sqlite_db: Database, lines: io.StringIO
) -> None:
    record = running_job(sqlite_db, "a" * 24, team="T1")
    slack.fail("chat.postMessage", "internal_error")

    services.writer.drain()

    line = _said(lines, "Slack refused announce")
    assert (line["team_id"], line["job"]) == ("T1", record.id)


def test_the_poller_says_which_job_it_could_not_follow(
    services: Services, sqlite_db: Database, lines: io.StringIO
) -> None:
    record = running_job(sqlite_db, "b" * 24, team="T1", user="U7")

    services.poller.tick()

    line = _said(lines, "could not follow it this round")
    assert (line["team_id"], line["user_id"], line["job"], line["instantly_job_id"]) == (
        "T1",
        "U7",
        record.id,
        "b" * 24,
    )


def test_a_start_worker_says_whose_move_it_sends(services: Services, sqlite_db: Database, lines: io.StringIO) -> None:
    record = requested_job(sqlite_db, team="T1", user="U5")

    assert services.starts.submit(record, then=lambda _record: None) is not None
    assert services.starts.wait_idle(timeout=5)

    line = next(json.loads(text) for text in lines.getvalue().splitlines() if json.loads(text).get("job") == record.id)
    assert (line["team_id"], line["user_id"]) == ("T1", "U5")


def test_a_listener_says_which_workspace_and_person_its_request_came_from(
    sqlite_db: Database, slack: SlackStandIn, lines: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    # The pool the wiring gives Bolt by default, as in production.
    services = wire_services(
        a_settings(sqlite_db), db=sqlite_db, slack=slack, instantly=instantly_client(instantly_error_only), owner="w"
    )
    try:
        app = build_app(services.settings, services)

        @app.command("/probe")
        def probe(ack: Ack) -> None:
            ack()
            logging.getLogger("leadmover.probe").info("probe heard")

        sent = SlackSends(app, secret=SIGNING_SECRET).deliver(command_body("x").replace("%2Fleads", "%2Fprobe"))
        assert sent.status == 200
        line = _said(lines, "probe heard")
    finally:
        services.close(grace=1.0)
    assert (line["team_id"], line["user_id"]) == ("T1", USER)


def instantly_error_only(_request: httpx.Request) -> httpx.Response:
    return instantly_error(503, "no Instantly in this test")

"""build_app: only requests Slack signed reach a listener, and a listener that fails answers in words, never a trace."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from app.bolt_app import build_app
from bot.services import Services
from bot.settings import MissingSettingError
from handlers import ids, move_view
from storage.db import Database
from tests.bolt_requests import (
    CHANNEL,
    ListenerWork,
    SlackSends,
    answer,
    as_slack_keeps_it,
    block_suggestion_body,
    command_body,
    option,
    signed_headers,
    view_submission_body,
)
from tests.factories import SIGNING_SECRET, a_services, a_settings
from tests.stand_ins import SlackStandIn, instantly_client, instantly_job

SORRY = "Sorry, leadmover hit a problem on its side and did nothing. It has been logged; please try again."


class Broken(Exception):
    """Something no listener expects."""


@pytest.fixture
def instantly_requests() -> list[httpx.Request]:
    return []


def _services(db: Database, slack: SlackStandIn, work: ListenerWork, requests: list[httpx.Request]) -> Services:
    def instantly(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if request.url.path.endswith(("/campaigns", "/leads/move")):
            raise Broken("a bug deep inside the Instantly client")
        if request.url.path.startswith(("/api/v2/campaigns/", "/api/v2/lead-lists/")):  # the door asks for names
            return httpx.Response(200, json={"id": request.url.path.rsplit("/", 1)[-1], "name": "Acme"})
        return httpx.Response(200, json=instantly_job())

    return a_services(
        db, slack=slack, instantly=instantly_client(instantly), settings=a_settings(db), listener_executor=work
    )


@pytest.fixture
def services(
    sqlite_db: Database,
    slack: SlackStandIn,
    work: ListenerWork,
    instantly_requests: list[httpx.Request],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Services]:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)  # Bolt reads it on its own
    built = _services(sqlite_db, slack, work, instantly_requests)
    yield built
    built.close(grace=2.0)


@pytest.fixture
def broken_services(
    tmp_path: Path,
    slack: SlackStandIn,
    work: ListenerWork,
    instantly_requests: list[httpx.Request],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Services]:
    """Services over a database that has no tables: every listener that reads or writes a job fails."""
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    built = _services(Database(f"sqlite:///{tmp_path / 'never-migrated.db'}"), slack, work, instantly_requests)
    yield built
    built.close(grace=2.0)


# --- signatures ----------------------------------------------------------------------------------------------------


def _unsigned(body: str) -> dict[str, str]:
    return {"content-type": "application/x-www-form-urlencoded"}


def _signed_with_another_secret(body: str) -> dict[str, str]:
    return signed_headers(body, secret="not-the-apps-signing-secret")


def _signed_ten_minutes_ago(body: str) -> dict[str, str]:
    return signed_headers(body, secret=SIGNING_SECRET, timestamp=time.time() - 600)


def _signed_for_another_body(body: str) -> dict[str, str]:
    return signed_headers(body.replace("text=move", "text=help"), secret=SIGNING_SECRET)


@pytest.mark.parametrize(
    "headers",
    [_unsigned, _signed_with_another_secret, _signed_ten_minutes_ago, _signed_for_another_body],
    ids=["unsigned", "wrong secret", "stale timestamp", "body changed after signing"],
)
def test_a_request_slack_did_not_sign_is_refused_with_401_and_reaches_no_listener(
    sends: SlackSends, slack: SlackStandIn, work: ListenerWork, headers: Callable[[str], dict[str, str]]
) -> None:
    body = command_body("move")
    response = sends.deliver(body, headers=headers(body))
    assert response.status == 401
    work.join()
    assert slack.calls_to("views.open") == []


def test_the_same_request_signed_by_slack_is_served(sends: SlackSends, slack: SlackStandIn, work: ListenerWork) -> None:
    response = sends.deliver(command_body("move"))
    assert response.status == 200
    work.join()
    assert len(slack.calls_to("views.open")) == 1


def test_an_unsigned_options_load_is_refused_too(sends: SlackSends, instantly_requests: list[httpx.Request]) -> None:
    body = block_suggestion_body(as_slack_keeps_it(move_view.build(channel_id=CHANNEL)), ids.DESTINATION, "acme")
    assert sends.deliver(body, headers=_unsigned(body)).status == 401
    assert instantly_requests == []


def test_over_http_the_app_will_not_start_without_a_signing_secret(
    services: Services, sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    settings = a_settings(sqlite_db, slack_signing_secret=None)
    with pytest.raises(MissingSettingError) as caught:
        build_app(settings, services)
    assert caught.value.names == ("SLACK_SIGNING_SECRET",)


def test_in_socket_mode_requests_need_no_signature(
    services: Services, sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    app = build_app(a_settings(sqlite_db, slack_signing_secret=None), services, socket_mode=True)
    body = command_body("help")
    response = SlackSends(app, secret="unused").deliver(body, headers=_unsigned(body))
    assert response.status == 200
    assert answer(response)["text"].startswith("*leadmover* moves and copies Instantly leads.")


def test_a_bot_token_in_the_environment_does_not_fill_the_log_with_bolts_warning(
    services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")
    with caplog.at_level(logging.WARNING):
        build_app(services.settings, services)
    assert not [r for r in caplog.records if "will be unused" in r.getMessage()]


# --- a listener that fails -----------------------------------------------------------------------------------------


def test_a_failing_slash_command_answers_the_person_in_words_without_the_traceback(
    broken_services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    sends = SlackSends(build_app(broken_services.settings, broken_services), secret=SIGNING_SECRET)
    with caplog.at_level(logging.ERROR):
        response = sends.command("jobs")
    assert response.status == 200
    assert response.headers["content-type"] == ["application/json;charset=utf-8"]
    assert answer(response) == {"response_type": "ephemeral", "text": SORRY}
    for leak in ("Traceback", "OperationalError", "no such table", "sqlite"):
        assert leak not in str(response.body)
    [logged] = [r for r in caplog.records if r.getMessage() == "unhandled error in a slash_command listener"]
    assert logged.exc_info is not None
    assert "no such table" in str(logged.exc_info[1])


def test_a_failing_options_load_answers_an_empty_200(
    sends: SlackSends, instantly_requests: list[httpx.Request], caplog: pytest.LogCaptureFixture
) -> None:
    modal = as_slack_keeps_it(move_view.build(channel_id=CHANNEL))
    with caplog.at_level(logging.ERROR):
        response = sends.suggest(modal, ids.SOURCE, "acme")
    assert len(instantly_requests) >= 1  # the listener did run, and failed
    assert response.status == 200
    assert response.body == ""
    [logged] = [r for r in caplog.records if r.getMessage() == "unhandled error in a block_suggestion listener"]
    assert logged.exc_info is not None
    assert isinstance(logged.exc_info[1], Broken)


def _valid_submission() -> str:
    modal = as_slack_keeps_it(move_view.build(channel_id=CHANNEL))
    chosen = {ids.SOURCE: option("campaign:c-1", "Acme Q1"), ids.DESTINATION: option("list:l-2", "Acme warm")}
    # With a limit: a move of every lead is answered with a confirmation (tests/handlers/test_confirmation.py).
    return view_submission_body(modal, {**chosen, ids.LIMIT: "100"})


def test_a_failure_after_the_ack_is_logged_and_the_ack_stands(
    sends: SlackSends, work: ListenerWork, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = sends.deliver(_valid_submission())
        assert response.status == 200
        assert answer(response)["response_action"] == "update"  # acked before Instantly was asked
        work.join()
    [logged] = [r for r in caplog.records if r.exc_info is not None]
    assert isinstance(logged.exc_info[1], Broken)
    assert "will be recovered" in logged.getMessage()


def test_a_listener_failing_after_its_ack_leaves_nothing_behind_in_the_executor(
    sends: SlackSends, work: ListenerWork
) -> None:
    assert sends.deliver(_valid_submission()).status == 200
    work.join()


def test_a_submission_that_cannot_be_written_down_is_not_started_and_says_so(
    broken_services: Services, instantly_requests: list[httpx.Request], caplog: pytest.LogCaptureFixture
) -> None:
    sends = SlackSends(build_app(broken_services.settings, broken_services), secret=SIGNING_SECRET)

    with caplog.at_level(logging.ERROR):
        response = sends.deliver(_valid_submission())

    view = answer(response)["view"]
    assert answer(response)["response_action"] == "update"
    assert view["title"]["text"] == "Not started"
    assert "nothing was started" in json.dumps(view)
    assert "Traceback" not in json.dumps(view)
    assert instantly_requests == []
    assert any(r.exc_info for r in caplog.records), "the cause is in the log"

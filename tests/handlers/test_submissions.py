"""The move modal's view_submission, delivered signed: field errors inline, or "starting" at once, then the outcome."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from bot.services import Services
from handlers import ids, move_view, submissions
from storage import jobs, outbox, outbox_claims
from storage.db import Database
from storage.models import NotificationKind, Phase
from tests.bolt_requests import (
    JSON,
    TEAM,
    USER,
    ListenerWork,
    SlackSends,
    answer,
    as_slack_keeps_it,
    option,
    signed_headers,
    view_submission_body,
)
from tests.factories import requested_job
from tests.stand_ins import MOVE_JOB_ID as JOB_ID
from tests.stand_ins import InstantlyMoves, SlackStandIn, instantly_error

pytestmark = pytest.mark.usefixtures("settle_quickly")


@pytest.fixture
def instantly_handler(instantly: InstantlyMoves) -> InstantlyMoves:
    return instantly


VIEW_ID = "V0MOVE"


def _modal(*, channel_id: str = "C0SALES", copy_leads: bool = False) -> JSON:
    # More filters open: every field of the form can be filled in (tests/handlers/test_move_view_more_filters.py).
    return as_slack_keeps_it(move_view.build(channel_id=channel_id, copy_leads=copy_leads, more=True), view_id=VIEW_ID)


def _places(**more: Any) -> dict[str, Any]:
    """A valid form; with a limit, since a move of every lead is confirmed first (tests/handlers/test_confirmation)."""
    return {
        ids.SOURCE: option("campaign:c-1", "Acme Q1"),
        ids.DESTINATION: option("list:l-2", "Acme <warm>"),
        ids.LIMIT: "100",
        **more,
    }


def _text_of(view: JSON) -> str:
    return "\n".join(block["text"]["text"] for block in view["blocks"] if block["type"] == "section")


# --- field errors ------------------------------------------------------------------------------------------------


def test_wrong_fields_are_answered_inline_by_block_id_and_nothing_is_sent(
    sends: SlackSends, slack: SlackStandIn, instantly: InstantlyMoves, work: ListenerWork, sqlite_db: Database
) -> None:
    chosen = {
        ids.SOURCE: option(ids.UNAVAILABLE, "Instantly could not be searched just now. Try again in a moment."),
        ids.DESTINATION: option("list:l-2", "Acme warm"),
        ids.LIMIT: "0",
        ids.CONTACTS: "ann@example.com, not-an-address",
    }
    response = sends.submit(_modal(), chosen)
    assert response.status == 200
    body = answer(response)
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {ids.SOURCE, ids.LIMIT, ids.CONTACTS}
    assert body["errors"][ids.SOURCE] == (
        "Instantly could not be searched when you picked the source. Open the list and pick again."
    )
    assert body["errors"][ids.LIMIT] == "The limit must be at least 1. Leave it empty to take every matching lead."
    work.join()
    assert instantly.requests == []
    assert [call.method for call in slack.calls] == ["auth.test"]  # Bolt's token check when the app was built
    assert jobs.recent(sqlite_db) == []


def test_the_same_place_twice_is_an_error_on_the_destination(
    sends: SlackSends, instantly: InstantlyMoves, work: ListenerWork
) -> None:
    chosen = _places(**{ids.DESTINATION: option("campaign:c-1", "Acme Q1")})
    body = answer(sends.submit(_modal(), chosen))
    assert body == {
        "response_action": "errors",
        "errors": {ids.DESTINATION: "The destination must differ from the source."},
    }
    work.join()
    assert instantly.requests == []


# --- a valid submission ------------------------------------------------------------------------------------------


def test_a_valid_form_is_acked_at_once_with_the_starting_view(sends: SlackSends, work: ListenerWork) -> None:
    response = sends.submit(_modal(), _places())
    assert response.status == 200
    body = answer(response)
    assert body["response_action"] == "update"
    assert body["view"]["title"]["text"] == "Starting"
    assert _text_of(body["view"]) == (
        ":hourglass_flowing_sand: Moving leads from campaign *Acme Q1* to list *Acme &lt;warm&gt;*. "
        "Asking Instantly to start the job…"
    )
    work.join()


def test_a_valid_form_asks_instantly_once_with_the_body_the_order_describes(
    sends: SlackSends, instantly: InstantlyMoves, work: ListenerWork
) -> None:
    chosen = _places(
        **{
            ids.SOURCE: option("list:l-9", "Old list"),
            ids.DESTINATION: option("campaign:c-7", "New campaign"),
            ids.MODE: option(ids.MODE_COPY, "Copy"),
            ids.LIMIT: "250",
            ids.SEARCH: "  acme.com ",
            ids.FILTER: option("FILTER_LEAD_INTERESTED", "Interested"),
            ids.CONTACTS: "a@x.io, B@Y.io\na@x.io",
            ids.ESP_CODE: option("2", "Microsoft"),
            ids.ESG_CODE: option("all", "All"),
            ids.ASSIGNED_TO: option("member:u-1", "Ann Lee (ann@example.com)"),
            ids.OPTIONS: [option("skip_duplicates", "Skip duplicates"), option("reset_interest_status", "Reset")],
        }
    )
    assert answer(sends.submit(_modal(), chosen))["response_action"] == "update"
    work.join()
    assert instantly.moves() == [
        {
            "list_id": "l-9",
            "to_campaign_id": "c-7",
            "copy_leads": True,
            "limit": 250,
            "search": "acme.com",
            "filter": "FILTER_LEAD_INTERESTED",
            "contacts": ["a@x.io", "b@y.io"],
            "esp_code": 2,
            "esg_code": "all",
            "assigned_to": "u-1",
            "check_duplicates": True,
            "reset_interest_status": True,
        }
    ]
    [request] = [r for r in instantly.requests if r.method == "POST"]
    assert request.headers["authorization"] == "Bearer test-key"


def test_once_instantly_started_the_job_the_modal_shows_it_started(
    sends: SlackSends, slack: SlackStandIn, instantly: InstantlyMoves, work: ListenerWork
) -> None:
    sends.submit(_modal(channel_id="C0SALES"), _places())
    work.join()
    assert len(instantly.moves()) == 1
    [update] = slack.calls_to("views.update")
    assert update.args["view_id"] == VIEW_ID
    assert update.args["view"]["title"]["text"] == "Started"
    assert _text_of(update.args["view"]) == (
        f":white_check_mark: Instantly started job `{JOB_ID}`. "
        "Follow its progress in <#C0SALES>; I will reply in the thread when it ends."
    )


def test_the_started_job_is_saved_for_the_submitter_in_their_workspace_and_announced_through_the_outbox(
    sends: SlackSends, slack: SlackStandIn, work: ListenerWork, sqlite_db: Database
) -> None:
    # The payload names T9, but the token speaks for TEAM: the job is filed there (handlers.context).
    sends.submit(_modal(channel_id="C0SALES"), _places(), team_id="T9", user_id="U0ANN")
    work.join()
    [record] = jobs.recent(sqlite_db)
    assert (record.team_id, record.user_id, record.channel_id) == (TEAM, "U0ANN", "C0SALES")
    assert (record.phase, record.instantly_job_id) == (Phase.RUNNING, JOB_ID)
    [queued] = outbox_claims.claim_due(sqlite_db, owner="test", lease_seconds=5)
    assert (queued.kind, queued.team_id, queued.channel_id) == (NotificationKind.ANNOUNCE, TEAM, "C0SALES")
    assert slack.calls_to("chat.postMessage") == []  # the writer posts it, not the listener


def test_a_modal_without_its_channel_reports_to_the_submitter(
    sends: SlackSends, work: ListenerWork, sqlite_db: Database
) -> None:
    modal = _modal()
    modal["private_metadata"] = ""
    sends.submit(modal, _places())
    work.join()
    [record] = jobs.recent(sqlite_db)
    assert record.channel_id == USER


def test_when_instantly_refuses_the_modal_says_it_did_not_start_and_why(
    sends: SlackSends, slack: SlackStandIn, instantly: InstantlyMoves, work: ListenerWork, sqlite_db: Database
) -> None:
    instantly.answer = instantly_error(402, "Payment required")
    assert answer(sends.submit(_modal(), _places()))["response_action"] == "update"
    work.join()
    assert len(instantly.moves()) == 1
    [update] = slack.calls_to("views.update")
    assert update.args["view"]["title"]["text"] == "Not started"
    assert _text_of(update.args["view"]) == (
        ":warning: Your move from campaign *Acme Q1* to list *Acme &lt;warm&gt;* did not start: "
        "the Instantly workspace has no active paid plan, which the API needs. Nothing was changed in Instantly."
    )
    [record] = jobs.recent(sqlite_db)
    assert record.phase == Phase.START_FAILED


def test_a_refused_move_is_not_sent_again(
    sends: SlackSends, instantly: InstantlyMoves, work: ListenerWork, services: Services
) -> None:
    instantly.answer = instantly_error(400, "Bad request")
    sends.submit(_modal(), _places())
    work.join()
    services.poller.tick()
    assert len(instantly.moves()) == 1


# --- one submission, one move ------------------------------------------------------------------------------------


def test_a_retried_delivery_sends_nothing_more_and_gets_the_same_answer(
    sends: SlackSends, instantly: InstantlyMoves, slack: SlackStandIn, work: ListenerWork, sqlite_db: Database
) -> None:
    body = view_submission_body(_modal(), _places())
    first = sends.deliver(body)
    work.join()
    retried = sends.deliver(body, {**signed_headers(body, secret=sends.secret), "X-Slack-Retry-Num": "1"})
    work.join()

    assert answer(retried) == answer(first)
    assert len(instantly.moves()) == 1
    assert len(jobs.recent(sqlite_db)) == 1
    assert len(slack.calls_to("views.update")) == 1, "only the first delivery reports the outcome"


def test_a_replayed_signed_submission_starts_nothing_more(
    sends: SlackSends, instantly: InstantlyMoves, work: ListenerWork, sqlite_db: Database
) -> None:
    body = view_submission_body(_modal(), _places())
    headers = signed_headers(body, secret=sends.secret)

    answers = [answer(sends.deliver(body, headers)) for _ in range(4)]
    work.join()

    assert all(a == answers[0] for a in answers)
    assert len(instantly.moves()) == 1
    [record] = jobs.recent(sqlite_db)
    assert outbox.waiting(sqlite_db) == 1, "one announcement"
    assert record.instantly_job_id == JOB_ID


def test_the_same_view_submitted_again_after_a_change_is_a_new_submission(
    sends: SlackSends, instantly: InstantlyMoves, work: ListenerWork
) -> None:
    sends.submit(_modal(), _places())
    work.join()
    changed = {**_modal(), "hash": "1700000099.ffffffff"}  # Slack gives every new rendering of a view a new hash

    sends.submit(changed, _places())
    work.join()

    assert len(instantly.moves()) == 2


def test_a_move_whose_sending_fails_unexpectedly_stays_written_down_for_recovery(
    sends: SlackSends, instantly: InstantlyMoves, work: ListenerWork, sqlite_db: Database
) -> None:
    instantly.answer = httpx.Response(200, json={"unexpected": "shape"})  # garbled: the move may have started

    response = sends.submit(_modal(), _places())
    work.join()

    assert answer(response)["response_action"] == "update"
    [record] = jobs.recent(sqlite_db)
    assert record.phase == Phase.REQUESTED
    assert record.start_attempted_at is not None, "a poller will look for it, never resend it blindly"


def test_a_person_with_three_moves_starting_is_told_to_wait_and_keeps_the_form(
    sends: SlackSends, instantly: InstantlyMoves, work: ListenerWork, sqlite_db: Database
) -> None:
    for _ in range(3):
        requested_job(sqlite_db, team=TEAM, user=USER)

    refused = answer(sends.submit(_modal(), _places()))
    someone_else = answer(sends.submit({**_modal(), "id": "V0OTHER"}, _places(), user_id="U0BOB"))
    work.join()

    assert refused["response_action"] == "errors", "the form stays open, filled in"
    assert refused["errors"][ids.SOURCE].startswith("You have 3 moves waiting for Instantly to start them")
    assert "Try again in about 10 seconds" in refused["errors"][ids.SOURCE], "none is queued here: the next is soon"
    assert someone_else["response_action"] == "update"
    assert len(instantly.moves()) == 1, "only the other person's move"


def test_instantlys_own_words_are_escaped_in_the_modal(
    sends: SlackSends, slack: SlackStandIn, instantly: InstantlyMoves, work: ListenerWork
) -> None:
    instantly.answer = instantly_error(403, "Missing scope <!channel> & <https://evil.example|fix it>")
    sends.submit(_modal(), _places())
    work.join()
    [update] = slack.calls_to("views.update")
    text = _text_of(update.args["view"])
    assert "lacks a scope" in text
    assert "<!channel>" not in text
    assert "<https://evil.example|fix it>" not in text
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|fix it&gt;" in text


def test_the_result_view_waits_until_slack_has_shown_the_starting_view(
    sends: SlackSends, slack: SlackStandIn, work: ListenerWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(submissions, "VIEW_SETTLE_SECONDS", 0.3)
    updated_at: list[float] = []
    monkeypatch.setattr(slack, "views_update", _timed(slack.views_update, updated_at))
    sent_at = time.monotonic()
    assert answer(sends.submit(_modal(), _places()))["response_action"] == "update"
    work.join()
    assert len(updated_at) == 1
    assert updated_at[0] - sent_at >= 0.3


def _timed(call: Any, times: list[float]) -> Any:
    def timed(**kwargs: Any) -> Any:
        times.append(time.monotonic())
        return call(**kwargs)

    return timed

"""The /leads command, delivered signed to the real Bolt app: move | copy open the modal, the rest answer in words."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from handlers import ids
from storage import jobs
from storage.db import Database
from tests.bolt_requests import (
    CHANNEL,
    TEAM,
    TRIGGER_ID,
    USER,
    ListenerWork,
    ResponseUrl,
    SlackSends,
    answer,
)
from tests.factories import requested_job, running_job
from tests.stand_ins import InstantlyHandler, SlackStandIn, instantly_error


@pytest.fixture
def instantly_requests() -> list[httpx.Request]:
    """What reached Instantly; no /leads command should ask it anything."""
    return []


@pytest.fixture
def instantly_handler(instantly_requests: list[httpx.Request]) -> InstantlyHandler:
    def unused(request: httpx.Request) -> httpx.Response:
        instantly_requests.append(request)
        return instantly_error(500, "unused")

    return unused


def _ephemeral_text(response: Any) -> str:
    assert response.status == 200
    body = answer(response)
    assert body["response_type"] == "ephemeral"
    return str(body["text"])


def _blocks_text(response: Any) -> str:
    return json.dumps(answer(response)["blocks"])


# --- move | copy ---------------------------------------------------------------------------------------------------


def test_move_acks_at_once_and_opens_the_move_modal_with_the_trigger_id_and_the_channel(
    sends: SlackSends, slack: SlackStandIn, work: ListenerWork
) -> None:
    response = sends.command("move", channel_id="C0SALES")
    assert response.status == 200
    assert answer(response) is None  # an empty ack: the modal is the answer
    work.join()
    [call] = slack.calls_to("views.open")
    assert call.args["trigger_id"] == TRIGGER_ID
    view = call.args["view"]
    assert view["callback_id"] == ids.MOVE_MODAL
    assert view["title"]["text"] == "Move leads"
    assert json.loads(view["private_metadata"]) == {"channel_id": "C0SALES"}
    mode = next(block for block in view["blocks"] if block.get("block_id") == ids.MODE)
    assert mode["element"]["initial_option"]["value"] == ids.MODE_MOVE


def test_copy_opens_the_same_modal_with_copy_chosen(sends: SlackSends, slack: SlackStandIn, work: ListenerWork) -> None:
    assert sends.command("copy").status == 200
    work.join()
    [call] = slack.calls_to("views.open")
    view = call.args["view"]
    assert view["title"]["text"] == "Copy leads"
    assert json.loads(view["private_metadata"]) == {"channel_id": CHANNEL}
    mode = next(block for block in view["blocks"] if block.get("block_id") == ids.MODE)
    assert mode["element"]["initial_option"]["value"] == ids.MODE_COPY


def test_the_verb_may_be_typed_in_capitals(sends: SlackSends, slack: SlackStandIn, work: ListenerWork) -> None:
    sends.command("COPY")
    work.join()
    [call] = slack.calls_to("views.open")
    assert call.args["view"]["title"]["text"] == "Copy leads"


def test_when_slack_refuses_to_open_the_modal_the_person_is_told_in_words_through_the_response_url(
    sends: SlackSends, slack: SlackStandIn, work: ListenerWork
) -> None:
    slack.fail("views.open", "expired_trigger_id")
    with ResponseUrl() as response_url:
        response = sends.command("move", response_url=response_url.url)
        assert response.status == 200
        work.join()
        [said] = response_url.wait_for(1)
    assert len(slack.calls_to("views.open")) == 1
    assert said["response_type"] == "ephemeral"
    assert said["text"] == "Slack did not open the form in time. Please run `/leads move` again."


def test_opening_the_modal_asks_instantly_nothing(
    sends: SlackSends, work: ListenerWork, instantly_requests: list[httpx.Request]
) -> None:
    sends.command("move")
    work.join()
    assert instantly_requests == []


# --- jobs ----------------------------------------------------------------------------------------------------------


def test_jobs_lists_only_the_callers_jobs_in_that_workspace(
    sends: SlackSends, sqlite_db: Database, instantly_requests: list[httpx.Request]
) -> None:
    mine = running_job(sqlite_db, "a" * 24, team=TEAM, user="U7")
    theirs = running_job(sqlite_db, "b" * 24, team=TEAM, user=USER)
    elsewhere = running_job(sqlite_db, "c" * 24, team="T2", user="U7")
    # The payload names T2, but the token speaks for TEAM: the command acts there (handlers.context).
    response = sends.command("jobs", team_id="T2", user_id="U7")
    text = _ephemeral_text(response)
    assert text.startswith("Your most recent job:")
    listed = f"Job #{mine.id} · campaign *Acme Q1* → list *Acme warm* (move): waiting to start in Instantly, 0% · "
    assert listed + "<!date^" in text
    assert f"Job #{theirs.id} " not in text
    assert f"Job #{elsewhere.id} " not in text
    assert "a" * 24 not in text, "Instantly's id is for /leads status"
    assert f"Details: `/leads status #{mine.id}`" in _blocks_text(response)
    assert instantly_requests == []


def test_jobs_lists_the_ten_newest_newest_first(sends: SlackSends, sqlite_db: Database) -> None:
    numbers = [running_job(sqlite_db, f"{n:024d}").id for n in range(12)]
    text = _ephemeral_text(sends.command("jobs"))
    listed = [int(line.split("#")[1].split(" ")[0]) for line in text.splitlines() if line.startswith("•")]
    assert listed == list(reversed(numbers))[:10]
    assert text.startswith("Your 10 most recent jobs:")


def test_an_admins_jobs_say_they_are_the_workspaces(
    sends: SlackSends, sqlite_db: Database, slack: SlackStandIn
) -> None:
    slack.people[USER] = {"is_admin": True}
    running_job(sqlite_db, "a" * 24, team=TEAM, user="U7")
    running_job(sqlite_db, "b" * 24, team=TEAM, user=USER)
    text = _ephemeral_text(sends.command("jobs"))
    assert text.startswith("Recent jobs in this workspace:")
    assert text.count("• Job #") == 2


def test_jobs_with_none_yet_says_how_to_start_one(sends: SlackSends, sqlite_db: Database) -> None:
    running_job(sqlite_db, "b" * 24, team=TEAM, user="U2")
    text = _ephemeral_text(sends.command("jobs"))
    assert text == "You have no leadmover jobs yet. Start one with `/leads move`."


# --- status --------------------------------------------------------------------------------------------------------


def test_status_finds_a_job_by_its_leadmover_number(sends: SlackSends, sqlite_db: Database) -> None:
    record = running_job(sqlite_db, "d" * 24, status="in-progress")
    response = sends.command(f"status {record.id}")
    text = _ephemeral_text(response)
    assert text == "Moving leads from Acme Q1 to Acme warm: In progress (0%)", "names, never ids, in a notification"
    assert "Details: Instantly job `" + "d" * 24 + "`" in _blocks_text(response)
    assert f"Job #{record.id} \\u00b7 campaign *Acme Q1* \\u2192 list *Acme warm*" in _blocks_text(response)


def test_status_finds_a_job_by_its_instantly_id_even_in_backticks(sends: SlackSends, sqlite_db: Database) -> None:
    record = running_job(sqlite_db, "e" * 24)
    response = sends.command(f"status `{'E' * 24}`")
    _ephemeral_text(response)
    assert f"Job #{record.id} " in _blocks_text(response)


@pytest.mark.parametrize("typed", ["#{}", "{}", "`#{}`"])
def test_status_finds_a_job_by_its_number_as_the_messages_write_it(
    sends: SlackSends, sqlite_db: Database, typed: str
) -> None:
    record = running_job(sqlite_db, "9" * 24)
    response = sends.command("status " + typed.format(record.id))
    _ephemeral_text(response)
    assert f"Job #{record.id} " in _blocks_text(response)


def test_status_of_a_job_that_did_not_start_shows_why(sends: SlackSends, sqlite_db: Database) -> None:
    record = jobs.mark_start_failed(sqlite_db, job_id=requested_job(sqlite_db).id, error="Instantly said <no> & stop.")
    response = sends.command(f"status {record.id}")
    _ephemeral_text(response)
    assert "Note: Instantly said &lt;no&gt; &amp; stop." in _blocks_text(response)


def test_status_of_an_unknown_job_says_so_with_the_id_escaped(sends: SlackSends) -> None:
    text = _ephemeral_text(sends.command("status job&<1>x"))
    assert text.startswith("I found no job `job&amp;&lt;1&gt;x` in this workspace. `/leads jobs` lists yours.\n")
    assert "<1>" not in text
    assert "`/leads help`: this help" in text  # followed by the usage


def test_status_of_another_workspaces_job_is_not_shown(sends: SlackSends, sqlite_db: Database) -> None:
    record = running_job(sqlite_db, "f" * 24, team="T2")
    for reference in (str(record.id), "f" * 24):
        text = _ephemeral_text(sends.command(f"status {reference}", team_id="T2"))  # still acts in TEAM
        assert text.startswith(f"I found no job `{reference}` in this workspace.")


def test_status_without_an_id_says_which_word_is_missing(sends: SlackSends) -> None:
    text = _ephemeral_text(sends.command("status"))
    assert text.startswith("Say which job: `/leads status #12`, with its number. `/leads jobs` lists yours.\n")


# --- help and anything else ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["help", "", "  HELP  "])
def test_help_or_nothing_shows_the_usage(sends: SlackSends, text: str) -> None:
    answered = _ephemeral_text(sends.command(text))
    assert answered.startswith("*leadmover* moves and copies Instantly leads.\n")
    for verb in ("move", "copy", "jobs", "status #12", "help"):
        assert f"`/leads {verb}`" in answered


def test_an_unknown_verb_is_named_escaped_before_the_usage(sends: SlackSends, slack: SlackStandIn) -> None:
    response = sends.command("<!channel> please")
    text = _ephemeral_text(response)
    assert text.startswith("I don't know `&lt;!channel&gt;`.\n*leadmover* moves and copies Instantly leads.")
    assert "<!channel>" not in _blocks_text(response)
    assert slack.calls_to("views.open") == []


def test_a_very_long_unknown_verb_is_cut_short(sends: SlackSends) -> None:
    text = _ephemeral_text(sends.command("x" * 500))
    assert f"I don't know `{'x' * 40}`." in text
    assert "x" * 41 not in text

"""The reporter turns one outbox row into Slack calls.

Covered: the announcement (metadata carrying the job, its ts and channel recorded, a DM with the reason when the
channel is unreachable), progress edits (on the recorded anchor, re-anchored when the message is gone), the one
final reply in the thread, notes to the requester (ephemeral, else a DM), update_view, and the recovery of a row
left "sending" by a crash or a lost answer: look in Slack for this job's message first, post only if it is not
there, post anyway when Slack will not let us look, but let rate limits and dead tokens reach the writer.
"""

from __future__ import annotations

import time
from datetime import UTC
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from sqlalchemy import update

from bot.slack.blocks import messages
from bot.slack.lookback import LookLater
from bot.slack.reporter import SENT, UNREACHABLE_CHANNEL, Reporter
from storage import jobs, polls
from storage.clock import utcnow
from storage.db import Database
from storage.models import NotificationKind, NotificationRow, NotificationState, Phase
from storage.outbox import Notification
from storage.records import JobRecord
from tests.factories import (
    for_every_team,
    newest_notification,
    outbox_rows,
    requested_job,
    running_job,
    stored_job,
)
from tests.stand_ins import SlackStandIn

JSON = dict[str, Any]


@pytest.fixture
def slack() -> SlackStandIn:
    return SlackStandIn()


def _announced(db: Database, reporter: Reporter, instantly_id: str, **requested: Any) -> JobRecord:
    record = running_job(db, instantly_id, status="in-progress", **requested)
    assert reporter.deliver(newest_notification(db, record.id, NotificationKind.ANNOUNCE)) == SENT
    return stored_job(db, record.id)


def _finished(db: Database, record: JobRecord, *, moved: int = 12) -> JobRecord:
    return jobs.finish(db, job_id=record.id, status="success", progress=100, moved_leads=moved)


def _metadata_job_ids(messages_: list[JSON], event: str) -> list[int]:
    return [
        m["metadata"]["event_payload"]["job_id"]
        for m in messages_
        if (m.get("metadata") or {}).get("event_type") == event
    ]


def _top_level_posts(slack: SlackStandIn) -> list[tuple[str, JSON]]:
    return [(channel, m) for channel, posted in slack.posted.items() for m in posted if not m.get("thread_ts")]


# --- the announcement ----------------------------------------------------------------------------------------


def test_the_announcement_is_posted_in_the_channel_with_the_job_in_its_metadata_and_its_ts_recorded(
    sqlite_db: Database, slack: SlackStandIn
) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = running_job(sqlite_db, "a" * 24)

    assert reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE)) == SENT

    [message] = slack.posted["C1"]
    assert message["metadata"] == {
        "event_type": messages.METADATA_EVENT_ANNOUNCEMENT,
        "event_payload": {"job_id": record.id, "instantly_job_id": "a" * 24},
    }
    assert f"Job #{record.id}" in str(message["blocks"])
    assert "a" * 24 not in str(message["blocks"]), "Instantly's id is for /leads status, not the channel"
    after = stored_job(sqlite_db, record.id)
    assert (after.announcement_channel, after.announcement_ts) == ("C1", message["ts"])


def test_the_announcement_row_is_marked_sending_before_slack_is_called(
    sqlite_db: Database, slack: SlackStandIn
) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = running_job(sqlite_db, "a" * 24)
    seen: list[tuple[str, int, bool]] = []

    def look(method: str, _args: JSON) -> None:
        if method == "chat.postMessage":
            [row] = outbox_rows(sqlite_db, job_id=record.id, kind=NotificationKind.ANNOUNCE)
            seen.append((row.state, row.attempts, row.attempted_at is not None))

    slack.before_call = look
    reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE))

    assert seen == [(NotificationState.SENDING, 1, True)], "a crash during the call must leave a trace to look for"


def test_an_announcement_already_recorded_is_not_posted_again(sqlite_db: Database, slack: SlackStandIn) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = _announced(sqlite_db, reporter, "a" * 24)
    slack.calls.clear()

    assert reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE)) == SENT
    assert slack.calls == []


@pytest.mark.parametrize("error", sorted(UNREACHABLE_CHANNEL))
def test_an_unreachable_channel_sends_the_announcement_to_the_requester_by_dm_saying_why(
    sqlite_db: Database, slack: SlackStandIn, error: str
) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = running_job(sqlite_db, "a" * 24, channel="C9", user="U7")
    slack.fail("chat.postMessage", error)

    assert reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE)) == SENT

    assert slack.posted["C9"] == []
    [dm] = slack.posted["DU7"]
    assert "could not post in <#C9>" in dm["text"]
    assert error.replace("_", " ") in dm["text"], "the requester should learn why"
    assert "/invite @leadmover" in dm["text"]
    assert _metadata_job_ids([dm], messages.METADATA_EVENT_ANNOUNCEMENT) == [record.id]
    after = stored_job(sqlite_db, record.id)
    assert (after.announcement_channel, after.announcement_ts) == ("DU7", dm["ts"])


@pytest.mark.parametrize("error", ["ratelimited", "msg_too_long", "token_revoked"])
def test_other_errors_on_the_announcement_reach_the_caller_and_nothing_goes_by_dm(
    sqlite_db: Database, slack: SlackStandIn, error: str
) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = running_job(sqlite_db, "a" * 24)
    slack.fail("chat.postMessage", error)

    with pytest.raises(SlackApiError) as raised:
        reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE))

    assert raised.value.response["error"] == error
    assert _top_level_posts(slack) == []
    assert stored_job(sqlite_db, record.id).announcement_ts is None


# --- progress edits ------------------------------------------------------------------------------------------


def test_a_progress_edit_updates_the_recorded_announcement_with_the_newest_state(
    sqlite_db: Database, slack: SlackStandIn
) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = _announced(sqlite_db, reporter, "a" * 24)
    for percent in (20, 60):
        polls.record_progress(
            sqlite_db, job_id=record.id, status="in-progress", progress=percent, moved_leads=None, next_poll_at=utcnow()
        )
    slack.calls.clear()

    assert reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.PROGRESS)) == SENT

    [edit] = slack.calls_to("chat.update")
    assert (edit.args["channel"], edit.args["ts"]) == ("C1", record.announcement_ts)
    assert "(60%)" in edit.args["text"]
    assert slack.calls_to("chat.postMessage") == []


def test_a_job_that_moves_on_while_its_edit_is_on_its_way_is_edited_again(
    sqlite_db: Database, slack: SlackStandIn
) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = _announced(sqlite_db, reporter, "e" * 24)
    polls.record_progress(
        sqlite_db, job_id=record.id, status="in-progress", progress=40, moved_leads=None, next_poll_at=utcnow()
    )
    edit = newest_notification(sqlite_db, record.id, NotificationKind.PROGRESS)

    def ends_meanwhile(method: str, _args: JSON) -> None:
        if method == "chat.update":
            # It ends in a transaction that still took this edit for one waiting (PostgreSQL lets it read the row
            # before the writer's claim is committed): its change is folded into the edit already drawn.
            slack.before_call = None
            _finished(sqlite_db, record)
            with sqlite_db.session() as session:  # the writer's claim, committed after that transaction read it
                session.execute(update(NotificationRow).where(NotificationRow.id == edit.id).values(lease_owner="w1"))

    slack.before_call = ends_meanwhile
    assert reporter.deliver(edit) == SENT
    assert "(40%)" in slack.calls_to("chat.update")[-1].args["text"]

    again = newest_notification(sqlite_db, record.id, NotificationKind.PROGRESS)
    assert again.id != edit.id
    assert reporter.deliver(again) == SENT
    assert "100%" in str(slack.calls_to("chat.update")[-1].args["blocks"])


def test_a_vanished_announcement_is_replaced_by_a_fresh_post_that_later_edits_and_replies_use(
    sqlite_db: Database, slack: SlackStandIn
) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = _announced(sqlite_db, reporter, "a" * 24)
    polls.record_progress(
        sqlite_db, job_id=record.id, status="in-progress", progress=50, moved_leads=None, next_poll_at=utcnow()
    )
    slack.fail("chat.update", "message_not_found")

    assert reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.PROGRESS)) == SENT

    first, fresh = slack.posted["C1"]
    assert first["ts"] == record.announcement_ts
    assert "could not update the earlier message" in fresh["text"]
    assert "(50%)" in fresh["text"]
    assert _metadata_job_ids([fresh], messages.METADATA_EVENT_ANNOUNCEMENT) == [record.id]
    after = stored_job(sqlite_db, record.id)
    assert (after.announcement_channel, after.announcement_ts) == ("C1", fresh["ts"])

    polls.record_progress(
        sqlite_db, job_id=record.id, status="in-progress", progress=70, moved_leads=None, next_poll_at=utcnow()
    )
    reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.PROGRESS))
    assert slack.calls_to("chat.update")[-1].args["ts"] == fresh["ts"]
    _finished(sqlite_db, after)
    reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.FINAL))
    assert len(slack.thread("C1", fresh["ts"])) == 1


def test_other_errors_on_an_edit_reach_the_caller_without_a_fresh_post(
    sqlite_db: Database, slack: SlackStandIn
) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = _announced(sqlite_db, reporter, "a" * 24)
    polls.record_progress(
        sqlite_db, job_id=record.id, status="in-progress", progress=50, moved_leads=None, next_poll_at=utcnow()
    )
    slack.fail("chat.update", "ratelimited", retry_after=3)

    with pytest.raises(SlackApiError):
        reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.PROGRESS))
    assert len(slack.posted["C1"]) == 1
    assert stored_job(sqlite_db, record.id).announcement_ts == record.announcement_ts


def test_an_edit_without_an_announcement_to_edit_calls_nothing(sqlite_db: Database, slack: SlackStandIn) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = running_job(sqlite_db, "a" * 24)  # its announcement never went out
    polls.record_progress(
        sqlite_db, job_id=record.id, status="in-progress", progress=50, moved_leads=None, next_poll_at=utcnow()
    )

    assert reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.PROGRESS)) == SENT
    assert slack.calls == []


# --- the final reply -----------------------------------------------------------------------------------------


def test_the_final_reply_goes_once_into_the_announcements_thread_and_queues_the_announcements_last_edit(
    sqlite_db: Database, slack: SlackStandIn
) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = _announced(sqlite_db, reporter, "a" * 24)
    _finished(sqlite_db, record, moved=12)
    final = newest_notification(sqlite_db, record.id, NotificationKind.FINAL)

    assert reporter.deliver(final) == SENT
    assert reporter.deliver(final) == SENT  # delivered twice (say, claimed twice): still one reply

    [reply] = slack.thread("C1", str(record.announcement_ts))
    assert len(slack.posted["C1"]) == 2, "the announcement and its one reply"
    assert "completed" in reply["text"]
    assert "12 leads moved" in reply["text"]
    assert _metadata_job_ids([reply], messages.METADATA_EVENT_FINAL) == [record.id]
    after = stored_job(sqlite_db, record.id)
    assert (after.final_reply_ts, after.phase) == (reply["ts"], Phase.DONE)
    [edit] = outbox_rows(sqlite_db, job_id=record.id, kind=NotificationKind.PROGRESS)
    assert edit.state == NotificationState.PENDING, "the announcement still needs its final edit"


def test_without_an_announcement_the_final_reply_stands_alone_in_the_requesters_dm(
    sqlite_db: Database, slack: SlackStandIn
) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = running_job(sqlite_db, "a" * 24, user="U7")
    _finished(sqlite_db, record)

    assert reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.FINAL)) == SENT

    [reply] = slack.posted["DU7"]
    assert "thread_ts" not in reply
    assert slack.posted["C1"] == []
    assert stored_job(sqlite_db, record.id).final_reply_ts == reply["ts"]


# --- recovering a row left "sending" ----------------------------------------------------------------------------


def test_an_announcement_that_reached_slack_before_its_answer_was_lost_is_found_and_not_posted_again(
    sqlite_db: Database, slack: SlackStandIn
) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = running_job(sqlite_db, "a" * 24)
    slack.lose_answer("chat.postMessage")
    with pytest.raises(ConnectionResetError, match="reached Slack"):
        reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE))
    [posted] = slack.posted["C1"]
    assert stored_job(sqlite_db, record.id).announcement_ts is None
    retry = newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE)
    assert retry.state == NotificationState.SENDING
    assert retry.attempted_at is not None

    assert reporter.deliver(retry) == SENT

    assert [c.args["channel"] for c in slack.calls_to("conversations.history")] == ["C1"]
    assert len(slack.calls_to("chat.postMessage")) == 1, "posted once, before the answer was lost"
    after = stored_job(sqlite_db, record.id)
    assert (after.announcement_channel, after.announcement_ts) == ("C1", posted["ts"])


def test_an_announcement_that_went_by_dm_is_found_in_the_requesters_dm(
    sqlite_db: Database, slack: SlackStandIn
) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = running_job(sqlite_db, "a" * 24, channel="C9", user="U7")
    slack.fail("chat.postMessage", "not_in_channel")
    slack.lose_answer("chat.postMessage", times=2)  # the refusal, then the DM that got out
    with pytest.raises(ConnectionResetError, match="reached Slack"):
        reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE))
    [dm] = slack.posted["DU7"]
    slack.lost_answers.clear()

    assert reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE)) == SENT

    assert [c.args["channel"] for c in slack.calls_to("conversations.history")] == ["DU7"], "only where it went"
    assert len(slack.calls_to("chat.postMessage")) == 2, "the refused post and the DM; nothing since"
    after = stored_job(sqlite_db, record.id)
    assert (after.announcement_channel, after.announcement_ts) == ("DU7", dm["ts"])


def test_a_final_reply_that_reached_slack_is_found_in_the_thread_and_not_posted_again(
    sqlite_db: Database, slack: SlackStandIn
) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = _finished(sqlite_db, _announced(sqlite_db, reporter, "a" * 24))
    slack.lose_answer("chat.postMessage")
    with pytest.raises(ConnectionResetError, match="reached Slack"):
        reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.FINAL))
    [reply] = slack.thread("C1", str(record.announcement_ts))

    assert reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.FINAL)) == SENT

    [look] = slack.calls_to("conversations.replies")
    assert (look.args["channel"], look.args["ts"]) == ("C1", record.announcement_ts)
    assert len(slack.thread("C1", str(record.announcement_ts))) == 1
    assert stored_job(sqlite_db, record.id).final_reply_ts == reply["ts"]


def test_a_sending_row_whose_message_is_not_in_slack_is_posted_once(sqlite_db: Database, slack: SlackStandIn) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    other = _announced(sqlite_db, reporter, "b" * 24)  # another job's announcement is in the same channel
    record = running_job(sqlite_db, "a" * 24)
    slack.fail("chat.postMessage", "internal_error")  # Slack answered: nothing was posted, but the row says sending
    with pytest.raises(SlackApiError):
        reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE))
    retry = newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE)
    assert retry.state == NotificationState.SENDING

    assert reporter.deliver(retry) == SENT

    assert slack.calls_to("conversations.history"), "it looked first"
    assert _metadata_job_ids(slack.posted["C1"], messages.METADATA_EVENT_ANNOUNCEMENT) == [other.id, record.id]
    assert stored_job(sqlite_db, record.id).announcement_ts == slack.posted["C1"][-1]["ts"]


def test_a_pending_row_is_posted_without_looking(sqlite_db: Database, slack: SlackStandIn) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = running_job(sqlite_db, "a" * 24)

    reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE))
    _finished(sqlite_db, stored_job(sqlite_db, record.id))
    reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.FINAL))

    assert [c.method for c in slack.calls] == ["chat.postMessage", "chat.postMessage"]


@pytest.mark.parametrize("error", ["channel_not_found", "missing_scope", "not_in_channel"])
def test_when_slack_will_not_let_it_look_it_posts_rather_than_lose_the_message(
    sqlite_db: Database, slack: SlackStandIn, error: str
) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = running_job(sqlite_db, "a" * 24)
    slack.fail("chat.postMessage", "internal_error")  # a first attempt leaves the row "sending"
    with pytest.raises(SlackApiError):
        reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE))
    slack.fail("conversations.history", error)  # the channel it went to cannot be read

    assert reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE)) == SENT

    assert len(slack.calls_to("conversations.history")) == 1
    [announcement] = slack.posted["C1"]
    assert stored_job(sqlite_db, record.id).announcement_ts == announcement["ts"]


def test_a_final_reply_whose_thread_cannot_be_read_is_posted(sqlite_db: Database, slack: SlackStandIn) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = _finished(sqlite_db, _announced(sqlite_db, reporter, "a" * 24))
    slack.fail("chat.postMessage", "internal_error")
    with pytest.raises(SlackApiError):
        reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.FINAL))
    slack.fail("conversations.replies", "channel_not_found")

    assert reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.FINAL)) == SENT

    assert len(slack.thread("C1", str(record.announcement_ts))) == 1


@pytest.mark.parametrize("error", ["ratelimited", "token_revoked", "invalid_auth"])
def test_rate_limits_and_dead_tokens_while_looking_reach_the_caller_and_nothing_is_posted(
    sqlite_db: Database, slack: SlackStandIn, error: str
) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = running_job(sqlite_db, "a" * 24)
    slack.fail("chat.postMessage", "internal_error")
    with pytest.raises(SlackApiError):
        reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE))
    slack.fail("conversations.history", error, retry_after=5 if error == "ratelimited" else None)

    with pytest.raises(SlackApiError) as raised:
        reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE))

    assert raised.value.response["error"] == error
    assert slack.posted["C1"] == []
    assert len(slack.calls_to("chat.postMessage")) == 1, "only the first, refused attempt"


# --- notes to the requester ----------------------------------------------------------------------------------


def test_a_move_that_did_not_start_is_told_to_the_requester_alone(sqlite_db: Database, slack: SlackStandIn) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = requested_job(sqlite_db, channel="C3", user="U7")
    jobs.mark_start_failed(sqlite_db, job_id=record.id, error="Instantly says the campaign is gone.")

    assert reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.NOTE)) == SENT

    [note] = slack.calls_to("chat.postEphemeral")
    assert (note.args["channel"], note.args["user"]) == ("C3", "U7")
    assert "did not start: Instantly says the campaign is gone." in note.args["text"]
    assert slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize("error", ["channel_not_found", "user_not_in_channel", "not_in_channel"])
def test_a_note_that_cannot_be_shown_in_the_channel_goes_by_dm(
    sqlite_db: Database, slack: SlackStandIn, error: str
) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = requested_job(sqlite_db, channel="C3", user="U7")
    jobs.mark_start_failed(sqlite_db, job_id=record.id, error="Instantly says the campaign is gone.")
    slack.fail("chat.postEphemeral", error)

    assert reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.NOTE)) == SENT

    [dm] = slack.posted["DU7"]
    assert "did not start: Instantly says the campaign is gone." in dm["text"]
    assert slack.posted["C3"] == []


@pytest.mark.parametrize("error", ["ratelimited", "token_revoked"])
def test_a_note_meeting_a_rate_limit_or_dead_token_reaches_the_caller_without_a_dm(
    sqlite_db: Database, slack: SlackStandIn, error: str
) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = requested_job(sqlite_db)
    jobs.mark_start_failed(sqlite_db, job_id=record.id, error="No.")
    slack.fail("chat.postEphemeral", error)

    with pytest.raises(SlackApiError):
        reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.NOTE))
    assert slack.calls_to("chat.postMessage") == []


def test_a_row_whose_job_was_deleted_is_done_without_a_word(sqlite_db: Database, slack: SlackStandIn) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    gone = Notification(
        id=1,
        team_id="T1",
        job_id=4242,
        kind=NotificationKind.ANNOUNCE,
        channel_id="C1",
        state=NotificationState.PENDING,
        attempts=0,
        detail=None,
        attempted_at=None,
        sent_to=None,
    )

    assert reporter.deliver(gone) == SENT
    assert slack.calls == []


# --- modals --------------------------------------------------------------------------------------------------


def test_update_view_replaces_the_modal(sqlite_db: Database, slack: SlackStandIn) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    view: JSON = {"type": "modal", "title": {"type": "plain_text", "text": "Move leads"}, "blocks": []}

    reporter.update_view(team_id="T1", view_id="V1", view=view)

    [call] = slack.calls_to("views.update")
    assert call.args["view_id"] == "V1"
    assert call.args["view"] == view


@pytest.mark.parametrize("error", ["not_found", "view_not_found", "ratelimited", "token_revoked"])
def test_update_view_swallows_slacks_errors(sqlite_db: Database, slack: SlackStandIn, error: str) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    slack.fail("views.update", error)

    reporter.update_view(team_id="T1", view_id="V1", view={"type": "modal", "blocks": []})  # raises nothing

    assert len(slack.calls_to("views.update")) == 1


def test_update_view_waits_until_not_before(sqlite_db: Database, slack: SlackStandIn) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    called_at: list[float] = []
    slack.before_call = lambda method, _args: called_at.append(time.monotonic())
    start = time.monotonic()

    reporter.update_view(team_id="T1", view_id="V1", view={"type": "modal", "blocks": []}, not_before=start + 0.15)

    assert called_at[0] - start >= 0.15


# --- Slack's 2025 history limits ---------------------------------------------------------------------------------


def _left_sending(db: Database, reporter: Reporter, slack: SlackStandIn, **requested: Any) -> JobRecord:
    """A job whose announcement may or may not have reached Slack: the attempt's answer was lost."""
    record = running_job(db, f"{len(slack.calls):024x}", **requested)
    slack.lose_answer("chat.postMessage")
    with pytest.raises(ConnectionResetError):
        reporter.deliver(newest_notification(db, record.id, NotificationKind.ANNOUNCE))
    slack.lost_answers.clear()
    return record


def test_a_workspace_looks_at_its_history_at_most_once_a_minute_and_waits_rather_than_post(
    sqlite_db: Database, slack: SlackStandIn
) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    first = _left_sending(sqlite_db, reporter, slack, channel="C1")
    second = _left_sending(sqlite_db, reporter, slack, channel="C2")
    elsewhere = _left_sending(sqlite_db, reporter, slack, channel="C3", team="T2")
    posts_before = len(slack.calls_to("chat.postMessage"))

    assert reporter.deliver(newest_notification(sqlite_db, first.id, NotificationKind.ANNOUNCE)) == SENT
    with pytest.raises(LookLater) as waiting:
        reporter.deliver(newest_notification(sqlite_db, second.id, NotificationKind.ANNOUNCE))
    other_team = reporter.deliver(newest_notification(sqlite_db, elsewhere.id, NotificationKind.ANNOUNCE))

    assert 55 <= waiting.value.seconds <= 60
    assert other_team == SENT, "the limit is per workspace"
    assert len(slack.calls_to("conversations.history")) == 2
    assert len(slack.calls_to("chat.postMessage")) == posts_before, "found, not posted again"


def test_history_is_read_from_the_send_time_and_at_most_fifteen_messages(
    sqlite_db: Database, slack: SlackStandIn
) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = _left_sending(sqlite_db, reporter, slack)
    sent_at = newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE).attempted_at
    assert sent_at is not None

    reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE))

    [look] = slack.calls_to("conversations.history")
    assert int(look.args["limit"]) <= 15
    oldest = float(look.args["oldest"])
    assert sent_at.replace(tzinfo=UTC).timestamp() - 10 <= oldest <= sent_at.replace(tzinfo=UTC).timestamp()


def test_a_thread_is_read_from_the_send_time_and_at_most_fifteen_replies(
    sqlite_db: Database, slack: SlackStandIn
) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = _finished(sqlite_db, _announced(sqlite_db, reporter, "a" * 24))
    slack.lose_answer("chat.postMessage")
    with pytest.raises(ConnectionResetError):
        reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.FINAL))
    slack.lost_answers.clear()

    assert reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.FINAL)) == SENT

    [look] = slack.calls_to("conversations.replies")
    assert int(look.args["limit"]) <= 15
    assert "oldest" in look.args


def test_a_post_is_marked_sent_in_the_transaction_that_records_where_it_went(
    sqlite_db: Database, slack: SlackStandIn
) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = _announced(sqlite_db, reporter, "a" * 24)
    [announcement] = outbox_rows(sqlite_db, job_id=record.id, kind=NotificationKind.ANNOUNCE)
    _finished(sqlite_db, record)

    delivery = reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.FINAL))

    [reply] = outbox_rows(sqlite_db, job_id=record.id, kind=NotificationKind.FINAL)
    assert delivery.recorded, "the writer need not mark it again"
    assert (announcement.state, reply.state) == (NotificationState.SENT, NotificationState.SENT)
    assert (announcement.lease_owner, reply.lease_owner) == (None, None)

"""A job told in another job's thread (a move back, in the thread of the move it takes back): its announcement is a
reply there, its edits change that reply, its final reply joins the same thread, and a crash mid-post is looked for
in that thread, not in the channel."""

from __future__ import annotations

import pytest

from bot.slack.reporter import SENT, Reporter
from storage import jobs, polls, submissions
from storage.clock import utcnow
from storage.db import Database
from storage.models import NotificationKind
from storage.records import JobRecord
from tests.factories import an_order, for_every_team, newest_notification, stored_job
from tests.stand_ins import SlackStandIn

PARENT = "1700000000.000100"


@pytest.fixture
def slack() -> SlackStandIn:
    stand_in = SlackStandIn()
    stand_in.posted["C1"].append({"channel": "C1", "ts": PARENT, "text": "the move being taken back"})
    return stand_in


def _in_thread(db: Database, *, thread_ts: str | None = PARENT, channel: str = "C1") -> JobRecord:
    submitted = submissions.record_submitted(
        db,
        submission_key="undo:1:0",
        team_id="T1",
        channel_id=channel,
        user_id="U1",
        order=an_order(),
        owner="web-1",
        lease_seconds=30,
        thread_ts=thread_ts,
    )
    assert submitted is not None
    return jobs.attach_job(
        db,
        job_id=submitted.record.id,
        instantly_job_id="a" * 24,
        status="in-progress",
        progress=0,
        next_poll_at=utcnow(),
    )


def test_the_announcement_is_a_reply_in_the_thread_and_the_final_reply_joins_that_thread(
    sqlite_db: Database, slack: SlackStandIn
) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = _in_thread(sqlite_db)
    assert record.thread_ts == PARENT

    assert reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE)) == SENT
    [announcement] = slack.calls_to("chat.postMessage")
    assert announcement.args["thread_ts"] == PARENT
    announced = stored_job(sqlite_db, record.id)
    assert announced.announcement_channel == "C1"
    assert announced.reply_thread == PARENT, "replies go to the parent, never under a reply"

    polls.record_progress(
        sqlite_db, job_id=record.id, status="in-progress", progress=50, moved_leads=None, next_poll_at=utcnow()
    )
    assert reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.PROGRESS)) == SENT
    [edit] = slack.calls_to("chat.update")
    assert edit.args["ts"] == announced.announcement_ts

    jobs.finish(sqlite_db, job_id=record.id, status="success", progress=100, moved_leads=3)
    assert reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.FINAL)) == SENT
    final = slack.calls_to("chat.postMessage")[-1]
    assert final.args["thread_ts"] == PARENT
    finished = stored_job(sqlite_db, record.id)
    assert [m["ts"] for m in slack.thread("C1", PARENT)] == [announced.announcement_ts, finished.final_reply_ts]


def test_an_announcement_lost_mid_post_is_looked_for_in_the_thread(sqlite_db: Database, slack: SlackStandIn) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = _in_thread(sqlite_db)
    slack.lose_answer("chat.postMessage")
    with pytest.raises(ConnectionResetError, match="reached Slack"):
        reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE))
    [posted] = slack.thread("C1", PARENT)

    assert reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE)) == SENT

    [look] = slack.calls_to("conversations.replies")
    assert (look.args["channel"], look.args["ts"]) == ("C1", PARENT)
    assert slack.calls_to("conversations.history") == []
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert stored_job(sqlite_db, record.id).announcement_ts == posted["ts"]


def test_a_job_whose_thread_channel_refuses_it_is_told_by_dm_in_a_thread_of_its_own(
    sqlite_db: Database, slack: SlackStandIn
) -> None:
    reporter = Reporter(slack=for_every_team(slack), db=sqlite_db)
    record = _in_thread(sqlite_db)
    slack.fail("chat.postMessage", "is_archived")

    assert reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE)) == SENT
    dm = slack.calls_to("chat.postMessage")[-1]
    assert dm.args["channel"] == "U1"
    assert dm.args.get("thread_ts") is None, "the channel's thread is not in the DM"
    announced = stored_job(sqlite_db, record.id)
    assert announced.reply_thread == announced.announcement_ts

    jobs.finish(sqlite_db, job_id=record.id, status="failed", progress=100, moved_leads=0)
    assert reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.FINAL)) == SENT
    assert slack.calls_to("chat.postMessage")[-1].args["thread_ts"] == announced.announcement_ts

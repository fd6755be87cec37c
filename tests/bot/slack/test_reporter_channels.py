"""The reporter follows each channel's settings: failures broadcast and mention their requester, successes mention
only where wanted, and a channel that hears only of failures gets nothing from a success but the whole story of a
failure (its announcement at the end, then the reply under it), crash-safe like any other post."""

from __future__ import annotations

from typing import Any

import pytest

from bot.slack.blocks import messages
from bot.slack.reporter import SENT, Reporter
from storage import channel_settings, jobs, polls
from storage.channel_settings import ChannelSettings
from storage.db import Database
from storage.models import AnnounceMode, NotificationKind, NotificationState, Phase
from storage.records import JobRecord
from tests.factories import for_every_team, newest_notification, outbox_rows, running_job, stored_job
from tests.stand_ins import SlackStandIn

ONLY_FAILURES = ChannelSettings(announce=AnnounceMode.FAILURES)


@pytest.fixture
def slack() -> SlackStandIn:
    return SlackStandIn()


@pytest.fixture
def reporter(sqlite_db: Database, slack: SlackStandIn) -> Reporter:
    return Reporter(slack=for_every_team(slack), db=sqlite_db)


def _settle(db: Database, settings: ChannelSettings) -> None:
    channel_settings.save(db, team_id="T1", channel_id="C1", settings=settings, set_by="U9")


def _announce(db: Database, reporter: Reporter) -> JobRecord:
    record = running_job(db, "a" * 24, status="in-progress")
    assert reporter.deliver(newest_notification(db, record.id, NotificationKind.ANNOUNCE)) == SENT
    return stored_job(db, record.id)


def _end(db: Database, reporter: Reporter, record: JobRecord, status: str, **kwargs: Any) -> JobRecord:
    jobs.finish(
        db, job_id=record.id, status=status, progress=100 if status == "success" else 30, moved_leads=12, **kwargs
    )
    assert reporter.deliver(newest_notification(db, record.id, NotificationKind.FINAL)) == SENT
    return stored_job(db, record.id)


def _broadcast(call_args: dict[str, Any]) -> bool:
    return call_args.get("reply_broadcast") in (True, "true", "1", 1)


def test_a_failure_is_broadcast_to_the_channel_and_mentions_its_requester(
    sqlite_db: Database, reporter: Reporter, slack: SlackStandIn
) -> None:
    record = _end(sqlite_db, reporter, _announce(sqlite_db, reporter), "failed")

    reply = slack.calls_to("chat.postMessage")[-1].args
    assert reply["thread_ts"] == record.announcement_ts
    assert _broadcast(reply)
    assert "<@U1>" in reply["text"]


def test_a_success_stays_in_its_thread_and_mentions_no_one_by_default(
    sqlite_db: Database, reporter: Reporter, slack: SlackStandIn
) -> None:
    _end(sqlite_db, reporter, _announce(sqlite_db, reporter), "success")

    reply = slack.calls_to("chat.postMessage")[-1].args
    assert not _broadcast(reply)
    assert "<@U1>" not in reply["text"]
    assert "12 leads moved" in reply["text"]


def test_a_channel_may_want_successes_mentioned_and_failures_kept_in_the_thread(
    sqlite_db: Database, reporter: Reporter, slack: SlackStandIn
) -> None:
    _settle(sqlite_db, ChannelSettings(broadcast_failures=False, mention_on_success=True))
    _end(sqlite_db, reporter, _announce(sqlite_db, reporter), "success")
    assert "<@U1>" in slack.calls_to("chat.postMessage")[-1].args["text"]

    other = running_job(sqlite_db, "b" * 24, status="in-progress")
    reporter.deliver(newest_notification(sqlite_db, other.id, NotificationKind.ANNOUNCE))
    _end(sqlite_db, reporter, stored_job(sqlite_db, other.id), "failed")
    assert not _broadcast(slack.calls_to("chat.postMessage")[-1].args)


def test_a_reply_by_dm_is_never_broadcast(sqlite_db: Database, reporter: Reporter, slack: SlackStandIn) -> None:
    record = running_job(sqlite_db, "a" * 24, user="U7")  # its announcement never got out

    _end(sqlite_db, reporter, record, "failed")

    assert not _broadcast(slack.calls_to("chat.postMessage")[-1].args)


def test_only_failures_a_success_posts_nothing_at_all(
    sqlite_db: Database, reporter: Reporter, slack: SlackStandIn
) -> None:
    _settle(sqlite_db, ONLY_FAILURES)
    record = running_job(sqlite_db, "a" * 24, status="in-progress")

    assert reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE)) == SENT
    held = stored_job(sqlite_db, record.id)
    assert held.announcement_held
    polls.record_progress(
        sqlite_db, job_id=record.id, status="in-progress", progress=60, moved_leads=None, next_poll_at=held.next_poll_at
    )
    assert reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.PROGRESS)) == SENT
    done = _end(sqlite_db, reporter, held, "success")

    assert slack.calls == [], "no announcement, no edit, no reply"
    assert (done.phase, done.announcement_ts, done.final_reply_ts) == (Phase.DONE, None, None)
    edits = outbox_rows(sqlite_db, job_id=record.id, kind=NotificationKind.PROGRESS)
    assert len(edits) == 1, "the quiet end queues no edit of an announcement that never was"


def test_only_failures_a_failure_posts_its_announcement_then_the_reply_under_it(
    sqlite_db: Database, reporter: Reporter, slack: SlackStandIn
) -> None:
    _settle(sqlite_db, ONLY_FAILURES)
    record = running_job(sqlite_db, "a" * 24, status="in-progress")
    reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE))
    assert slack.calls == []

    done = _end(sqlite_db, reporter, stored_job(sqlite_db, record.id), "failed")

    [announcement] = [m for m in slack.posted["C1"] if "thread_ts" not in m]
    [reply] = slack.thread("C1", announcement["ts"])
    assert announcement["metadata"]["event_type"] == messages.METADATA_EVENT_ANNOUNCEMENT
    assert "Failed" in announcement["text"], "the announcement shows how it ended"
    assert reply["metadata"]["event_type"] == messages.METADATA_EVENT_FINAL
    assert _broadcast(slack.calls_to("chat.postMessage")[-1].args)
    assert (done.announcement_ts, done.final_reply_ts, done.phase) == (announcement["ts"], reply["ts"], Phase.DONE)


def test_only_failures_a_job_that_failed_before_its_announcement_went_out_is_announced_at_once(
    sqlite_db: Database, reporter: Reporter, slack: SlackStandIn
) -> None:
    _settle(sqlite_db, ONLY_FAILURES)
    record = running_job(sqlite_db, "a" * 24, status="in-progress")
    jobs.finish(sqlite_db, job_id=record.id, status="failed", progress=10, moved_leads=None)

    reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE))
    reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.FINAL))

    [announcement] = [m for m in slack.posted["C1"] if "thread_ts" not in m]
    assert len(slack.thread("C1", announcement["ts"])) == 1


def test_a_job_announced_before_the_channel_went_quiet_still_gets_its_reply(
    sqlite_db: Database, reporter: Reporter, slack: SlackStandIn
) -> None:
    record = _announce(sqlite_db, reporter)
    _settle(sqlite_db, ONLY_FAILURES)

    _end(sqlite_db, reporter, record, "success")

    assert len(slack.thread("C1", str(record.announcement_ts))) == 1, "a thread once opened is closed"


def test_only_failures_a_crash_after_the_late_announcement_posts_neither_twice(
    sqlite_db: Database, reporter: Reporter, slack: SlackStandIn
) -> None:
    _settle(sqlite_db, ONLY_FAILURES)
    record = running_job(sqlite_db, "a" * 24, status="in-progress")
    reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.ANNOUNCE))
    jobs.finish(sqlite_db, job_id=record.id, status="failed", progress=30, moved_leads=3)
    slack.lose_answer("chat.postMessage")  # the late announcement reaches Slack; its answer does not come back
    with pytest.raises(ConnectionResetError, match="reached Slack"):
        reporter.deliver(newest_notification(sqlite_db, record.id, NotificationKind.FINAL))
    retry = newest_notification(sqlite_db, record.id, NotificationKind.FINAL)
    assert retry.state == NotificationState.SENDING

    assert reporter.deliver(retry) == SENT

    [announcement] = [m for m in slack.posted["C1"] if "thread_ts" not in m]
    assert len(slack.thread("C1", announcement["ts"])) == 1
    assert len(slack.calls_to("conversations.history")) == 1, "the announcement was looked for once"
    assert slack.calls_to("conversations.replies") == [], "the reply was never attempted: no need to look"
    assert stored_job(sqlite_db, record.id).announcement_ts == announcement["ts"]

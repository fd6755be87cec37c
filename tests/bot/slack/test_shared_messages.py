"""Watched jobs found together share one Slack message, through the real writer and reporter over the outbox.

Covered, one drain() at a time: four or more announcements waiting in a channel go as one message that names every
job in its metadata, fewer go one by one in the order they were queued; the shared message is edited once for all
its jobs; endings are gathered into one reply in its thread, failures first, calling the watcher where the channel
says so; and a shared message or reply whose answer was lost is found in one look and not posted again.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import update

from bot.slack.reporter import Reporter
from bot.slack.writer import SlackWriter
from storage import channel_settings, jobs, polls, tracked
from storage.clock import utcnow
from storage.db import Database
from storage.models import NotificationKind, NotificationRow, NotificationState
from storage.records import JobRecord
from storage.shared_messages import MAX_JOBS, REPLY_GATHER_SECONDS, SHARED_FROM
from tests.factories import for_every_team, outbox_rows, stored_job
from tests.stand_ins import SlackStandIn

JSON = dict[str, Any]
CHANNEL, WATCHER = "C1", "U0WATCHER"


@pytest.fixture
def slack() -> SlackStandIn:
    return SlackStandIn()


def _writer(db: Database, slack: SlackStandIn) -> SlackWriter:
    reporter = Reporter(slack=for_every_team(slack), db=db, history_spacing=0.0)
    return SlackWriter(db=db, reporter=reporter, owner="writer-1", lease_seconds=30)


def _watched(db: Database, count: int, *, status: str = "in-progress") -> list[JobRecord]:
    """Jobs a watch found in one round, their announcements waiting."""
    return [
        tracked.record_tracked(
            db,
            team_id="T1",
            channel_id=CHANNEL,
            user_id=WATCHER,
            instantly_job_id=f"{n:024x}",
            job_type="import-leads",
            status=status,
            progress=0,
            next_poll_at=utcnow(),
            started_at=utcnow(),
            via="watch",
            via_name=f"Import leads into list *List {n}*, started by Ann Lee",
        ).record
        for n in range(count)
    ]


def _due_now(db: Database) -> None:
    """Every write due now, free of any lease: what the writer's next rounds would find once their waits passed."""
    with db.session() as session:
        session.execute(update(NotificationRow).values(not_before=utcnow(), lease_owner=None, lease_expires_at=None))


def _named(message: JSON) -> list[int]:
    return [int(i) for i in message["metadata"]["event_payload"]["job_ids"].split(",")]


def _top_level(slack: SlackStandIn) -> list[JSON]:
    return [m for m in slack.posted[CHANNEL] if not m.get("thread_ts")]


def _end(db: Database, record: JobRecord, status: str = "success") -> JobRecord:
    return jobs.finish(
        db, job_id=record.id, status=status, progress=100, moved_leads=None, counts={"success_count": 40}
    )


def test_four_jobs_waiting_in_a_channel_share_one_message_naming_each(db: Database, slack: SlackStandIn) -> None:
    found = _watched(db, SHARED_FROM)

    assert _writer(db, slack).drain() == 1

    [message] = _top_level(slack)
    assert _named(message) == [record.id for record in found]
    assert f"{SHARED_FROM} new Instantly jobs" in message["text"]
    assert all(f"List {n}" in str(message["blocks"]) for n in range(SHARED_FROM))
    assert {stored_job(db, record.id).announcement_ts for record in found} == {message["ts"]}
    rows = outbox_rows(db, kind=NotificationKind.ANNOUNCE)
    assert {row.state for row in rows} == {NotificationState.SENT}


def test_fewer_go_one_by_one_in_the_order_they_were_found(db: Database, slack: SlackStandIn) -> None:
    found = _watched(db, SHARED_FROM - 1)
    for _ in found:
        _writer(db, slack).drain()  # a writer of its own each time: the channel's next second
    posted = _top_level(slack)
    assert [m["metadata"]["event_payload"]["job_id"] for m in posted] == [record.id for record in found]
    assert all("job_ids" not in m["metadata"]["event_payload"] for m in posted), "each in a message of its own"


def test_a_message_names_at_most_fifty_jobs_and_the_rest_follow(db: Database, slack: SlackStandIn) -> None:
    found = _watched(db, MAX_JOBS + 5)
    _writer(db, slack).drain()
    _writer(db, slack).drain()
    first, second = _top_level(slack)
    assert _named(first) == [record.id for record in found[:MAX_JOBS]]
    assert _named(second) == [record.id for record in found[MAX_JOBS:]]
    assert len(first["blocks"]) <= 50


def test_the_shared_message_is_edited_once_for_all_its_jobs(db: Database, slack: SlackStandIn) -> None:
    found = _watched(db, 5)
    _writer(db, slack).drain()
    slack.calls.clear()
    for percent, record in zip((20, 40, 60), found, strict=False):
        polls.record_progress(
            db, job_id=record.id, status="in-progress", progress=percent, moved_leads=None, next_poll_at=utcnow()
        )

    _writer(db, slack).drain()

    [edit] = slack.calls_to("chat.update")
    assert edit.args["ts"] == stored_job(db, found[0].id).announcement_ts
    assert all(f"{percent}%" in str(edit.args["blocks"]) for percent in (20, 40, 60))
    progress = outbox_rows(db, kind=NotificationKind.PROGRESS)
    assert {row.state for row in progress} == {NotificationState.SENT}, "the other two were covered by the one edit"


def test_endings_are_gathered_into_one_reply_failures_first_calling_the_watcher(
    db: Database, slack: SlackStandIn
) -> None:
    settings = channel_settings.get(db, team_id="T1", channel_id=CHANNEL)
    channel_settings.save(
        db, team_id="T1", channel_id=CHANNEL, settings=replace(settings, mention_watchers=True), set_by=WATCHER
    )
    found = _watched(db, 5)
    _writer(db, slack).drain()
    _end(db, found[0])
    _end(db, found[3], status="failed")
    [reply_row, *_] = outbox_rows(db, kind=NotificationKind.FINAL)
    assert (reply_row.not_before - reply_row.created_at).total_seconds() >= REPLY_GATHER_SECONDS - 0.1
    _due_now(db)

    writer = _writer(db, slack)
    writer.drain()
    writer.drain()

    [reply] = [m for m in slack.posted[CHANNEL] if m.get("thread_ts")]
    assert reply["thread_ts"] == stored_job(db, found[0].id).announcement_ts
    assert _named(reply) == [found[0].id, found[3].id]
    text = str(reply["blocks"])
    assert f"<@{WATCHER}>" in reply["text"]
    assert text.index(f"#{found[3].id}") < text.index(f"#{found[0].id}"), "the failure reads first"
    assert "40 succeeded" in text
    [call] = slack.calls_to("chat.postMessage")[-1:]
    assert call.args.get("reply_broadcast") in (True, "true", "1", 1), "a failure is shown in the channel too"
    assert stored_job(db, found[0].id).final_reply_ts == reply["ts"]
    assert stored_job(db, found[1].id).final_reply_ts is None


def test_a_shared_message_whose_answer_was_lost_is_found_in_one_look(db: Database, slack: SlackStandIn) -> None:
    found = _watched(db, 6)
    slack.lose_answer("chat.postMessage")
    _writer(db, slack).drain()
    assert {row.state for row in outbox_rows(db, kind=NotificationKind.ANNOUNCE)} == {NotificationState.SENDING}
    _due_now(db)

    _writer(db, slack).drain()

    assert len(slack.calls_to("chat.postMessage")) == 1, "posted once, before the answer was lost"
    assert len(slack.calls_to("conversations.history")) == 1, "one look settles all six"
    [message] = _top_level(slack)
    assert {stored_job(db, record.id).announcement_ts for record in found} == {message["ts"]}


def test_a_shared_reply_whose_answer_was_lost_is_found_in_the_thread(db: Database, slack: SlackStandIn) -> None:
    found = _watched(db, 4)
    _writer(db, slack).drain()
    for record in found:
        _end(db, record)
    _due_now(db)
    slack.lose_answer("chat.postMessage")
    writer = _writer(db, slack)
    writer.drain()
    writer.drain()
    _due_now(db)

    _writer(db, slack).drain()

    replies = [m for m in slack.posted[CHANNEL] if m.get("thread_ts")]
    assert len(replies) == 1
    assert _named(replies[0]) == [record.id for record in found]
    assert len(slack.calls_to("conversations.replies")) == 1
    assert {stored_job(db, record.id).final_reply_ts for record in found} == {replies[0]["ts"]}

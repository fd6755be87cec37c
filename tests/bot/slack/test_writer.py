"""The Slack writer drains the outbox in priority order within Slack's rate limits.

Covered, one drain() at a time: final replies before announcements and notes before progress edits; several
progress changes coalescing into one edit that shows the newest state; about one post a second per channel;
edits within the per-workspace token bucket; `ratelimited` holding back only what Slack limited (a workspace's
edits, or one channel's posts); a revoked token stopping its workspace's writes; giving up after MAX_ATTEMPTS
Slack errors; a network error leaving the row "maybe sent" so the next attempt looks before posting; and stop()
handing back what was claimed. Rows' state and not_before are read from the database rather than waited for.
"""

from __future__ import annotations

import itertools
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot.slack import writer as writer_module
from bot.slack.reporter import Reporter
from bot.slack.writer import EDIT_BURST, MAX_ATTEMPTS, SlackWriter
from storage import jobs, outbox, outbox_claims, polls, workspaces
from storage.clock import utcnow
from storage.db import Database
from storage.models import NotificationKind, NotificationRow, NotificationState
from storage.outbox_claims import EDITS_KEPT_FOR_ENDS
from storage.records import JobRecord
from tests.factories import for_every_team, newest_outbox_row, requested_job, running_job, stored_job
from tests.stand_ins import SlackCall, SlackStandIn


@pytest.fixture
def slack() -> SlackStandIn:
    return SlackStandIn()


def _writer(db: Database, slack: SlackStandIn, owner: str = "writer-1", *, idle_seconds: float = 0.25) -> SlackWriter:
    reporter = Reporter(slack=for_every_team(slack), db=db)
    return SlackWriter(db=db, reporter=reporter, owner=owner, lease_seconds=30, idle_seconds=idle_seconds)


def _announced(db: Database, slack: SlackStandIn, *instantly_ids: str, **requested: Any) -> list[JobRecord]:
    """Running jobs whose announcements are already out (each sent by a writer of its own, so no pacing carries
    over), with the set-up's Slack calls forgotten."""
    created = []
    for instantly_id in instantly_ids:
        created.append(running_job(db, instantly_id, status="in-progress", **requested))
        _writer(db, slack, owner="set-up").drain()
    records = [stored_job(db, record.id) for record in created]
    assert all(r.announcement_ts for r in records), "set-up: the announcements went out"
    slack.calls.clear()
    return records


def _progress(db: Database, record: JobRecord, percent: int) -> None:
    polls.record_progress(
        db, job_id=record.id, status="in-progress", progress=percent, moved_leads=None, next_poll_at=utcnow()
    )


def _due_now(db: Database) -> None:
    """Make every waiting row due, as if its not_before had passed (instead of sleeping through it)."""
    with db.session() as session:
        session.execute(
            update(NotificationRow)
            .where(NotificationRow.state.in_((NotificationState.PENDING, NotificationState.SENDING)))
            .values(not_before=utcnow() - timedelta(seconds=1))
        )


def _seconds_from_now(moment: datetime) -> float:
    return (moment - utcnow()).total_seconds()


def _kind_of(call: SlackCall) -> NotificationKind:
    if call.method == "chat.update":
        return NotificationKind.PROGRESS
    if call.method == "chat.postEphemeral":
        return NotificationKind.NOTE
    assert call.method == "chat.postMessage", call
    return NotificationKind.FINAL if call.args.get("thread_ts") else NotificationKind.ANNOUNCE


def _writes(slack: SlackStandIn) -> list[SlackCall]:
    return [c for c in slack.calls if c.method in ("chat.postMessage", "chat.update", "chat.postEphemeral")]


# --- order and coalescing ------------------------------------------------------------------------------------


def test_an_ended_jobs_last_edit_goes_with_announcements_and_notes_and_its_reply_right_after(
    db: Database, slack: SlackStandIn
) -> None:
    [finishing] = _announced(db, slack, "a" * 24, channel="C1")
    # Queued in the reverse of the order they must go in, so only priority can put them right.
    _progress(db, finishing, 50)
    running_job(db, "b" * 24, channel="C2")
    starting = requested_job(db, channel="C3")
    jobs.mark_start_failed(db, job_id=starting.id, error="Instantly said no.")
    jobs.finish(db, job_id=finishing.id, status="success", progress=100, moved_leads=9)

    writer = _writer(db, slack)
    assert writer.drain() == 3
    assert writer.drain() == 1

    kinds = [_kind_of(call) for call in _writes(slack)]
    assert set(kinds[0:2]) == {NotificationKind.ANNOUNCE, NotificationKind.NOTE}
    assert kinds[2:] == [NotificationKind.PROGRESS, NotificationKind.FINAL], "the message above is final first"
    assert "(100%)" in _writes(slack)[2].args["text"], "the last edit shows how the job ended"


def test_several_progress_changes_before_a_drain_make_one_edit_showing_the_newest(
    db: Database, slack: SlackStandIn
) -> None:
    [record] = _announced(db, slack, "a" * 24)
    for percent in (10, 35, 80):
        _progress(db, record, percent)

    assert _writer(db, slack).drain() == 1

    [edit] = slack.calls_to("chat.update")
    assert edit.args["ts"] == record.announcement_ts
    assert "(80%)" in edit.args["text"]
    assert newest_outbox_row(db, record.id, NotificationKind.PROGRESS).state == NotificationState.SENT


# --- pacing --------------------------------------------------------------------------------------------------


def test_a_second_post_to_a_channel_in_one_drain_waits_unleased_while_another_channel_is_served(
    sqlite_db: Database, slack: SlackStandIn
) -> None:
    first = running_job(sqlite_db, "a" * 24, channel="C1")
    second = running_job(sqlite_db, "b" * 24, channel="C1")
    elsewhere = running_job(sqlite_db, "c" * 24, channel="C2")

    assert _writer(sqlite_db, slack).drain() == 2

    assert [len(slack.posted["C1"]), len(slack.posted["C2"])] == [1, 1]
    assert newest_outbox_row(sqlite_db, first.id, NotificationKind.ANNOUNCE).state == NotificationState.SENT
    assert newest_outbox_row(sqlite_db, elsewhere.id, NotificationKind.ANNOUNCE).state == NotificationState.SENT
    waiting = newest_outbox_row(sqlite_db, second.id, NotificationKind.ANNOUNCE)
    assert (waiting.state, waiting.attempts, waiting.lease_owner) == (NotificationState.PENDING, 0, None)
    assert waiting.updated_at == waiting.created_at, "never leased, so never written back: it goes next round"


def test_edits_beyond_the_burst_wait_unleased_not_sent(sqlite_db: Database, slack: SlackStandIn) -> None:
    burst = int(EDIT_BURST)
    records = _announced(sqlite_db, slack, *(f"{n:024d}" for n in range(burst + 2)), channel="C1")
    for record in records:
        _progress(sqlite_db, record, 50)
    writer = _writer(sqlite_db, slack)

    routine = burst - EDITS_KEPT_FOR_ENDS  # one is kept for a job that ends
    assert writer.drain() == routine

    assert len(slack.calls_to("chat.update")) == routine
    rows = [newest_outbox_row(sqlite_db, record.id, NotificationKind.PROGRESS) for record in records]
    held = [row for row in rows if row.state != NotificationState.SENT]
    assert len(held) == 2 + EDITS_KEPT_FOR_ENDS
    assert all((row.state, row.lease_owner, row.attempts) == (NotificationState.PENDING, None, 0) for row in held)
    _due_now(sqlite_db)
    assert writer.drain() == 0, "the bucket refills at 45 a minute: nothing more this instant"
    assert len(slack.calls_to("chat.update")) == routine


def test_ratelimited_edits_pause_only_that_workspaces_edits(db: Database, slack: SlackStandIn) -> None:
    [limited] = _announced(db, slack, "a" * 24, team="T1", channel="C1")
    [other] = _announced(db, slack, "b" * 24, team="T2", channel="C2")
    _progress(db, limited, 30)
    _progress(db, other, 30)
    slack.fail("chat.update", "ratelimited", retry_after=7)
    writer = _writer(db, slack)

    assert writer.drain() == 1, "T1's edit was limited, T2's went"

    row = newest_outbox_row(db, limited.id, NotificationKind.PROGRESS)
    assert (row.state, row.error) == (NotificationState.PENDING, "slack: ratelimited")
    assert 6 < _seconds_from_now(row.not_before) <= 7, "Retry-After is honoured"

    _progress(db, other, 60)
    newcomer = running_job(db, "c" * 24, team="T1", channel="C3")
    _due_now(db)  # even when the row is due, the writer remembers the pause
    edits_before = len(slack.calls_to("chat.update"))

    assert writer.drain() == 2, "T2's edit and T1's new announcement (posts are not paused)"

    new_edits = slack.calls_to("chat.update")[edits_before:]
    assert [call.args["ts"] for call in new_edits] == [other.announcement_ts]
    assert len(slack.posted["C3"]) == 1
    assert stored_job(db, newcomer.id).announcement_ts is not None
    assert newest_outbox_row(db, limited.id, NotificationKind.PROGRESS).state == NotificationState.PENDING


def test_a_workspace_that_has_not_edited_yet_is_not_held_back_by_anothers_rate_limit(
    sqlite_db: Database, slack: SlackStandIn
) -> None:
    [limited] = _announced(sqlite_db, slack, "a" * 24, team="T1", channel="C1")
    [fresh] = _announced(sqlite_db, slack, "b" * 24, team="T2", channel="C2")
    _progress(sqlite_db, limited, 30)
    slack.fail("chat.update", "ratelimited", retry_after=30)
    writer = _writer(sqlite_db, slack)
    writer.drain()
    _progress(sqlite_db, fresh, 30)

    writer.drain()

    assert fresh.announcement_ts in [call.args["ts"] for call in slack.calls_to("chat.update")]


def test_a_ratelimited_post_holds_only_its_channel(
    sqlite_db: Database, slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "POST_SPACING_SECONDS", 0.05)  # so a hold is not mistaken for spacing
    limited = running_job(sqlite_db, "a" * 24, channel="C1")
    running_job(sqlite_db, "b" * 24, channel="C2")
    slack.fail("chat.postMessage", "ratelimited", retry_after=5)
    writer = _writer(sqlite_db, slack)

    assert writer.drain() == 1

    row = newest_outbox_row(sqlite_db, limited.id, NotificationKind.ANNOUNCE)
    assert (row.state, row.error) == (NotificationState.PENDING, "slack: ratelimited")
    assert 4 < _seconds_from_now(row.not_before) <= 5
    time.sleep(0.1)  # the spacing has passed; the hold has not
    running_job(sqlite_db, "c" * 24, channel="C1")
    running_job(sqlite_db, "d" * 24, channel="C2")
    _due_now(sqlite_db)
    posts_before = len(slack.calls_to("chat.postMessage"))

    assert writer.drain() == 1

    assert [call.args["channel"] for call in slack.calls_to("chat.postMessage")[posts_before:]] == ["C2"]
    assert slack.posted["C1"] == []


# --- errors --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("error", ["token_revoked", "invalid_auth"])
def test_a_revoked_token_stops_its_workspaces_writes_and_no_others(
    db: Database, slack: SlackStandIn, error: str
) -> None:
    revoked = running_job(db, "a" * 24, team="T1", channel="C1")
    slack.fail("chat.postMessage", error)
    writer = _writer(db, slack)

    assert writer.drain() == 0

    assert workspaces.revoked_teams(db) == {"T1"}
    row = newest_outbox_row(db, revoked.id, NotificationKind.ANNOUNCE)
    assert row.state == NotificationState.PENDING
    assert row.error == f"workspace token: {error}"
    running_job(db, "b" * 24, team="T1", channel="C3")
    running_job(db, "c" * 24, team="T2", channel="C2")
    _due_now(db)
    calls_before = len(slack.calls)

    assert writer.drain() == 1

    assert [(c.method, c.args["channel"]) for c in slack.calls[calls_before:]] == [("chat.postMessage", "C2")]

    workspaces.mark_active(db, team_id="T1")  # a working token again
    outbox.resume_team(db, team_id="T1")
    assert writer.drain() == 1, "T1's writes go again (C1's waits out the spacing its refused post took)"
    assert len(slack.posted["C3"]) == 1


def test_repeated_slack_errors_back_off_then_give_up_after_max_attempts(
    sqlite_db: Database, slack: SlackStandIn
) -> None:
    record = running_job(sqlite_db, "a" * 24)
    slack.fail("chat.postMessage", "invalid_blocks", times=MAX_ATTEMPTS + 1)
    delays: list[float] = []

    for _ in range(MAX_ATTEMPTS - 1):
        _due_now(sqlite_db)
        _writer(sqlite_db, slack).drain()  # a new writer each time: no pacing carries over
        row = newest_outbox_row(sqlite_db, record.id, NotificationKind.ANNOUNCE)
        assert row.state == NotificationState.PENDING
        delays.append(_seconds_from_now(row.not_before))
    _due_now(sqlite_db)
    _writer(sqlite_db, slack).drain()

    row = newest_outbox_row(sqlite_db, record.id, NotificationKind.ANNOUNCE)
    assert (row.state, row.error) == (NotificationState.FAILED, "slack: invalid_blocks")
    assert len(slack.calls_to("chat.postMessage")) == MAX_ATTEMPTS
    assert 1.5 < delays[0] <= 2.0
    assert all(later > 1.5 * earlier for earlier, later in itertools.pairwise(delays)), delays
    _due_now(sqlite_db)
    _writer(sqlite_db, slack).drain()
    assert len(slack.calls_to("chat.postMessage")) == MAX_ATTEMPTS, "a failed row is not tried again"


def test_a_progress_edit_slack_keeps_refusing_is_given_up_after_max_attempts(
    sqlite_db: Database, slack: SlackStandIn
) -> None:
    [record] = _announced(sqlite_db, slack, "a" * 24)
    _progress(sqlite_db, record, 50)
    slack.fail("chat.update", "cant_update_message", times=MAX_ATTEMPTS + 5)

    for _ in range(MAX_ATTEMPTS + 2):
        _due_now(sqlite_db)
        _writer(sqlite_db, slack).drain()

    assert newest_outbox_row(sqlite_db, record.id, NotificationKind.PROGRESS).state == NotificationState.FAILED
    assert len(slack.calls_to("chat.update")) == MAX_ATTEMPTS


def test_a_network_error_leaves_the_row_maybe_sent_and_the_next_attempt_finds_the_post(
    sqlite_db: Database, slack: SlackStandIn
) -> None:
    record = running_job(sqlite_db, "a" * 24)
    slack.lose_answer("chat.postMessage")

    assert _writer(sqlite_db, slack).drain() == 0

    row = newest_outbox_row(sqlite_db, record.id, NotificationKind.ANNOUNCE)
    assert row.state == NotificationState.SENDING
    assert row.error is not None
    assert row.error.startswith("network:")
    assert 1.5 < _seconds_from_now(row.not_before) <= 2.0
    [posted] = slack.posted["C1"]  # it did reach Slack

    _due_now(sqlite_db)
    assert _writer(sqlite_db, slack).drain() == 1

    assert slack.calls_to("conversations.history"), "it looked before posting again"
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert stored_job(sqlite_db, record.id).announcement_ts == posted["ts"]
    assert newest_outbox_row(sqlite_db, record.id, NotificationKind.ANNOUNCE).state == NotificationState.SENT


def test_waiting_for_slacks_history_limit_is_no_attempt_and_posts_nothing(
    sqlite_db: Database, slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "POST_SPACING_SECONDS", 0.05)  # so the post spacing has passed by the retry
    writer = _writer(sqlite_db, slack)
    first, second = running_job(sqlite_db, "a" * 24, channel="C1"), running_job(sqlite_db, "b" * 24, channel="C2")
    slack.lose_answer("chat.postMessage", times=2)
    assert writer.drain() == 0  # both announcements may have reached Slack
    time.sleep(0.1)
    _due_now(sqlite_db)
    attempts = newest_outbox_row(sqlite_db, second.id, NotificationKind.ANNOUNCE).attempts

    writer.drain()  # one lookup a minute per workspace: the first row is looked up, the second waits

    assert stored_job(sqlite_db, first.id).announcement_ts is not None
    waiting = newest_outbox_row(sqlite_db, second.id, NotificationKind.ANNOUNCE)
    assert waiting.state == NotificationState.SENDING, "still looked for before any post"
    assert waiting.attempts == attempts, "waiting is not a failed attempt"
    assert 55 <= _seconds_from_now(waiting.not_before) <= 60
    assert len(slack.calls_to("chat.postMessage")) == 2
    assert len(slack.calls_to("conversations.history")) == 1


def test_a_rate_limit_while_looking_keeps_the_row_maybe_sent(sqlite_db: Database, slack: SlackStandIn) -> None:
    record = running_job(sqlite_db, "a" * 24)
    slack.lose_answer("chat.postMessage")
    _writer(sqlite_db, slack).drain()  # reached Slack, answer lost: the row is maybe sent
    slack.fail("conversations.history", "ratelimited", retry_after=1)
    _due_now(sqlite_db)
    _writer(sqlite_db, slack).drain()  # could not look

    assert newest_outbox_row(sqlite_db, record.id, NotificationKind.ANNOUNCE).state == NotificationState.SENDING
    _due_now(sqlite_db)
    _writer(sqlite_db, slack).drain()
    assert len(slack.posted["C1"]) == 1, "the announcement must not be posted twice"
    assert stored_job(sqlite_db, record.id).announcement_ts == slack.posted["C1"][0]["ts"]


# --- the loop ------------------------------------------------------------------------------------------------


def test_after_stop_a_drain_hands_back_what_it_claimed_unsent(db: Database, slack: SlackStandIn) -> None:
    first = running_job(db, "a" * 24, channel="C1")
    second = running_job(db, "b" * 24, channel="C2")
    writer = _writer(db, slack)
    writer.stop()

    assert writer.drain() == 0

    assert slack.calls == []
    for record in (first, second):
        row = newest_outbox_row(db, record.id, NotificationKind.ANNOUNCE)
        assert (row.state, row.attempts, row.lease_owner) == (NotificationState.PENDING, 0, None)
        assert _seconds_from_now(row.not_before) <= 0
    claimed = outbox_claims.claim_due(db, owner="writer-2", lease_seconds=30)
    assert {n.job_id for n in claimed} == {first.id, second.id}, "another writer can take them at once"


def test_a_started_writer_sends_what_is_queued_until_it_is_stopped(sqlite_db: Database, slack: SlackStandIn) -> None:
    writer = _writer(sqlite_db, slack, "loop", idle_seconds=0.05)
    writer.start()
    try:
        running_job(sqlite_db, "a" * 24, channel="C1")
        writer.wake()
        deadline = time.monotonic() + 3
        while not slack.posted["C1"] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(slack.posted["C1"]) == 1
    finally:
        writer.stop()
    assert writer.sent == 1

    late = running_job(sqlite_db, "b" * 24, channel="C2")
    writer.wake()
    time.sleep(0.2)
    assert slack.posted["C2"] == []
    assert newest_outbox_row(sqlite_db, late.id, NotificationKind.ANNOUNCE).state == NotificationState.PENDING


def _counted_claims(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """When each claim of the outbox was made, from now on."""
    claims: list[float] = []
    claim = outbox_claims.claim_due

    def counted(*args: Any, **kwargs: Any) -> list[outbox.Notification]:
        claims.append(time.monotonic())
        return claim(*args, **kwargs)

    monkeypatch.setattr(outbox_claims, "claim_due", counted)
    return claims


def test_however_often_it_is_woken_the_writer_claims_at_most_five_times_a_second(
    sqlite_db: Database, slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    claims = _counted_claims(monkeypatch)
    writer = _writer(sqlite_db, slack)
    writer.start()
    try:
        until = time.monotonic() + 1.0
        while time.monotonic() < until:
            writer.wake()
            time.sleep(0.005)
    finally:
        writer.stop()

    assert 2 <= len(claims) <= 7, f"{len(claims)} claims in a second of wakes"


def test_an_idle_writer_looks_less_and_less_often_and_a_wake_brings_it_back_at_once(
    sqlite_db: Database, slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    claims = _counted_claims(monkeypatch)
    writer = _writer(sqlite_db, slack, "idle", idle_seconds=0.05)
    writer.start()
    try:
        time.sleep(3.0)
        idle_claims = len(claims)
        running_job(sqlite_db, "a" * 24, channel="C1")
        woken_at = time.monotonic()
        writer.wake()
        while not slack.posted["C1"] and time.monotonic() < woken_at + 3:
            time.sleep(0.01)
        answered = time.monotonic() - woken_at
    finally:
        writer.stop()

    assert idle_claims <= 9, f"{idle_claims} claims in 3 s with nothing to send (five a second would be 15)"
    assert answered < 0.5, "what this process queues wakes it"

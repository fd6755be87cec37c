"""The outbox: writes queued with the job change that causes them, coalesced, ordered, leased, never lost."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import update

from storage import jobs, outbox, outbox_claims, polls, workspaces
from storage.clock import utcnow
from storage.db import Database
from storage.models import NotificationKind, NotificationRow, NotificationState
from storage.records import JobRecord
from tests.factories import running_job


def _progress(db: Database, record: JobRecord, percent: int) -> None:
    polls.record_progress(
        db, job_id=record.id, status="in-progress", progress=percent, moved_leads=None, next_poll_at=utcnow()
    )


def test_attaching_a_job_queues_its_announcement_once(db: Database) -> None:
    record = running_job(db, "a" * 24)
    [announce] = outbox_claims.claim_due(db, owner="w1", lease_seconds=30)
    assert (announce.kind, announce.job_id, announce.channel_id) == (NotificationKind.ANNOUNCE, record.id, "C1")
    with db.session() as session:
        assert not outbox.enqueue(session, team_id="T1", job_id=record.id, channel_id="C1", kind="announce")


def test_edits_wait_for_the_announcement_and_coalesce(db: Database) -> None:
    record = running_job(db, "b" * 24)
    for percent in (10, 20, 30):
        _progress(db, record, percent)
    [announce] = outbox_claims.claim_due(db, owner="w1", lease_seconds=30)
    assert announce.kind == NotificationKind.ANNOUNCE
    outbox.mark_sending(db, notification_id=announce.id, sent_to="C1")
    outbox.mark_sent(db, notification_id=announce.id, ts="1.1")
    [edit] = outbox_claims.claim_due(db, owner="w1", lease_seconds=30)
    assert edit.kind == NotificationKind.PROGRESS


def test_a_change_while_its_edit_is_being_sent_gets_an_edit_of_its_own(db: Database) -> None:
    record = running_job(db, "f" * 24)
    [announce] = outbox_claims.claim_due(db, owner="w1", lease_seconds=30)
    outbox.mark_sent(db, notification_id=announce.id, ts="1.1")
    _progress(db, record, 50)
    [edit] = outbox_claims.claim_due(db, owner="w1", lease_seconds=30)  # drawn at 50%, on its way to Slack
    jobs.finish(db, job_id=record.id, status="success", progress=100, moved_leads=3)
    outbox.mark_sent(db, notification_id=edit.id, ts=None)

    claimed = outbox_claims.claim_due(db, owner="w1", lease_seconds=30)
    assert [n.kind for n in claimed] == [NotificationKind.PROGRESS], "the end is edited in, then replied to"
    ended = jobs.get(db, job_id=record.id)
    assert ended is not None
    assert ended.progress == 100


def test_an_ended_jobs_reply_follows_its_announcements_last_edit(db: Database) -> None:
    first = running_job(db, "c" * 24)
    [announce] = outbox_claims.claim_due(db, owner="w1", lease_seconds=30)
    outbox.mark_sent(db, notification_id=announce.id, ts="1.1")
    _progress(db, first, 50)
    running_job(db, "d" * 24)
    jobs.finish(db, job_id=first.id, status="success", progress=100, moved_leads=3)

    claimed = outbox_claims.claim_due(db, owner="w1", lease_seconds=30)
    assert [n.kind for n in claimed] == [NotificationKind.ANNOUNCE, NotificationKind.PROGRESS], "the edit goes first"
    [edit] = [n for n in claimed if n.kind == NotificationKind.PROGRESS]
    outbox.mark_sent(db, notification_id=edit.id, ts=None)

    [reply] = outbox_claims.claim_due(db, owner="w1", lease_seconds=30)
    assert (reply.kind, reply.job_id) == (NotificationKind.FINAL, first.id)


def test_a_reply_does_not_wait_for_an_edit_its_workspace_cannot_make_now_or_for_long(db: Database) -> None:
    ended = running_job(db, "c" * 24)
    _announce_all(db)
    jobs.finish(db, job_id=ended.id, status="success", progress=100, moved_leads=3)

    held = outbox_claims.claim_due(db, owner="w1", lease_seconds=30, skip_edits_of={"T1"})
    assert [n.kind for n in held] == [NotificationKind.FINAL], "Slack allows far fewer edits than posts"
    outbox.release_leases(db, owner="w1")

    with db.session() as session:
        session.execute(
            update(NotificationRow)
            .where(NotificationRow.kind == NotificationKind.FINAL)
            .values(created_at=utcnow() - timedelta(seconds=outbox_claims.REPLY_WAITS_FOR_EDIT_SECONDS + 1))
        )
    kinds = [n.kind for n in outbox_claims.claim_due(db, owner="w2", lease_seconds=30)]
    assert kinds == [NotificationKind.FINAL, NotificationKind.PROGRESS], "a reply waits only so long"


def test_a_reply_waits_for_its_edit_only_where_the_edits_waiting_can_go_within_the_wait(db: Database) -> None:
    ended = [running_job(db, c * 24) for c in "cdef"]
    _announce_all(db)
    for record in ended:
        jobs.finish(db, job_id=record.id, status="success", progress=100, moved_leads=3)

    def claimed(edits_soon: float) -> list[NotificationKind]:
        kinds = outbox_claims.claim_due(
            db, owner="w1", lease_seconds=30, edits_allowed=lambda _: 0, edits_within_wait=lambda _: edits_soon
        )
        outbox.release_leases(db, owner="w1")
        return [n.kind for n in kinds]

    assert claimed(4.0) == [], "four last edits can go within the wait: the replies wait for them"
    # One post per channel goes in a round.
    assert claimed(3.0) == [NotificationKind.FINAL], "more wait than can go in time: the replies go first"


def test_routine_edits_leave_one_edit_for_an_ended_jobs_last_edit(db: Database) -> None:
    running, ending = running_job(db, "c" * 24), running_job(db, "d" * 24)
    _announce_all(db)
    _progress(db, running, 40)
    assert outbox_claims.claim_due(db, owner="w1", lease_seconds=30, edits_allowed=lambda _team: 1) == []

    jobs.finish(db, job_id=ending.id, status="success", progress=100, moved_leads=3)
    [edit] = outbox_claims.claim_due(db, owner="w1", lease_seconds=30, edits_allowed=lambda _team: 1)
    assert (edit.kind, edit.job_id) == (NotificationKind.PROGRESS, ending.id)


def test_a_write_in_flight_is_taken_over_as_maybe_sent_when_its_lease_runs_out(db: Database) -> None:
    running_job(db, "e" * 24)
    [announce] = outbox_claims.claim_due(db, owner="w1", lease_seconds=0.2)
    outbox.mark_sending(db, notification_id=announce.id, sent_to="C1")
    assert outbox_claims.claim_due(db, owner="w2", lease_seconds=30) == []
    time.sleep(0.3)
    [again] = outbox_claims.claim_due(db, owner="w2", lease_seconds=30)
    assert again.id == announce.id
    assert again.state == NotificationState.SENDING
    assert again.attempts == 1
    assert again.attempted_at is not None


def test_retry_later_and_defer_hold_a_write_back(db: Database) -> None:
    running_job(db, "f" * 24)
    [announce] = outbox_claims.claim_due(db, owner="w1", lease_seconds=30)
    outbox.retry_later(db, notification_id=announce.id, attempts=1, delay=0.3, error="slack: internal_error")
    assert outbox_claims.claim_due(db, owner="w1", lease_seconds=30) == []
    time.sleep(0.35)
    [again] = outbox_claims.claim_due(db, owner="w1", lease_seconds=30)
    outbox.defer(db, notification_id=again.id, delay=60)
    assert outbox_claims.claim_due(db, owner="w1", lease_seconds=30) == []
    assert outbox.waiting(db) == 1


def test_skips_leave_out_busy_channels_and_paused_teams(db: Database) -> None:
    running_job(db, "1" * 24, channel="C1", team="T1")
    running_job(db, "2" * 24, channel="C2", team="T2")
    assert [n.channel_id for n in outbox_claims.claim_due(db, owner="a", lease_seconds=30, skip_channels={"C1"})] == [
        "C2"
    ]
    outbox.release_leases(db, owner="a")
    assert [n.team_id for n in outbox_claims.claim_due(db, owner="b", lease_seconds=30, skip_teams={"T2"})] == ["T1"]


def test_held_edits_leave_out_only_that_workspaces_progress(db: Database) -> None:
    records = [running_job(db, "1" * 24, team="T1"), running_job(db, "2" * 24, team="T2")]
    for announcement in outbox_claims.claim_due(db, owner="a", lease_seconds=30):
        outbox.mark_sent(db, notification_id=announcement.id, ts="1.1")
    for record in records:
        _progress(db, record, 50)
    running_job(db, "3" * 24, team="T1")

    claimed = outbox_claims.claim_due(db, owner="b", lease_seconds=30, skip_edits_of={"T1"})

    assert sorted((n.team_id, n.kind) for n in claimed) == [
        ("T1", NotificationKind.ANNOUNCE),
        ("T2", NotificationKind.PROGRESS),
    ]


def test_a_revoked_workspace_is_noted_once_and_lifted_by_a_working_token(db: Database) -> None:
    assert workspaces.mark_revoked(db, team_id="T1", reason="token_revoked")
    assert not workspaces.mark_revoked(db, team_id="T1", reason="token_revoked")
    assert workspaces.revoked_teams(db) == {"T1"}
    assert workspaces.mark_active(db, team_id="T1")
    assert workspaces.revoked_teams(db) == set()


def test_old_sent_edits_are_pruned_but_once_only_rows_stay(db: Database) -> None:
    record = running_job(db, "3" * 24)
    [announce] = outbox_claims.claim_due(db, owner="w", lease_seconds=30)
    outbox.mark_sent(db, notification_id=announce.id, ts="1.1")
    _progress(db, record, 40)
    [edit] = outbox_claims.claim_due(db, owner="w", lease_seconds=30)
    outbox.mark_sent(db, notification_id=edit.id, ts=None)
    assert outbox.prune(db, older_than=timedelta(hours=1)) == 0
    assert outbox.prune(db, older_than=timedelta(seconds=-1)) == 1
    with db.session() as session:
        assert not outbox.enqueue(session, team_id="T1", job_id=record.id, channel_id="C1", kind="announce")


def _announce_all(db: Database) -> None:
    for announce in outbox_claims.claim_due(db, owner="w1", lease_seconds=30):
        outbox.mark_sending(db, notification_id=announce.id, sent_to="C1")
        outbox.mark_sent(db, notification_id=announce.id, ts=f"1.{announce.job_id}")


def test_an_ended_jobs_last_edit_goes_before_the_edits_of_jobs_still_running(db: Database) -> None:
    running, ending, replied = (running_job(db, c * 24) for c in "cde")
    _announce_all(db)
    _progress(db, running, 40)
    _progress(db, ending, 60)  # its edit waits, then the job ends
    jobs.finish(db, job_id=ending.id, status="success", progress=100, moved_leads=3)
    jobs.finish(db, job_id=replied.id, status="success", progress=100, moved_leads=3)

    edits = [
        n for n in outbox_claims.claim_due(db, owner="w1", lease_seconds=30) if n.kind == NotificationKind.PROGRESS
    ]

    assert [n.job_id for n in edits] == [ending.id, replied.id, running.id], "a waiting edit is raised, not doubled"

"""Stopping a workspace's unfinished jobs (storage.stops), on SQLite and PostgreSQL: after /leads disconnect each
gets one final reply saying why; after an uninstall they are closed quietly and the workspace's waiting Slack writes
are given up. Other workspaces are never touched."""

from __future__ import annotations

from sqlalchemy import select

from storage import jobs, outbox, outbox_claims, stops
from storage.clock import utcnow
from storage.db import Database
from storage.models import JobRow, NotificationKind, NotificationState, Phase
from storage.records import JobRecord
from tests.factories import outbox_notifications, outbox_rows, requested_job, running_job, stored_job

REASON = "the workspace's Instantly connection was removed"


def _finals(db: Database, job: JobRecord) -> list[outbox.Notification]:
    return outbox_notifications(db, job_id=job.id, kind=NotificationKind.FINAL)


def _lease_owner(db: Database, job: JobRecord) -> str | None:
    with db.reading() as session:
        return session.scalar(select(JobRow.lease_owner).where(JobRow.id == job.id))


def _finished(db: Database, instantly_id: str, *, team: str = "T1", error: str | None = None) -> JobRecord:
    record = running_job(db, instantly_id, team=team)
    return jobs.finish(db, job_id=record.id, status="success", progress=100, moved_leads=5, error=error)


# --- telling the threads (/leads disconnect) -------------------------------------------------------------


def test_telling_threads_finishes_the_workspace_unfinished_jobs_with_the_reason(db: Database) -> None:
    requested = requested_job(db, team="T1")
    running = running_job(db, "a" * 24, team="T1")

    assert stops.stop_following(db, team_id="T1", reason=REASON, tell_threads=True) == 2

    for job in (requested, running):
        stopped = stored_job(db, job.id)
        assert stopped.phase == Phase.FINISHED
        assert stopped.error == REASON
        assert stopped.finished_at is not None
        assert _lease_owner(db, job) is None, "no process goes on working on it"
    assert stored_job(db, running.id).status == "pending", "Instantly's last word on it is kept"
    assert stored_job(db, requested.id).status == "stopped"


def test_telling_threads_queues_one_final_reply_for_each_stopped_job(db: Database) -> None:
    requested = requested_job(db, team="T1", channel="C7")
    running = running_job(db, "a" * 24, team="T1", channel="C8")

    stops.stop_following(db, team_id="T1", reason=REASON, tell_threads=True)
    stops.stop_following(db, team_id="T1", reason=REASON, tell_threads=True)

    [for_requested] = _finals(db, requested)
    [for_running] = _finals(db, running)
    assert (for_requested.channel_id, for_requested.state) == ("C7", NotificationState.PENDING)
    assert (for_running.channel_id, for_running.state) == ("C8", NotificationState.PENDING)


def test_a_final_reply_goes_to_the_channel_where_the_job_was_announced(db: Database) -> None:
    running = running_job(db, "a" * 24, team="T1", channel="C1")
    jobs.record_announcement(db, job_id=running.id, channel_id="C-ANNOUNCED", ts="1.1")

    stops.stop_following(db, team_id="T1", reason=REASON, tell_threads=True)

    [final] = _finals(db, running)
    assert final.channel_id == "C-ANNOUNCED"


def test_telling_threads_leaves_finished_jobs_and_other_workspaces_alone(db: Database) -> None:
    finished = _finished(db, "b" * 24, team="T1")
    elsewhere = running_job(db, "c" * 24, team="T2")
    elsewhere_requested = requested_job(db, team="T2")
    before = outbox_notifications(db)

    assert stops.stop_following(db, team_id="T1", reason=REASON, tell_threads=True) == 0

    assert stored_job(db, finished.id).phase == Phase.FINISHED
    assert stored_job(db, finished.id).error is None
    assert stored_job(db, elsewhere.id).phase == Phase.RUNNING
    assert stored_job(db, elsewhere_requested.id).phase == Phase.REQUESTED
    assert _lease_owner(db, elsewhere_requested) == "web-1"
    assert outbox_notifications(db) == before


def test_a_stopped_move_that_was_not_yet_sent_is_never_sent(db: Database) -> None:
    requested = requested_job(db, team="T1", owner="web-1")

    stops.stop_following(db, team_id="T1", reason=REASON, tell_threads=True)

    assert jobs.mark_start_attempted(db, job_id=requested.id, owner="web-1") is None


def test_a_move_stopped_while_its_start_was_in_flight_stays_stopped_when_instantly_answers(db: Database) -> None:
    requested = requested_job(db, team="T1", owner="web-1")
    assert jobs.mark_start_attempted(db, job_id=requested.id, owner="web-1") is not None  # POST is on its way

    stops.stop_following(db, team_id="T1", reason=REASON, tell_threads=True)
    jobs.attach_job(
        db, job_id=requested.id, instantly_job_id="d" * 24, status="pending", progress=0, next_poll_at=utcnow()
    )

    assert stored_job(db, requested.id).phase == Phase.FINISHED, "a stopped job is not followed again"
    kinds = [n.kind for n in outbox_notifications(db, job_id=requested.id)]
    assert kinds == [NotificationKind.FINAL], "no announcement after the final reply"


# --- quietly (uninstalled) -------------------------------------------------------------------------------


def test_quietly_closes_unfinished_and_finished_jobs_as_done(db: Database) -> None:
    requested = requested_job(db, team="T1")
    running = running_job(db, "a" * 24, team="T1")
    finished = _finished(db, "b" * 24, team="T1")
    failed = _finished(db, "e" * 24, team="T1", error="Instantly says it failed")

    assert stops.stop_following(db, team_id="T1", reason=REASON, tell_threads=False) == 4

    for job in (requested, running, finished, failed):
        assert stored_job(db, job.id).phase == Phase.DONE
        assert stored_job(db, job.id).finished_at is not None
        assert _lease_owner(db, job) is None
    assert stored_job(db, requested.id).error == REASON
    assert stored_job(db, running.id).error == REASON
    assert stored_job(db, finished.id).error == REASON
    assert stored_job(db, failed.id).error == "Instantly says it failed", "a job's own error is kept"


def test_quietly_queues_no_reply_and_gives_up_the_workspace_waiting_writes(db: Database) -> None:
    running = running_job(db, "a" * 24, team="T1")
    _finished(db, "b" * 24, team="T1")
    sent = running_job(db, "f" * 24, team="T1", channel="C9")
    [announce_sent] = outbox_claims.claim_due(db, owner="w1", lease_seconds=30, skip_channels=["C1"])
    assert announce_sent.job_id == sent.id
    outbox.mark_sending(db, notification_id=announce_sent.id, sent_to="C9")
    outbox.mark_sent(db, notification_id=announce_sent.id, ts="1.9")
    [sending] = outbox_notifications(db, job_id=running.id)
    outbox.mark_sending(db, notification_id=sending.id, sent_to="C1")
    count_before = len(outbox_notifications(db, team="T1"))

    stops.stop_following(db, team_id="T1", reason=REASON, tell_threads=False)

    after = {n.id: n for n in outbox_notifications(db, team="T1")}
    assert len(after) == count_before, "nothing new is queued: there is no token to send it with"
    assert after[announce_sent.id].state == NotificationState.SENT, "what was sent stays sent"
    waiting = [n for n in after.values() if n.id != announce_sent.id]
    assert waiting, "the running job's announcement and the finished job's final reply were waiting"
    assert {n.state for n in waiting} == {NotificationState.FAILED}
    assert outbox.waiting(db) == 0
    assert {row.error for row in outbox_rows(db, team="T1")} == {None, REASON}


def test_quietly_leaves_other_workspaces_jobs_and_writes_alone(db: Database) -> None:
    running_job(db, "a" * 24, team="T1")
    other = running_job(db, "c" * 24, team="T2")
    other_requested = requested_job(db, team="T2")
    theirs_before = outbox_notifications(db, team="T2")

    stops.stop_following(db, team_id="T1", reason=REASON, tell_threads=False)

    assert stored_job(db, other.id).phase == Phase.RUNNING
    assert stored_job(db, other_requested.id).phase == Phase.REQUESTED
    assert outbox_notifications(db, team="T2") == theirs_before
    assert {n.state for n in theirs_before} == {NotificationState.PENDING}
    assert outbox.waiting(db) == len(theirs_before)


def test_quietly_leaves_jobs_already_done_as_they_were(db: Database) -> None:
    finished = _finished(db, "b" * 24, team="T1")
    done = jobs.record_final_reply(db, job_id=finished.id, ts="1.2")

    assert stops.stop_following(db, team_id="T1", reason=REASON, tell_threads=False) == 0

    assert stored_job(db, done.id) == done

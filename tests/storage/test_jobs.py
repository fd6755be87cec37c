"""The jobs repository on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select, update

from storage import job_claims, jobs, submissions
from storage.clock import utcnow
from storage.db import Database
from storage.models import FINAL_EDIT_PRIORITY, JobRow, NotificationKind, NotificationRow, Phase
from tests.factories import requested_job, running_job, submitted_job


def test_a_job_goes_from_request_to_done(db: Database) -> None:
    record = requested_job(db)
    assert record.phase == Phase.REQUESTED
    assert record.order.destination.id == "l-2"
    record = running_job(db, "a" * 24)
    record = jobs.record_announcement(db, job_id=record.id, channel_id="C1", ts="1.0001")
    record = jobs.finish(db, job_id=record.id, status="success", progress=100, moved_leads=42)
    assert record.phase == Phase.FINISHED
    assert record.finished_at is not None
    assert record.moved_leads == 42
    record = jobs.record_final_reply(db, job_id=record.id, ts="1.0002")
    assert record.phase == Phase.DONE
    assert job_claims.claim_due(db, owner="p1", lease_seconds=30) == []


def test_start_failure_is_kept_with_its_reason(db: Database) -> None:
    record = jobs.mark_start_failed(db, job_id=requested_job(db).id, error="bad key")
    assert (record.phase, record.error) == (Phase.START_FAILED, "bad key")
    assert job_claims.claim_due(db, owner="p1", lease_seconds=30) == []


def test_recent_and_find_stay_within_the_workspace(db: Database) -> None:
    mine = running_job(db, "d" * 24, user="U1", team="T1")
    running_job(db, "e" * 24, user="U2", team="T1")
    running_job(db, "f" * 24, user="U1", team="T2")
    assert [r.id for r in jobs.recent_for_user(db, team_id="T1", user_id="U1")] == [mine.id]
    found = jobs.find(db, team_id="T1", reference="d" * 24)
    assert found is not None
    assert found.id == mine.id
    assert jobs.find(db, team_id="T2", reference="d" * 24) is None
    by_number = jobs.find(db, team_id="T1", reference=str(mine.id))
    assert by_number is not None
    assert by_number.id == mine.id


def test_a_submission_makes_one_job_however_often_it_is_delivered(db: Database) -> None:
    first = submitted_job(db, "view:V1:1700000000.abc")
    second = submitted_job(db, "view:V1:1700000000.abc")
    other_team = submitted_job(db, "view:V1:1700000000.abc", team="T2")
    assert first is not None
    assert second is not None
    assert other_team is not None

    assert (first.repeat, second.repeat, other_team.repeat) == (False, True, False)
    assert second.record == first.record
    assert other_team.record.id != first.record.id
    assert len(jobs.recent(db)) == 2


def test_a_person_with_enough_moves_starting_gets_none_and_nothing_is_saved(db: Database) -> None:
    def submit(key: str, user: str = "U1") -> submissions.Submitted | None:
        return submitted_job(db, key, user=user, max_starting=2)

    first, second = submit("view:V1:1"), submit("view:V2:1")
    assert first is not None
    assert second is not None

    assert submit("view:V3:1") is None
    repeat = submit("view:V1:1")
    assert repeat is not None, "a repeat of an accepted submission is never refused"
    assert repeat.repeat
    assert submit("view:V4:1", user="U2") is not None
    jobs.attach_job(
        db, job_id=first.record.id, instantly_job_id="a" * 24, status="pending", progress=0, next_poll_at=utcnow()
    )
    assert submit("view:V3:1") is not None, "once one has started, there is room again"
    assert len(jobs.recent(db)) == 4


def test_concurrent_deliveries_of_one_submission_make_one_job(db: Database) -> None:
    results: list[submissions.Submitted] = []
    start = threading.Barrier(4)

    def deliver() -> None:
        start.wait()
        submitted = submitted_job(db, "view:V2:1700000000.def")
        assert submitted is not None
        results.append(submitted)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(result.repeat for result in results) == [False, True, True, True]
    assert len({result.record.id for result in results}) == 1


def test_attached_job_ids_says_which_instantly_jobs_are_followed(db: Database) -> None:
    running_job(db, "1" * 24, team="T1")
    assert jobs.attached_job_ids(db, team_id="T1", instantly_job_ids=["1" * 24, "2" * 24]) == {"1" * 24}
    assert jobs.attached_job_ids(db, team_id="T2", instantly_job_ids=["1" * 24]) == set()


def test_reads_do_not_wait_for_a_writer(sqlite_db: Database) -> None:
    """An ack reads the jobs while the poller may hold SQLite's write lock; it must not queue behind it."""
    holding = threading.Event()

    def hold_the_write_lock() -> None:
        with sqlite_db.session() as session:
            session.execute(update(JobRow).values(progress=JobRow.progress))
            holding.set()
            time.sleep(1.0)

    writer = threading.Thread(target=hold_the_write_lock)
    writer.start()
    holding.wait(5)
    started = time.monotonic()
    jobs.recent_for_user(sqlite_db, team_id="T1", user_id="U1")
    waited = time.monotonic() - started
    writer.join()
    assert waited < 0.5


def test_an_ended_job_queues_its_announcements_last_edit_and_then_its_reply(db: Database) -> None:
    record = running_job(db, "c" * 24)

    jobs.finish(db, job_id=record.id, status="success", progress=100, moved_leads=12)

    with db.reading() as session:
        kinds = session.execute(
            select(NotificationRow.kind, NotificationRow.priority)
            .where(NotificationRow.job_id == record.id)
            .order_by(NotificationRow.id)
        ).all()
    assert [tuple(kind) for kind in kinds][-2:] == [
        (NotificationKind.PROGRESS, FINAL_EDIT_PRIORITY),
        (NotificationKind.FINAL, 0),
    ]


def test_a_held_back_announcement_that_never_went_out_gets_no_last_edit(db: Database) -> None:
    record = running_job(db, "d" * 24)
    jobs.hold_announcement(db, job_id=record.id)

    jobs.finish(db, job_id=record.id, status="failed", progress=10, moved_leads=0)

    with db.reading() as session:
        kinds = session.scalars(select(NotificationRow.kind).where(NotificationRow.job_id == record.id)).all()
    assert NotificationKind.PROGRESS not in kinds
    assert NotificationKind.FINAL in kinds


def test_a_held_announcement_and_a_quiet_end_are_remembered(db: Database) -> None:
    record = running_job(db, "d" * 24)
    assert not record.announcement_held

    held = jobs.hold_announcement(db, job_id=record.id)
    jobs.finish(db, job_id=record.id, status="success", progress=100, moved_leads=1)
    quiet = jobs.end_quietly(db, job_id=record.id)

    assert held.announcement_held
    assert (quiet.phase, quiet.announcement_ts, quiet.final_reply_ts) == (Phase.DONE, None, None)

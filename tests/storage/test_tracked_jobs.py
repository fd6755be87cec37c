"""Jobs followed but not started by leadmover (`/leads track`), on SQLite and PostgreSQL: no order, Instantly's type,
followed once per workspace however concurrently asked, with their counts and Instantly's own times."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from storage import job_claims, jobs, outbox_claims, retention, tracked
from storage.clock import utcnow
from storage.db import Database
from storage.models import JobRow, NotificationKind, Phase
from tests.factories import outbox_notifications, running_job

JOB = "6a" * 12
BEGUN = datetime(2026, 11, 26, 9, 0)


def track(db: Database, *, job_id: str = JOB, user_id: str = "U1", team_id: str = "T1") -> tracked.Tracked:
    return tracked.record_tracked(
        db,
        team_id=team_id,
        channel_id="C1",
        user_id=user_id,
        instantly_job_id=job_id,
        job_type="import-leads",
        status="in-progress",
        progress=40,
        next_poll_at=utcnow(),
        started_at=BEGUN,
    )


def kinds(db: Database) -> list[NotificationKind]:
    return [n.kind for n in outbox_notifications(db)]


def test_a_tracked_job_runs_from_the_start_with_no_order_and_its_announcement_queued(db: Database) -> None:
    tracked = track(db)

    record = tracked.record
    assert not tracked.already
    assert record.order is None
    assert record.tracked
    assert (record.phase, record.status, record.progress) == (Phase.RUNNING, "in-progress", 40)
    assert (record.job_type, record.started_at, record.instantly_job_id) == ("import-leads", BEGUN, JOB)
    assert kinds(db) == [NotificationKind.ANNOUNCE]
    [due] = job_claims.claim_due(db, owner="p1", lease_seconds=30)
    assert due.id == record.id
    assert jobs.get(db, job_id=record.id) == due


def test_a_move_still_has_its_order_and_asking_a_tracked_job_for_one_is_refused(db: Database) -> None:
    move = running_job(db, "b" * 24)
    assert move.order is not None
    assert not move.tracked
    assert move.move is move.order
    tracked = track(db).record
    with pytest.raises(ValueError, match="only followed"):
        _ = tracked.move


def test_the_same_job_is_followed_once_per_workspace_and_the_second_request_gets_the_first(db: Database) -> None:
    first = track(db).record
    again = track(db, user_id="U2")

    assert again.already
    assert again.record.id == first.id
    assert again.record.user_id == "U1"
    assert kinds(db) == [NotificationKind.ANNOUNCE]
    assert not track(db, team_id="T2").already, "another workspace follows its own copy"


def test_concurrent_requests_to_follow_one_job_make_one_job(db: Database) -> None:
    results: list[tracked.Tracked] = []
    barrier = threading.Barrier(4)

    def ask(user: str) -> None:
        barrier.wait()
        results.append(track(db, user_id=user))

    threads = [threading.Thread(target=ask, args=(f"U{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 4
    assert sorted(r.already for r in results) == [False, True, True, True]
    assert len({r.record.id for r in results}) == 1
    assert kinds(db) == [NotificationKind.ANNOUNCE]


def test_a_tracked_job_ends_with_the_counts_and_the_time_instantly_gave(db: Database) -> None:
    record = track(db).record
    ended = BEGUN + timedelta(minutes=7)

    record = jobs.finish(
        db,
        job_id=record.id,
        status="success",
        progress=100,
        moved_leads=None,
        counts={f"count_{n}": n for n in range(20)} | {"success_count": 950},
        ended_at=ended,
    )

    assert (record.phase, record.finished_at) == (Phase.FINISHED, ended)
    assert len(record.job_counts) == jobs.MAX_COUNTS
    assert record.job_counts[0] == ("count_0", 0)
    assert kinds(db) == [NotificationKind.ANNOUNCE, NotificationKind.PROGRESS, NotificationKind.FINAL]
    # The reply waits for the announcement it answers, as a move's does.
    assert [n.kind for n in outbox_claims.claim_due(db, owner="p1", lease_seconds=30)] == [NotificationKind.ANNOUNCE]


def test_retention_passes_over_a_tracked_job_that_has_no_order_to_forget(db: Database) -> None:
    record = track(db).record
    jobs.finish(db, job_id=record.id, status="success", progress=100, moved_leads=None)
    jobs.record_final_reply(db, job_id=record.id, ts="1.0002")
    with db.session() as session:
        row = session.get(JobRow, record.id)
        assert row is not None
        row.updated_at = utcnow() - timedelta(days=40)

    forgotten = retention.forget_before(db, cutoff=utcnow() - timedelta(days=30))

    assert forgotten.job_details == 1
    after = jobs.get(db, job_id=record.id)
    assert after is not None
    assert after.order is None
    assert after.job_type == "import-leads"


def _sighting(job_id: str) -> tracked.Sighting:
    return tracked.Sighting(
        channel_id="C1",
        user_id="U1",
        instantly_job_id=job_id,
        job_type="export-leads",
        status="pending",
        progress=0,
        next_poll_at=utcnow(),
        via="watch",
        via_name="Export leads, started by the API",
    )


def test_jobs_seen_together_are_followed_together_and_one_followed_before_is_not_twice(db: Database) -> None:
    before = track(db, job_id="b" * 24).record
    ids = ["a" * 24, "b" * 24, "c" * 24]

    followed = tracked.record_all(db, team_id="T1", sightings=[_sighting(job_id) for job_id in ids])

    assert [f.already for f in followed] == [False, True, False]
    assert followed[1].record.id == before.id
    assert [f.record.instantly_job_id for f in followed] == ids
    assert kinds(db).count(NotificationKind.ANNOUNCE) == 3, "one announcement each, none for the one seen before"
    rows = outbox_notifications(db)
    assert all(row.groupable for row in rows if row.job_id != before.id), "a watched job's may share a message"
    assert not any(row.groupable for row in rows if row.job_id == before.id), "a tracked job's has one of its own"

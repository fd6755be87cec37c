"""Jobs taken under a lease (storage.job_claims) on a real SQLite file and a real PostgreSQL server: one poller per
job at a time, only once due, orphans only once their requester's lease ran out, and a move being started never
freed."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from storage import job_claims, jobs, polls
from storage.clock import utcnow
from storage.db import Database
from tests.factories import requested_job, running_job


def test_a_lease_keeps_other_pollers_off_until_it_expires(db: Database) -> None:
    record = running_job(db, "b" * 24)
    assert [r.id for r in job_claims.claim_due(db, owner="p1", lease_seconds=30)] == [record.id]
    assert job_claims.claim_due(db, owner="p2", lease_seconds=30) == []
    assert job_claims.release_leases(db, owner="p1") == 1
    assert [r.id for r in job_claims.claim_due(db, owner="p2", lease_seconds=0.2)] == [record.id]
    time.sleep(0.3)
    assert [r.id for r in job_claims.claim_due(db, owner="p3", lease_seconds=30)] == [record.id]


def test_a_job_not_yet_due_is_not_claimed(db: Database) -> None:
    record = running_job(db, "c" * 24)
    polls.record_progress(
        db,
        job_id=record.id,
        status="in-progress",
        progress=10,
        moved_leads=None,
        next_poll_at=utcnow() + timedelta(minutes=5),
    )
    assert job_claims.claim_due(db, owner="p1", lease_seconds=30) == []


def test_concurrent_claimers_never_share_a_job(db: Database) -> None:
    created = {running_job(db, f"{i:024x}").id for i in range(40)}
    claimed: dict[str, list[int]] = {}

    def claim(owner: str) -> None:
        claimed[owner] = [r.id for r in job_claims.claim_due(db, owner=owner, lease_seconds=30, limit=25)]

    threads = [threading.Thread(target=claim, args=(f"p{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [job_id for ids in claimed.values() for job_id in ids]
    assert len(everything) == len(set(everything))
    assert set(everything) <= created


def test_a_requested_move_is_an_orphan_only_once_its_requesters_lease_runs_out(db: Database) -> None:
    record = requested_job(db, lease_seconds=2.0)
    assert job_claims.claim_orphans(db, owner="poller", lease_seconds=30) == []
    time.sleep(2.1)
    [orphan] = job_claims.claim_orphans(db, owner="poller", lease_seconds=30)
    assert orphan.id == record.id
    assert orphan.start_attempted_at is None
    assert jobs.mark_start_attempted(db, job_id=record.id, owner="web-1") is None, "its requester was too slow"
    attempted = jobs.mark_start_attempted(db, job_id=record.id, owner="poller")
    assert attempted is not None
    assert attempted.start_attempted_at is not None
    assert jobs.mark_start_attempted(db, job_id=record.id, owner="poller") is None, "a move is sent once"


def test_releasing_leases_never_frees_a_move_still_being_started(db: Database) -> None:
    """The listener starting a move and the poller share a process, hence a lease owner."""
    starting = requested_job(db, owner="process-1", lease_seconds=30)
    running = running_job(db, "9" * 24)
    assert [r.id for r in job_claims.claim_due(db, owner="process-1", lease_seconds=30)] == [running.id]
    assert job_claims.release_leases(db, owner="process-1", job_ids=[starting.id, running.id]) == 1
    assert job_claims.release_leases(db, owner="process-1") == 0
    assert job_claims.claim_orphans(db, owner="process-2", lease_seconds=30) == []
    assert starting.id not in [r.id for r in job_claims.claim_orphans(db, owner="process-1", lease_seconds=30)]

"""A live process keeps its leases however long its work takes; a silent one loses them within seconds."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from storage import job_claims, leases, outbox_claims, processes
from storage.clock import utcnow
from storage.db import Database
from storage.models import JobRow, ProcessRow
from tests.factories import requested_job, running_job


def _silence(db: Database, owner: str, *, seconds: float) -> None:
    with db.session() as session:
        session.execute(
            update(ProcessRow).where(ProcessRow.owner == owner).values(beat_at=utcnow() - timedelta(seconds=seconds))
        )


def _claimed_by(db: Database, owner: str) -> list[int]:
    return [record.id for record in job_claims.claim_due(db, owner=owner, lease_seconds=60)]


def test_a_silent_owners_leases_are_free_long_before_they_run_out(db: Database) -> None:
    record = running_job(db, "a" * 24)
    processes.beat(db, owner="dead", lease_seconds=60)
    assert _claimed_by(db, "dead") == [record.id]
    assert _claimed_by(db, "alive") == [], "a live owner keeps its 60 s lease"

    _silence(db, "dead", seconds=leases.SILENT_AFTER.total_seconds() + 1)

    assert _claimed_by(db, "alive") == [record.id]


def test_a_beating_owner_keeps_its_leases_past_their_expiry(db: Database) -> None:
    record = running_job(db, "a" * 24)
    processes.beat(db, owner="slow", lease_seconds=0.2)
    job_claims.claim_due(db, owner="slow", lease_seconds=0.2)
    with db.session() as session:  # the lease has run out, but its owner goes on working
        session.execute(update(JobRow).values(lease_expires_at=utcnow() - timedelta(seconds=1)))

    processes.beat(db, owner="slow", lease_seconds=60)

    assert _claimed_by(db, "other") == []
    with db.reading() as session:
        assert session.scalar(select(JobRow.lease_expires_at).where(JobRow.id == record.id)) > utcnow()


def test_a_move_being_started_keeps_the_expiry_it_was_given(db: Database) -> None:
    record = requested_job(db, owner="web", lease_seconds=0.1)
    processes.beat(db, owner="web", lease_seconds=60)

    with db.reading() as session:
        expires = session.scalar(select(JobRow.lease_expires_at).where(JobRow.id == record.id))
    assert expires is not None
    assert expires < utcnow() + timedelta(seconds=1), "a move whose start never comes must be recovered"


def test_outbox_leases_are_renewed_and_freed_the_same_way(db: Database) -> None:
    running_job(db, "a" * 24)
    processes.beat(db, owner="writer", lease_seconds=60)
    [claimed] = outbox_claims.claim_due(db, owner="writer", lease_seconds=60)
    assert outbox_claims.claim_due(db, owner="other", lease_seconds=60) == []

    _silence(db, "writer", seconds=10)

    assert [n.id for n in outbox_claims.claim_due(db, owner="other", lease_seconds=60)] == [claimed.id]


def test_a_stopped_process_speaks_for_no_lease_and_long_silent_ones_are_forgotten(db: Database) -> None:
    processes.beat(db, owner="gone", lease_seconds=60)
    processes.beat(db, owner="ancient", lease_seconds=60)
    _silence(db, "ancient", seconds=3 * 86400)

    processes.stopped(db, owner="gone")

    assert processes.forget_silent(db, older_than=timedelta(days=1)) == 1
    with db.reading() as session:
        assert list(session.scalars(select(ProcessRow.owner))) == []


def test_beating_again_moves_only_the_beat(db: Database) -> None:
    processes.beat(db, owner="p", lease_seconds=60)
    with db.reading() as session:
        first = session.scalars(select(ProcessRow)).one()
        started, beat = first.started_at, first.beat_at

    processes.beat(db, owner="p", lease_seconds=60)

    with db.reading() as session:
        again = session.scalars(select(ProcessRow)).one()
        assert again.started_at == started
        assert again.beat_at >= beat

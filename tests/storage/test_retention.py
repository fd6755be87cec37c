"""Past the retention period a finished job keeps its outcome but not what the person typed; old rows go."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from storage import jobs, outbox, outbox_claims, retention
from storage.clock import utcnow
from storage.db import Database
from storage.models import JobRow, NotificationRow, SubmissionRow
from storage.orders import LeadFilters, MoveOptions
from storage.records import JobRecord
from tests.factories import an_order, requested_job, running_job, submitted_job

TYPED = LeadFilters(search="jane@acme.com", emails=("jane@acme.com", "joe@acme.com"), lead_status="FILTER_VAL_ACTIVE")


def _done(db: Database, instantly_id: str) -> JobRecord:
    order = an_order(limit=50, filters=TYPED, options=MoveOptions(skip_duplicates=True))
    record = running_job(db, instantly_id, order=order)
    jobs.finish(db, job_id=record.id, status="success", progress=100, moved_leads=42)
    with db.session() as session:  # as builds before revision 0015 kept it
        session.execute(update(JobRow).where(JobRow.id == record.id).values(moved_lead_sample=["jane@acme.com"]))
    return jobs.record_final_reply(db, job_id=record.id, ts="1.2")


def _age(db: Database, days: float) -> None:
    then = utcnow() - timedelta(days=days)
    with db.session() as session:
        session.execute(update(JobRow).values(updated_at=then))
        session.execute(update(NotificationRow).values(updated_at=then))
        session.execute(update(SubmissionRow).values(created_at=then))


def _count(db: Database, table: type[NotificationRow] | type[SubmissionRow]) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_an_old_finished_job_keeps_its_outcome_but_not_what_was_typed(db: Database) -> None:
    record = _done(db, "a" * 24)
    _age(db, days=91)

    forgotten = retention.forget_before(db, cutoff=utcnow() - timedelta(days=90))

    kept = jobs.get(db, job_id=record.id)
    assert kept is not None
    assert forgotten.job_details == 1
    assert (kept.order.filters.search, kept.order.filters.emails) == (None, ())
    assert kept.order.filters.lead_status == "FILTER_VAL_ACTIVE"
    assert (kept.order.destination, kept.order.limit, kept.moved_leads) == (record.order.destination, 50, 42)
    assert kept.order.options.skip_duplicates
    with db.reading() as session:
        row = session.get(JobRow, record.id)
        assert row is not None
        assert row.moved_lead_sample is None, "the sample of moved e-mails is forgotten with what was typed"


def test_recent_and_unfinished_jobs_keep_everything(db: Database) -> None:
    recent = _done(db, "a" * 24)
    running = running_job(db, "b" * 24, order=an_order(filters=TYPED))
    _age(db, days=91)
    waiting = requested_job(db, order=an_order(filters=TYPED))

    retention.forget_before(db, cutoff=utcnow() - timedelta(days=90))
    retention.forget_before(db, cutoff=recent.updated_at - timedelta(seconds=1))

    for record in (running, waiting):
        kept = jobs.get(db, job_id=record.id)
        assert kept is not None
        assert kept.order.filters == TYPED


def test_sent_outbox_rows_and_old_submission_keys_go_and_waiting_writes_stay(db: Database) -> None:
    _done(db, "a" * 24)
    submitted_job(db, "view:V1:1.1")
    for notification in outbox_claims.claim_due(db, owner="w", lease_seconds=30):
        outbox.mark_sent(db, notification_id=notification.id, ts="1.1")
    running_job(db, "c" * 24)  # its announcement still waits
    _age(db, days=91)

    forgotten = retention.forget_before(db, cutoff=utcnow() - timedelta(days=90))

    assert forgotten.submissions == 1
    assert forgotten.outbox_rows >= 1
    assert outbox.waiting(db) >= 1, "a write still waiting is never forgotten"
    assert _count(db, SubmissionRow) == 0


def test_forgetting_twice_forgets_nothing_more_and_goes_in_batches(db: Database) -> None:
    for n in range(3):
        _done(db, f"{n:024x}")
    _age(db, days=91)
    cutoff = utcnow() - timedelta(days=90)

    first = retention.forget_before(db, cutoff=cutoff, batch=2)
    second = retention.forget_before(db, cutoff=cutoff, batch=2)
    third = retention.forget_before(db, cutoff=cutoff, batch=2)

    assert [first.job_details, second.job_details, third.job_details] == [2, 1, 0]

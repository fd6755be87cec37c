"""What storage hands out: a detached, typed value made from a row, its order read back from JSON."""

from __future__ import annotations

from sqlalchemy import update

from storage import jobs
from storage.db import Database
from storage.models import JobRow, Phase
from storage.orders import LeadFilters, MoveOptions
from tests.factories import an_order, requested_job


def test_a_record_carries_the_order_as_it_was_given(db: Database) -> None:
    order = an_order(
        copy=True,
        limit=20,
        filters=LeadFilters(search="acme", emails=("a@x.io",)),
        options=MoveOptions(skip_duplicates=True, assign_to="u-1"),
    )

    record = requested_job(db, order=order)

    assert record.order == order
    assert jobs.get(db, job_id=record.id) == record


def test_a_records_phase_is_the_enum_not_a_bare_string(db: Database) -> None:
    record = requested_job(db)

    assert record.phase is Phase.REQUESTED


def test_a_record_does_not_change_when_its_row_does(db: Database) -> None:
    record = requested_job(db)

    with db.session() as session:
        session.execute(update(JobRow).values(progress=55))

    assert record.progress == 0
    fresh = jobs.get(db, job_id=record.id)
    assert fresh is not None
    assert fresh.progress == 55

"""One lease mechanism for jobs and outbox rows: a claimed row is left alone until it is freed or its lease ends."""

from __future__ import annotations

import time
from typing import cast

from sqlalchemy import Table, select

from storage import leases
from storage.clock import utcnow
from storage.db import Database
from storage.models import JobRow, Leased, NotificationRow
from tests.factories import requested_job, running_job


def _claim(db: Database, model: type[Leased], owner: str, lease_seconds: float = 30) -> list[int]:
    now = utcnow()
    table = cast(Table, model.__table__)  # type: ignore[attr-defined]
    query = leases.claimable(select(table.c.id).where(leases.is_free(table)).order_by(table.c.id))
    with db.session() as session:
        rows = leases.claim(session, query, {}, table=table, owner=owner, lease_seconds=lease_seconds, now=now)
        return [row.id for row in rows]


def _holders(db: Database, model: type[Leased]) -> list[str | None]:
    with db.reading() as session:
        return [row.lease_owner for row in session.scalars(select(model).order_by(model.id))]


def test_a_claimed_row_is_not_claimed_again_while_its_lease_lasts(db: Database) -> None:
    running_job(db, "a" * 24)
    running_job(db, "b" * 24)

    first = _claim(db, JobRow, "p1")
    second = _claim(db, JobRow, "p2")

    assert len(first) == 2
    assert second == []
    assert _holders(db, JobRow) == ["p1", "p1"]


def test_a_lease_that_ran_out_can_be_taken_over(db: Database) -> None:
    running_job(db, "a" * 24)
    _claim(db, JobRow, "dead", lease_seconds=0.05)
    time.sleep(0.1)

    assert len(_claim(db, JobRow, "alive")) == 1
    assert _holders(db, JobRow) == ["alive"]


def test_the_same_mechanism_leases_outbox_rows(db: Database) -> None:
    running_job(db, "a" * 24)  # attaching queues the announcement

    assert len(_claim(db, NotificationRow, "writer-1")) == 1
    assert _claim(db, NotificationRow, "writer-2") == []


def test_release_frees_only_the_owners_rows_and_only_those_asked_for(db: Database) -> None:
    mine = running_job(db, "a" * 24)
    running_job(db, "b" * 24)
    _claim(db, JobRow, "p1")
    requested_job(db, owner="p2")

    with db.session() as session:
        freed = leases.release(session, JobRow, owner="p1", where=[JobRow.id == mine.id])

    assert freed == 1
    assert _holders(db, JobRow) == [None, "p1", "p2"]


def test_freed_values_end_a_lease(db: Database) -> None:
    record = running_job(db, "a" * 24)
    _claim(db, JobRow, "p1")

    with db.session() as session:
        row = session.get(JobRow, record.id)
        assert row is not None
        for column, value in leases.FREED.items():
            setattr(row, column, value)

    assert _holders(db, JobRow) == [None]
    with db.reading() as session:
        assert session.scalar(select(JobRow.lease_expires_at)) is None

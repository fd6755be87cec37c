"""The audit log (storage.audit and the triggers of revision 0008): entries are recorded and read back newest first
with a limit, oldest first without one, by workspace and from a time; the table is append-only, so an UPDATE or a
DELETE, through the ORM or in plain SQL, is refused by the database itself; and retention leaves it alone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from storage import audit, jobs, retention
from storage.clock import utcnow
from storage.db import Database
from storage.models import AuditRow
from tests.factories import running_job

T0 = datetime(2026, 3, 1, 9, 0)


def _at(db: Database, at: datetime, *, team: str = "T1", action: str = "move", user: str = "U1") -> None:
    """An entry recorded at a chosen time (audit.record always stamps now); inserting is what the log allows."""
    with db.session() as session:
        session.add(
            AuditRow(at=at, team_id=team, user_id=user, action=action, detail={}, instantly_job_id=None, outcome="ok")
        )


def _actions(entries: list[audit.Entry]) -> list[str]:
    return [entry.action for entry in entries]


def test_an_entry_is_read_back_as_recorded(db: Database) -> None:
    before = utcnow()
    audit.record(
        db,
        team_id="T1",
        user_id="U1",
        action="move",
        outcome="started",
        detail={"job": 7, "order": {"limit": 50, "source": "c-1"}},
        instantly_job_id="a" * 24,
    )

    [entry] = audit.entries(db)
    assert (entry.team_id, entry.user_id, entry.action, entry.outcome) == ("T1", "U1", "move", "started")
    assert entry.detail == {"job": 7, "order": {"limit": 50, "source": "c-1"}}
    assert entry.instantly_job_id == "a" * 24
    assert before <= entry.at <= utcnow()


def test_an_entry_without_detail_has_an_empty_one(db: Database) -> None:
    audit.record(db, team_id="T1", user_id="U1", action="allow", outcome="allowed")

    [entry] = audit.entries(db)
    assert entry.detail == {}
    assert entry.instantly_job_id is None


def test_a_long_outcome_is_cut_to_two_thousand_characters(db: Database) -> None:
    audit.record(db, team_id="T1", user_id="U1", action="reject", outcome="x" * 5000)

    [entry] = audit.entries(db)
    assert entry.outcome == "x" * 2000


def test_without_a_limit_entries_come_oldest_first(db: Database) -> None:
    for action in ("first", "second", "third"):
        audit.record(db, team_id="T1", user_id="U1", action=action, outcome="ok")

    assert _actions(audit.entries(db)) == ["first", "second", "third"]


def test_with_a_limit_the_latest_entries_come_newest_first(db: Database) -> None:
    for action in ("first", "second", "third", "fourth"):
        audit.record(db, team_id="T1", user_id="U1", action=action, outcome="ok")

    assert _actions(audit.entries(db, limit=2)) == ["fourth", "third"]
    assert _actions(audit.entries(db, limit=10)) == ["fourth", "third", "second", "first"]


def test_entries_of_one_workspace_leave_out_the_others(db: Database) -> None:
    audit.record(db, team_id="T1", user_id="U1", action="one", outcome="ok")
    audit.record(db, team_id="T2", user_id="U1", action="two", outcome="ok")
    audit.record(db, team_id="T1", user_id="U2", action="three", outcome="ok")

    assert _actions(audit.entries(db, team_id="T1")) == ["one", "three"]
    assert _actions(audit.entries(db, team_id="T2", limit=5)) == ["two"]
    assert audit.entries(db, team_id="T3") == []
    assert _actions(audit.entries(db)) == ["one", "two", "three"]


def test_entries_since_a_time_include_that_time_and_leave_out_earlier_ones(db: Database) -> None:
    _at(db, T0 - timedelta(seconds=1), action="before")
    _at(db, T0, action="at")
    _at(db, T0 + timedelta(hours=1), action="after")
    _at(db, T0 + timedelta(hours=2), team="T2", action="elsewhere")

    assert _actions(audit.entries(db, since=T0)) == ["at", "after", "elsewhere"]
    assert _actions(audit.entries(db, team_id="T1", since=T0)) == ["at", "after"]
    assert _actions(audit.entries(db, team_id="T1", since=T0, limit=1)) == ["after"]


# --- append-only ----------------------------------------------------------------------------------------------

Change = Callable[[Session, int], Any]


def _orm_update(session: Session, entry_id: int) -> None:
    row = session.get(AuditRow, entry_id)
    assert row is not None
    row.outcome = "rewritten"
    session.flush()


def _orm_delete(session: Session, entry_id: int) -> None:
    row = session.get(AuditRow, entry_id)
    assert row is not None
    session.delete(row)
    session.flush()


CHANGES: dict[str, Change] = {
    "orm update": _orm_update,
    "orm delete": _orm_delete,
    "core update": lambda s, i: s.execute(update(AuditRow).where(AuditRow.id == i).values(user_id="U666")),
    "core delete": lambda s, i: s.execute(delete(AuditRow).where(AuditRow.id == i)),
    "core update of every row": lambda s, _i: s.execute(update(AuditRow).values(action="nothing")),
    "core delete of every row": lambda s, _i: s.execute(delete(AuditRow)),
    "sql update": lambda s, i: s.execute(text("UPDATE audit_log SET outcome = 'gone' WHERE id = :i"), {"i": i}),
    "sql delete": lambda s, i: s.execute(text("DELETE FROM audit_log WHERE id = :i"), {"i": i}),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_the_database_refuses_to_change_or_delete_an_entry(db: Database, change: Change) -> None:
    audit.record(db, team_id="T1", user_id="U1", action="move", outcome="started", detail={"job": 1})
    with db.reading() as session:
        entry_id = session.scalars(select(AuditRow.id)).one()

    with pytest.raises(DBAPIError, match="append-only"), db.session() as session:
        change(session, entry_id)

    [entry] = audit.entries(db)
    assert (entry.team_id, entry.user_id, entry.action, entry.outcome, entry.detail) == (
        "T1",
        "U1",
        "move",
        "started",
        {"job": 1},
    )


def test_entries_can_still_be_added_after_a_refused_change(db: Database) -> None:
    audit.record(db, team_id="T1", user_id="U1", action="first", outcome="ok")
    with pytest.raises(DBAPIError), db.session() as session:
        session.execute(delete(AuditRow))

    audit.record(db, team_id="T1", user_id="U1", action="second", outcome="ok")

    assert _actions(audit.entries(db)) == ["first", "second"]


def test_retention_forgets_old_jobs_but_leaves_the_audit_log_alone(db: Database) -> None:
    _at(db, utcnow() - timedelta(days=400), action="ancient")
    record = running_job(db, "a" * 24)
    jobs.finish(db, job_id=record.id, status="success", progress=100, moved_leads=3)
    jobs.record_final_reply(db, job_id=record.id, ts="1.2")
    audit.record(db, team_id="T1", user_id="U1", action="move", outcome="done", detail={"job": record.id})

    forgotten = retention.forget_before(db, cutoff=utcnow() + timedelta(days=1))

    assert forgotten.job_details == 1, "retention did run over everything older than the cutoff"
    assert _actions(audit.entries(db)) == ["ancient", "move"]
    assert audit.entries(db)[1].detail == {"job": record.id}

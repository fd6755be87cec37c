"""The audit log (storage.audit, the triggers of revisions 0008 and 0013, the roles of storage.migrate): entries are
recorded and read back newest first with a limit, oldest first without one, by workspace and from a time; the table
is append-only, so an UPDATE or a DELETE, through the ORM or in plain SQL, a REPLACE or an UPSERT, is refused by the
database itself; on PostgreSQL with a migration role, the app's role cannot update, delete, truncate, alter or drop
it, yet the app works; and retention leaves it alone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from storage import audit, jobs, migrate, outbox, outbox_claims, retention
from storage.clock import utcnow
from storage.db import Database
from storage.models import AuditRow, NotificationKind
from tests.factories import outbox_rows, running_job
from tests.postgres_roles import Roles, two_roles

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


# INSERT OR REPLACE deletes the row it collides with without firing revision 0008's DELETE trigger; an UPSERT turns
# into an UPDATE. Both name an id that exists, which revision 0013 refuses before anything is written.
_COLUMNS = "(id, at, team_id, user_id, action, detail, outcome) VALUES (:i, '2026-01-01', 'T1', 'U666', 'x', '{}', "
REWRITES = {
    "insert or replace": f"INSERT OR REPLACE INTO audit_log {_COLUMNS}'replaced')",
    "replace": f"REPLACE INTO audit_log {_COLUMNS}'replaced')",
    "upsert": f"INSERT INTO audit_log {_COLUMNS}'upserted') ON CONFLICT(id) DO UPDATE SET outcome = 'upserted'",
    "upsert from excluded": f"INSERT INTO audit_log {_COLUMNS}'upserted') ON CONFLICT(id) DO UPDATE "
    "SET outcome = excluded.outcome, user_id = excluded.user_id",
}


@pytest.mark.parametrize("statement", REWRITES.values(), ids=REWRITES.keys())
def test_sqlite_refuses_an_insert_that_would_rewrite_an_entry(sqlite_db: Database, statement: str) -> None:
    audit.record(sqlite_db, team_id="T1", user_id="U1", action="move", outcome="started", detail={"job": 1})
    [entry] = audit.entries(sqlite_db)
    with sqlite_db.reading() as session:
        entry_id = session.scalars(select(AuditRow.id)).one()

    for _upgraded in range(2):  # as migrated, and after a fresh upgrade of that database
        with pytest.raises(DBAPIError, match="append-only"), sqlite_db.session() as session:
            session.execute(text(statement), {"i": entry_id})
        assert audit.entries(sqlite_db) == [entry]
        migrate.upgrade(sqlite_db)

    audit.record(sqlite_db, team_id="T1", user_id="U1", action="next", outcome="ok")
    assert _actions(audit.entries(sqlite_db)) == ["move", "next"]


def test_postgresql_refuses_an_upsert_that_would_rewrite_an_entry(db: Database) -> None:
    audit.record(db, team_id="T1", user_id="U1", action="move", outcome="started")
    [entry] = audit.entries(db)
    with db.reading() as session:
        entry_id = session.scalars(select(AuditRow.id)).one()

    with pytest.raises(DBAPIError, match="append-only"), db.session() as session:
        session.execute(text(REWRITES["upsert from excluded"]), {"i": entry_id})

    assert audit.entries(db) == [entry]


@pytest.mark.parametrize("planted", [-1, 0], ids=["the id sqlite gives triggers", "zero"])
def test_sqlite_refuses_an_entry_planted_below_the_first_id(sqlite_db: Database, planted: int) -> None:
    # A row with id -1 would make every later entry look, to the BEFORE INSERT trigger, like a replacement.
    with pytest.raises(DBAPIError, match="append-only"), sqlite_db.session() as session:
        session.execute(text(f"INSERT INTO audit_log {_COLUMNS}'planted')"), {"i": planted})

    audit.record(sqlite_db, team_id="T1", user_id="U1", action="move", outcome="started")
    assert _actions(audit.entries(sqlite_db)) == ["move"]


# --- PostgreSQL: the app's role only adds to the log and reads it ----------------------------------------------------


@pytest.fixture
def roles() -> Iterator[Roles]:
    yield from two_roles()


@pytest.fixture
def app_db(roles: Roles) -> Iterator[Database]:
    """The app's database: migrated by the owner role, as start-up does with LEADMOVER_MIGRATION_DATABASE_URL."""
    database = Database(roles.app_url)
    migrate.upgrade(database, owner_url=roles.owner_url)
    yield database
    database.dispose()


# What someone speaking as the app's role might try; PostgreSQL answers each with 42501, insufficient privilege.
APP_ROLE_REWRITES = {
    "update": "UPDATE audit_log SET outcome = 'rewritten'",
    "delete": "DELETE FROM audit_log",
    "truncate": "TRUNCATE audit_log",
    "upsert": REWRITES["upsert from excluded"],
    "disable trigger": "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
    "disable every trigger": "ALTER TABLE audit_log DISABLE TRIGGER ALL",
    "drop trigger": "DROP TRIGGER audit_log_append_only ON audit_log",
    "drop table": "DROP TABLE audit_log",
    "rename table": "ALTER TABLE audit_log RENAME TO audit_log_old",
    "take the table": "ALTER TABLE audit_log OWNER TO CURRENT_USER",
    "replace the trigger function": "CREATE OR REPLACE FUNCTION leadmover_audit_append_only() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
    "drop the schema": "DROP SCHEMA {schema} CASCADE",
    "stamp another revision": "UPDATE alembic_version SET version_num = '0001'",
}


def test_the_apps_role_cannot_rewrite_truncate_alter_or_drop_the_audit_log(roles: Roles, app_db: Database) -> None:
    audit.record(app_db, team_id="T1", user_id="U1", action="move", outcome="started", detail={"job": 1})
    [entry] = audit.entries(app_db)
    with app_db.reading() as session:
        entry_id = session.scalars(select(AuditRow.id)).one()

    answers: dict[str, str] = {}
    for name, statement in APP_ROLE_REWRITES.items():
        try:
            with app_db.session() as session:
                session.execute(text(statement.replace("{schema}", roles.schema)), {"i": entry_id})
            answers[name] = "allowed"
        except DBAPIError as exc:
            answers[name] = f"{getattr(exc.orig, 'sqlstate', None)}: {exc.orig}"

    assert {name: answer for name, answer in answers.items() if not answer.startswith("42501")} == {}
    assert audit.entries(app_db) == [entry]
    assert migrate.current_revision(app_db) == migrate.head_revision()


def test_the_apps_role_still_writes_a_move_follows_it_and_adds_to_the_audit_log(app_db: Database) -> None:
    record = running_job(app_db, "a" * 24)
    with app_db.session() as session:
        outbox.enqueue(session, team_id="T1", job_id=record.id, channel_id="C1", kind=NotificationKind.FINAL)
    [claimed] = outbox_claims.claim_due(app_db, owner="web-1", lease_seconds=30)
    outbox.mark_sent(app_db, notification_id=claimed.id, ts="1.2")
    jobs.finish(app_db, job_id=record.id, status="success", progress=100, moved_leads=3)
    jobs.record_final_reply(app_db, job_id=record.id, ts="1.2")
    audit.record(app_db, team_id="T1", user_id="U1", action="move", outcome="done", detail={"job": record.id})

    forgotten = retention.forget_before(app_db, cutoff=utcnow() + timedelta(days=1))

    assert (forgotten.job_details, forgotten.outbox_rows) == (1, 1), "updated the job, deleted the sent write"
    assert claimed.id not in [row.id for row in outbox_rows(app_db)]
    assert [(entry.action, entry.detail) for entry in audit.entries(app_db)] == [("move", {"job": record.id})]


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

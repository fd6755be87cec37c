"""The database handle: URLs hosted PostgreSQL gives work as they are, and reads never wait for SQLite's writer."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from storage import migrate
from storage.db import Database


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_postgres_urls_get_the_driver_leadmover_ships(given: str, used: str) -> None:
    db = Database(given)
    try:
        assert db.url == used
        assert db.is_sqlite == used.startswith("sqlite")
    finally:
        db.dispose()


def _add_workspace(db: Database, team_id: str, *, then_fail: bool = False) -> None:
    with db.session() as session:
        session.execute(
            text("INSERT INTO workspaces (team_id, updated_at) VALUES (:team, CURRENT_TIMESTAMP)"), {"team": team_id}
        )
        if then_fail:
            raise RuntimeError("boom")


def test_a_session_commits_when_its_block_ends_and_rolls_back_on_error(db: Database) -> None:
    _add_workspace(db, "T1")
    with pytest.raises(RuntimeError):
        _add_workspace(db, "T2", then_fail=True)

    with db.reading() as session:
        assert list(session.scalars(text("SELECT team_id FROM workspaces"))) == ["T1"]


def test_on_sqlite_a_read_goes_on_while_a_write_holds_the_lock(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'lock.db'}")
    migrate.upgrade(db)
    writing, read_done = threading.Event(), threading.Event()

    def hold_the_write_lock() -> None:
        with db.session() as session:
            session.execute(text("INSERT INTO workspaces (team_id, updated_at) VALUES ('T1', CURRENT_TIMESTAMP)"))
            writing.set()
            read_done.wait(5)

    writer = threading.Thread(target=hold_the_write_lock)
    writer.start()
    try:
        assert writing.wait(5)
        with db.reading() as session:
            assert session.scalar(text("SELECT count(*) FROM workspaces")) == 0, "the write is not committed yet"
        read_done.set()
    finally:
        read_done.set()
        writer.join(5)
        db.dispose()


def test_a_new_sqlite_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / "private.db"
    db = Database(f"sqlite:///{path}")
    try:
        migrate.upgrade(db)
        with db.session() as session:
            session.execute(text("INSERT INTO workspaces (team_id, updated_at) VALUES ('T1', CURRENT_TIMESTAMP)"))
        for file in (path, path.with_name("private.db-wal")):
            assert file.stat().st_mode & 0o777 == 0o600, file
    finally:
        db.dispose()

"""The engine and session factory for DATABASE_URL: an SQLite file by default, PostgreSQL for replicas.

Its schema comes from storage.migrate.upgrade.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker


def _normalise_url(url: str) -> str:
    # Hosted PostgreSQL URLs often say postgres:// or postgresql://; we ship the psycopg 3 driver.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


_READ_ONLY = "leadmover_read_only"


def upsert_into(session: Session, model: type[Any]) -> Any:
    """An INSERT for `model` that can say ON CONFLICT, in the session's dialect (both have the same clauses)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return insert(model)


class Database:
    """One engine per process; sessions are short and every write commits at once."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = _normalise_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 30}
            _create_private_file(self.url)
        else:
            kwargs.update(pool_pre_ping=True, pool_size=5, max_overflow=10)
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin_immediate)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction that may write; committed when the block ends."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only transaction. On SQLite it does not wait for the write lock, so an ack never queues behind
        the poller."""
        with self._sessions() as session:
            session.connection(execution_options={_READ_ONLY: True})
            yield session
            session.rollback()

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy, not the driver, starts transactions (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None
    # WAL lets readers go on while one writer works; a busy timeout waits instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # SQLite has no SELECT ... FOR UPDATE: taking the write lock up front makes a read-then-claim atomic.
    read_only = connection.get_execution_options().get(_READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _create_private_file(url: str) -> None:
    """Create the SQLite file readable and writable by its owner only, before SQLite creates it with the umask's
    looser mode. Its -wal and -shm files take the same mode from it."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))

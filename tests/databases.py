"""The test databases: PostgreSQL in a private schema per test when TEST_POSTGRES_URL is set, in a database of each
pytest-xdist worker's own, and a migration recorded once to be replayed in the schemas of tests that need HEAD."""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import create_engine, event, make_url, text

from storage import migrate
from storage.db import Database

# .ci/run sets this, so that a PostgreSQL test that would skip fails instead.
REQUIRE_POSTGRES = os.environ.get("LEADMOVER_REQUIRE_POSTGRES") == "1"
# Set by pytest-xdist in each worker ("gw0", "gw1", ...); empty when the tests run in one process.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
# Any constant will do: the workers take turns creating their databases.
_CREATE_LOCK_KEY = 0x6C6D74657374  # "lmtest"


def _worker_url(url: str, worker: str) -> str:
    """`url` on a database of `worker`'s own: advisory locks (the migration lock among them) are per database, so
    one worker migrating never makes the other's tests wait or time out."""
    if not url or not worker:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database or 'postgres'}_{worker}").render_as_string(hide_password=False)


_GIVEN_URL = os.environ.get("TEST_POSTGRES_URL", "")
POSTGRES_URL = _worker_url(_GIVEN_URL, _WORKER)


def _psycopg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@functools.cache
def ensure_database() -> None:
    """Create this worker's database the first time a test needs it; it is kept for the next run."""
    if POSTGRES_URL == _GIVEN_URL:
        return
    name = make_url(POSTGRES_URL).database
    admin = create_engine(_psycopg(_GIVEN_URL), isolation_level="AUTOCOMMIT")  # CREATE DATABASE refuses a transaction
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _CREATE_LOCK_KEY})
            try:
                exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
                if exists.first() is None:
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _CREATE_LOCK_KEY})
    finally:
        admin.dispose()


@contextmanager
def private_schema() -> Iterator[str]:
    """A URL whose connections live in a fresh, private schema, dropped afterwards."""
    if not POSTGRES_URL:
        reason = "TEST_POSTGRES_URL is not set, so the PostgreSQL variant of this test cannot run"
        if REQUIRE_POSTGRES:
            pytest.fail(reason)
        pytest.skip(reason)
    ensure_database()
    schema = f"lm_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_psycopg(POSTGRES_URL))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def postgres_schema_url() -> Iterator[str]:
    """A URL whose connections live in a fresh, private schema, dropped afterwards (for `yield from` in a fixture)."""
    with private_schema() as url:
        yield url


# A statement as the driver got it: SQL, its parameters, and whether they were many rows' (executemany).
Statement = tuple[str, Any, bool]


def recorded_migration(url: str) -> list[Statement]:
    """Migrate the empty schema at `url` to HEAD, and return each statement that wrote to it, in order: replayed in
    another empty schema, they make the same tables, indexes, triggers and revision. Alembic's own work (reading
    the scripts, planning the steps) is left out, which is most of what a migration costs the test process."""
    database = Database(url)
    written: list[Statement] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        # Reads (the version table, the catalog, a data migration's rows) change nothing in an empty schema.
        if not statement.lstrip().upper().startswith("SELECT"):
            written.append((statement, parameters, many))

    try:
        with database.engine.connect() as connection:
            schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        event.listen(database.engine, "before_cursor_execute", record)
        migrate.upgrade(database)
    finally:
        database.dispose()
    # A statement naming its schema would reach back into this one when replayed.
    assert not [s for s in written if schema in f"{s[0]} {s[1]!r}"], "a migration names its schema"
    return written


def replay(url: str, statements: list[Statement]) -> None:
    """Run what recorded_migration recorded in the empty schema at `url`, in one transaction, as the driver got it."""
    database = Database(url)
    try:
        with database.engine.begin() as connection:
            raw = connection.connection.dbapi_connection
            assert raw is not None
            cursor = raw.cursor()
            try:
                for statement, parameters, many in statements:
                    if many:
                        cursor.executemany(statement, parameters)
                    else:
                        cursor.execute(statement, parameters or None)
            finally:
                cursor.close()
    finally:
        database.dispose()

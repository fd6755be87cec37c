"""Brings a database to the newest schema revision (Alembic), safely when several replicas start at once, as the
app's own role or as a separate owner role that then grants the app's role only what it needs.

`python -m storage.migrate revision -m MESSAGE` writes the next revision for a developer to review.
"""

from __future__ import annotations

import argparse
import functools
import logging
import sqlite3
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError

from storage import db_roles
from storage.db import Database
from storage.db_roles import RoleSetupError
from storage.schema import metadata

if TYPE_CHECKING:
    # Alembic is imported only when a migration runs: a process whose database is already at HEAD never loads it
    # (it is a tenth of a serving process's memory).
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext, RevisionStep
    from alembic.script import ScriptDirectory

log = logging.getLogger(__name__)

SCRIPT_LOCATION = Path(__file__).with_name("migrations")
# The newest revision; tests/storage/test_migrate.py holds it to the scripts' own head.
HEAD = "0022"
# The schema Base.metadata.create_all made before leadmover had migrations: such a database is adopted at it.
BASELINE_REVISION = "0001"
# Any constant shared by every leadmover process will do; this one spells "leadmove" in ASCII.
_ADVISORY_LOCK_KEY = 0x6C6561646D6F7665
# Alembic installs its `context` and `op` proxies process-wide, so migrations within one process take turns.
_IN_PROCESS = threading.RLock()


class SchemaAdoptionError(RuntimeError):
    """The database has some of leadmover's tables but no recorded revision, and does not match the baseline."""


def alembic_config() -> Config:
    """A fresh Config for alembic.command functions; pass the connection as config.attributes["connection"]."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    return config


@functools.cache
def _config() -> Config:
    return alembic_config()


@functools.cache
def _script() -> ScriptDirectory:
    # Reading the revision files once per process keeps upgrade cheap: tests call it for every database.
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    """The newest revision among the migration scripts."""
    head = _script().get_current_head()  # raises on several heads: a merge revision is missing
    if head is None:
        raise RuntimeError(f"no migrations found in {SCRIPT_LOCATION}")
    return head


def current_revision(db: Database) -> str | None:
    """The revision recorded in the database; None when it has none (empty, or made by create_all)."""
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def at_head(db: Database) -> bool:
    """Whether the database already records HEAD, read without Alembic (False when it cannot be read)."""
    try:
        with db.engine.connect() as connection:
            found = connection.execute(text(f"SELECT version_num FROM {db_roles.VERSION_TABLE}")).scalars().all()  # noqa: S608
    except DBAPIError:
        return False  # no version table yet: a new database
    return found == [HEAD]


def context_options(*, dialect: str) -> dict[str, Any]:
    """The migration context's options, shared by upgrades here and by env.py (autogenerate)."""
    return {
        "target_metadata": metadata,
        # SQLite cannot ALTER most things: autogenerate must write batch operations, which rebuild the table.
        "render_as_batch": dialect == "sqlite",
    }


def upgrade(db: Database, *, owner_url: str | None = None) -> None:
    """Apply the pending revisions in one transaction, under a lock that makes concurrent starts wait their turn.
    A database already at HEAD, migrated by its own role, is left as it is without loading Alembic.

    With `owner_url` (LEADMOVER_MIGRATION_DATABASE_URL, PostgreSQL only) they run as that URL's role, which owns
    the schema, and `db`'s role, the app's, is then granted only what the app needs: on audit_log, SELECT and
    INSERT. When both URLs speak as the same role, or there is no `owner_url`, `db`'s role migrates and nothing is
    granted."""
    owner_url = (owner_url or "").strip() or None
    if owner_url is None:
        if not at_head(db):
            _upgrade(db, app=None)
        return
    if db.is_sqlite:
        raise RoleSetupError("LEADMOVER_MIGRATION_DATABASE_URL is for PostgreSQL: SQLite has no roles to separate")
    owner = Database(owner_url)
    try:
        granted = _upgrade(owner, app=db_roles.place(db))
    finally:
        owner.dispose()
    # Only now may the app's role use the owner's schema, and so find it first on its search path.
    if granted is not None and db_roles.place(db).schema != granted.schema:
        raise RoleSetupError(
            f"DATABASE_URL's search path does not lead to schema {granted.schema}, where the role of "
            "LEADMOVER_MIGRATION_DATABASE_URL keeps leadmover's tables: give both URLs the same search_path"
        )


def _upgrade(db: Database, *, app: db_roles.Place | None) -> db_roles.Grant | None:
    """Migrate as `db`'s role; with `app`, grant the app's role its privileges and return where they were granted
    (None when the app's role is `db`'s own)."""
    foreign_keys_off = _sqlite_foreign_keys_off if db.is_sqlite else _unchanged
    # On SQLite the engine begins with BEGIN IMMEDIATE: the file's write lock serialises migrators.
    with db.engine.connect() as connection, foreign_keys_off(connection), connection.begin():
        if connection.dialect.name == "postgresql":
            # Released at commit, so the next replica sees the finished schema and has nothing left to do.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
        granting = db_roles.granting(connection, app) if app is not None else None
        with _IN_PROCESS:
            _migrate(connection, target="head", adopt=True)
        if granting is not None:
            # In the migration's transaction: a replica never sees new tables before the app's role may use them.
            db_roles.grant_app_role(connection, role=granting.role, schema=granting.schema)
        if db.is_sqlite:
            _check_foreign_keys(connection)
    return granting


def _migrate(connection: Connection, *, target: str, adopt: bool) -> None:
    from alembic.runtime.environment import EnvironmentContext

    script = _script()
    stamp = BASELINE_REVISION if adopt and _is_unversioned_legacy(connection) else None
    if stamp is not None:
        log.info("adopting a database created before migrations at revision %s", stamp)

    def steps(heads: Any, _context: MigrationContext) -> list[RevisionStep]:
        # The step list alembic.command.upgrade builds, from the cached scripts instead of re-reading them.
        pending = script._upgrade_revs(target, heads)
        if pending:
            log.info("applying %d schema migration(s) up to %s", len(pending), target)
        return pending

    with EnvironmentContext(_config(), script, fn=steps, destination_rev=target) as environment:
        environment.configure(connection=connection, **context_options(dialect=connection.dialect.name))
        if stamp is not None:
            environment.get_context().stamp(script, stamp)
        environment.run_migrations()


def _is_unversioned_legacy(connection: Connection) -> bool:
    """True for a database that create_all made at the baseline; raises if it has only part of that schema."""
    inspector = inspect(connection)
    present = set(inspector.get_table_names())
    # The usual cases, answered by this one query: an empty database, or one that records its revision.
    if not present or db_roles.VERSION_TABLE in present:
        return False
    baseline = _baseline_columns()
    if not present & baseline.keys():
        return False  # only someone else's tables: the revisions create ours beside them
    problems = [f"table {name} is missing" for name in sorted(baseline.keys() - present)]
    for name in sorted(baseline.keys() & present):
        columns = {column["name"] for column in inspector.get_columns(name)}
        problems += [f"{name}.{column} is missing" for column in sorted(baseline[name] - columns)]
    if problems:
        raise SchemaAdoptionError(
            "the database has leadmover tables but no migration revision, and they differ from revision "
            f"{BASELINE_REVISION}: " + "; ".join(problems)
        )
    return True


@functools.cache
def _baseline_columns() -> dict[str, frozenset[str]]:
    # The baseline schema, read from the baseline revision itself (applied to a throwaway in-memory database), so
    # the adoption check never drifts from what that revision creates.
    scratch = Database("sqlite://")
    try:
        with scratch.engine.connect() as connection, connection.begin(), _IN_PROCESS:
            _migrate(connection, target=BASELINE_REVISION, adopt=False)
            inspector = inspect(connection)
            return {
                name: frozenset(column["name"] for column in inspector.get_columns(name))
                for name in inspector.get_table_names()
                if name != db_roles.VERSION_TABLE
            }
    finally:
        scratch.dispose()


@contextmanager
def _unchanged(_connection: Connection) -> Iterator[None]:
    yield


@contextmanager
def _sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    # A batch migration rebuilds a table by copying it and dropping the original; with foreign keys on, dropping
    # jobs would cascade-delete every notification. SQLite ignores this pragma inside a transaction, hence the
    # driver-level call before SQLAlchemy begins one.
    raw = connection.connection.dbapi_connection
    assert raw is not None
    _driver_execute(raw, "PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        try:
            _driver_execute(raw, "PRAGMA foreign_keys=ON")
        except sqlite3.Error:
            # The pool must never hand out a connection without foreign keys; a fresh one gets the engine's pragmas.
            connection.invalidate()


def _driver_execute(raw: DBAPIConnection, statement: str) -> None:
    cursor = raw.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"the migration left rows whose foreign keys point nowhere: {broken[:5]}")


def new_revision(*, message: str, url: str | None = None) -> list[Path]:
    """Write the next revision: what storage.schema has that a database at head lacks. Review before committing."""
    from alembic import command
    from alembic.script import Script

    head = _script().get_current_head()
    rev_id = f"{int(head) + 1:04d}" if head is not None and head.isdigit() else None
    with tempfile.TemporaryDirectory() as scratch:
        # Autogenerate needs a database at head to compare with: a scratch SQLite file unless --url names one.
        db = Database(url or f"sqlite:///{Path(scratch) / 'head.db'}")
        try:
            upgrade(db)
            config = alembic_config()
            with db.engine.connect() as connection:
                config.attributes["connection"] = connection
                written = command.revision(config, message=message, autogenerate=True, rev_id=rev_id)
        finally:
            db.dispose()
    scripts = written if isinstance(written, list) else [written]
    return [Path(s.path) for s in scripts if isinstance(s, Script)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m storage.migrate", description="Developer tools for migrations.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    revision = commands.add_parser("revision", help="autogenerate the next revision from storage.schema")
    revision.add_argument("-m", "--message", required=True, help="what the revision changes, e.g. 'add jobs.note'")
    revision.add_argument("--url", help="compare with this database, after applying pending migrations to it")
    args = parser.parse_args(argv)
    for path in new_revision(message=args.message, url=args.url):
        print(f"wrote {path}: review it, then run ruff format and the migration tests")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Migrations on both backends: an empty database, one made by create_all, concurrent starts, `leadmover migrate`;
on PostgreSQL, migrations run as an owner role that grants the app's role only what it needs (or refuses to, when
the roles as they stand would let the app rewrite its audit log)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from subprocess import PIPE

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, make_url, select, text

from bot.instantly.requests import move_request
from storage import audit, db_roles, jobs, migrate
from storage.db import Database
from storage.models import JobRow
from storage.orders import EndpointKind, MoveMode
from storage.schema import metadata
from tests.databases import POSTGRES_URL
from tests.factories import an_order
from tests.postgres_roles import Roles, two_roles

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bare(database_url: str) -> Iterator[Database]:
    """A database with no schema at all."""
    database = Database(database_url)
    yield database
    database.dispose()


def schema_differences(db: Database) -> list[object]:
    with db.engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), metadata))


def add_job(db: Database) -> None:
    now = datetime(2026, 1, 1)
    with db.session() as session:
        session.add(
            JobRow(
                team_id="T1",
                channel_id="C1",
                user_id="U1",
                move_order=an_order().to_json(),
                next_poll_at=now,
                created_at=now,
                updated_at=now,
            )
        )


def count_jobs(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(JobRow)) or 0


def test_upgrade_of_an_empty_database_reaches_head_with_the_models_schema(bare: Database) -> None:
    assert migrate.current_revision(bare) is None

    migrate.upgrade(bare)

    assert migrate.current_revision(bare) == migrate.head_revision()
    assert schema_differences(bare) == []


def test_a_second_upgrade_changes_nothing(bare: Database, caplog: pytest.LogCaptureFixture) -> None:
    migrate.upgrade(bare)
    add_job(bare)
    caplog.clear()  # the first upgrade's lines, if an earlier test left the root logger at INFO

    with caplog.at_level(logging.INFO, logger="storage.migrate"):
        migrate.upgrade(bare)

    assert migrate.current_revision(bare) == migrate.head_revision()
    assert count_jobs(bare) == 1
    assert not [r for r in caplog.records if r.name == "storage.migrate"], "nothing should have been applied"


def run_alembic(db: Database, verb: str, revision: str) -> None:
    """alembic.command upgrade or downgrade to `revision`, through env.py as autogenerate goes."""
    config = migrate.alembic_config()
    with db.engine.connect() as connection:
        config.attributes["connection"] = connection
        getattr(command, verb)(config, revision)


# Revision 0001's jobs as they were written: the move kept as Instantly's request body beside endpoint columns.
LEGACY_JOBS = sa.table(
    "jobs",
    *(sa.column(name) for name in ("team_id", "channel_id", "user_id", "phase", "progress")),
    *(sa.column(f"{end}_{part}") for end in ("source", "destination") for part in ("kind", "id", "name")),
    sa.column("copy_leads", sa.Boolean()),
    sa.column("request_body", sa.JSON()),
    *(sa.column(name, sa.DateTime()) for name in ("next_poll_at", "created_at", "updated_at")),
)
LEGACY_BODIES = [
    {"campaign": "c-1", "to_list_id": "l-2", "copy_leads": False},
    {
        "list_id": "l-9",
        "to_campaign_id": "c-7",
        "copy_leads": True,
        "limit": 250,
        "search": "acme.com",
        "filter": "FILTER_LEAD_INTERESTED",
        "contacts": ["a@x.io", "b@y.io"],
        "assigned_to": "u-1",
        "esp_code": 2,
        "esg_code": "all",
        "check_duplicates": True,
        "ignore_resource_filter_clauses": True,
    },
]


def add_legacy_jobs(db: Database) -> None:
    now = datetime(2026, 1, 1)
    with db.engine.begin() as connection:
        for body in LEGACY_BODIES:
            source_kind = "campaign" if "campaign" in body else "list"
            destination_kind = "campaign" if "to_campaign_id" in body else "list"
            connection.execute(
                LEGACY_JOBS.insert().values(
                    team_id="T1",
                    channel_id="C1",
                    user_id="U1",
                    phase="running",
                    progress=0,
                    source_kind=source_kind,
                    source_id=body.get("campaign") or body["list_id"],
                    source_name="From",
                    destination_kind=destination_kind,
                    destination_id=body.get("to_campaign_id") or body["to_list_id"],
                    destination_name="To",
                    copy_leads=body["copy_leads"],
                    request_body=body,
                    next_poll_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )


def test_a_database_made_by_create_all_is_adopted(bare: Database) -> None:
    # Before migrations, create_all made revision 0001's schema and recorded no revision.
    run_alembic(bare, "upgrade", migrate.BASELINE_REVISION)
    with bare.engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
    add_legacy_jobs(bare)

    migrate.upgrade(bare)

    assert migrate.current_revision(bare) == migrate.head_revision()
    assert count_jobs(bare) == len(LEGACY_BODIES)
    assert schema_differences(bare) == []


def test_stored_requests_become_orders_that_ask_instantly_for_the_same_move(bare: Database) -> None:
    run_alembic(bare, "upgrade", "0001")
    add_legacy_jobs(bare)

    migrate.upgrade(bare)

    records = sorted(jobs.recent(bare), key=lambda record: record.id)
    assert [move_request(record.order).to_body() for record in records] == LEGACY_BODIES
    first, second = (record.order for record in records)
    assert (first.mode, first.source.name, first.destination.kind) == (MoveMode.MOVE, "From", EndpointKind.LIST)
    assert second.filters.emails == ("a@x.io", "b@y.io")
    assert second.options.flags_set() == ("skip_duplicates", "ignore_source_filters")


def test_a_downgrade_gives_the_orders_back_as_request_bodies(bare: Database) -> None:
    run_alembic(bare, "upgrade", "0001")
    add_legacy_jobs(bare)
    migrate.upgrade(bare)

    run_alembic(bare, "downgrade", "0001")

    with bare.engine.connect() as connection:
        rows = connection.execute(sa.select(LEGACY_JOBS).order_by(text("id"))).all()
    assert [row.request_body for row in rows] == LEGACY_BODIES
    assert [row.copy_leads for row in rows] == [False, True]
    assert [(row.source_kind, row.source_id, row.destination_name) for row in rows] == [
        ("campaign", "c-1", "To"),
        ("list", "l-9", "To"),
    ]


def test_part_of_a_schema_without_a_revision_is_refused_not_stamped(bare: Database) -> None:
    metadata.create_all(bare.engine, tables=[metadata.tables["jobs"]])

    with pytest.raises(migrate.SchemaAdoptionError, match="table notifications is missing"):
        migrate.upgrade(bare)

    assert migrate.current_revision(bare) is None


REBUILD_JOBS = """
from alembic import op
import sqlalchemy as sa

revision = "9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("jobs", recreate="always") as batch_op:
        batch_op.alter_column("channel_id", type_=sa.String(40), existing_type=sa.String(32))
"""


def test_a_batch_rebuild_of_jobs_on_sqlite_keeps_the_outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Rebuilding jobs drops the old table; with foreign keys on, SQLite would cascade that to every notification.
    db = Database(f"sqlite:///{tmp_path / 'rebuild.db'}")
    migrate.upgrade(db)
    add_job(db)
    with db.engine.begin() as connection:
        job_id = connection.execute(text("SELECT id FROM jobs")).scalar_one()
        connection.execute(
            text(
                "INSERT INTO notifications (team_id, job_id, kind, channel_id, priority, state, attempts, not_before,"
                " created_at, updated_at) VALUES ('T1', :job, 'final', 'C1', 0, 'pending', 0, :now, :now, :now)"
            ),
            {"job": job_id, "now": datetime(2026, 1, 1)},
        )
    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.SCRIPT_LOCATION, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9999_rebuild_jobs.py").write_text(REBUILD_JOBS.replace("{head}", migrate.head_revision()))
    monkeypatch.setattr(migrate, "_script", lambda: ScriptDirectory(str(scripts)))
    monkeypatch.setattr(migrate, "HEAD", "9999")

    migrate.upgrade(db)

    try:
        assert migrate.current_revision(db) == "9999"
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM notifications")).scalar() == 1
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1, "pooled connections keep them"
    finally:
        db.dispose()


def test_downgrade_to_base_and_back(bare: Database) -> None:
    # Goes through env.py, the path alembic.command (and so autogenerate) takes.
    migrate.upgrade(bare)
    run_alembic(bare, "downgrade", "base")
    assert set(inspect(bare.engine).get_table_names()) == {"alembic_version"}
    assert migrate.current_revision(bare) is None

    migrate.upgrade(bare)

    assert schema_differences(bare) == []


def with_lock_timeouts(database_url: str) -> str:
    # Without the migration lock the replicas would wait on each other's DDL: this makes it fail, not hang.
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return database_url  # SQLite's busy timeout (30 s) already bounds the wait
    options = f"{url.query.get('options', '')} -c lock_timeout=20s -c idle_in_transaction_session_timeout=30s"
    return url.update_query_dict({"options": options.strip()}).render_as_string(hide_password=False)


# A replica: connects and reads the revision scripts first, so that all of them reach the migration together.
REPLICA = """
import sys
from bot.instantly.requests import move_request
from storage import jobs, migrate
from storage.db import Database

db = Database(sys.argv[1])
migrate.head_revision()
db.engine.connect().close()
print("ready", flush=True)
sys.stdin.readline()
migrate.upgrade(db)
"""


def test_replicas_starting_at_once_all_succeed(database_url: str, tmp_path: Path) -> None:
    # Separate processes, like real replicas: on PostgreSQL the advisory lock makes them take turns, on SQLite
    # BEGIN IMMEDIATE's file lock does.
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT)}
    command_line = [sys.executable, "-c", REPLICA, with_lock_timeouts(database_url)]
    replicas = [
        subprocess.Popen(command_line, env=env, cwd=tmp_path, stdin=PIPE, stdout=PIPE, stderr=PIPE, text=True)
        for _ in range(4)
    ]
    try:
        for replica in replicas:
            assert replica.stdout is not None
            assert replica.stdout.readline() == "ready\n", replica.communicate()[1]
        for replica in replicas:
            assert replica.stdin is not None
            replica.stdin.write("go\n")
            replica.stdin.flush()
        for replica in replicas:
            _, stderr = replica.communicate(timeout=60)
            assert replica.returncode == 0, stderr
    finally:
        for replica in replicas:
            replica.kill()
            replica.wait()
    db = Database(database_url)
    try:
        assert migrate.current_revision(db) == migrate.head_revision()
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        db.dispose()


def test_threads_migrating_different_databases_at_once(tmp_path: Path) -> None:
    # Alembic keeps its current migration in process-wide proxies; two at once in one process must take turns.
    databases = [Database(f"sqlite:///{tmp_path / f'db{n}.sqlite'}") for n in range(4)]
    start = threading.Barrier(len(databases))
    errors: list[BaseException] = []

    def run(db: Database) -> None:
        start.wait()
        try:
            migrate.upgrade(db)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(db,), daemon=True) for db in databases]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        assert [migrate.current_revision(db) for db in databases] == [migrate.head_revision()] * len(databases)
    finally:
        for db in databases:
            db.dispose()


def test_leadmover_migrate_creates_the_schema_then_has_nothing_to_do(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "LOG_LEVEL": "WARNING",
    }

    def migrate_cli() -> str:
        # cwd is the empty tmp_path so that no .env file in the checkout feeds the settings.
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", "migrate"], env=env, cwd=tmp_path, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    head = migrate.head_revision()
    assert migrate_cli() == f"leadmover: database at revision {head} (upgraded from no revision)\n"
    assert migrate_cli() == f"leadmover: database at revision {head} (up to date)\n"


def test_0011_lets_a_job_have_no_order_and_its_downgrade_drops_only_such_jobs(bare: Database) -> None:
    run_alembic(bare, "upgrade", "0010")
    now = datetime(2026, 1, 2)
    jobs_0010 = sa.table(
        "jobs",
        *(sa.column(name) for name in ("team_id", "channel_id", "user_id", "phase", "progress")),
        sa.column("move_order", sa.JSON()),
        *(sa.column(name) for name in ("next_poll_at", "created_at", "updated_at")),
    )
    with bare.engine.begin() as connection:  # a move from before: it keeps its order both ways
        connection.execute(
            jobs_0010.insert().values(
                team_id="T1",
                channel_id="C1",
                user_id="U1",
                phase="done",
                progress=100,
                move_order=an_order().to_json(),
                next_poll_at=now,
                created_at=now,
                updated_at=now,
            )
        )
    migrate.upgrade(bare)
    with bare.session() as session:
        session.add(
            JobRow(
                team_id="T1",
                channel_id="C1",
                user_id="U1",
                move_order=None,
                job_type="import-leads",
                job_counts={"success_count": 3},
                started_at=now,
                instantly_job_id="c" * 24,
                next_poll_at=now,
                created_at=now,
                updated_at=now,
            )
        )
    with bare.reading() as session:
        rows = session.scalars(select(JobRow).order_by(JobRow.id)).all()
        assert [(row.move_order is None, row.job_type) for row in rows] == [(False, None), (True, "import-leads")]

    run_alembic(bare, "downgrade", "0010")

    with bare.engine.connect() as connection:
        orders = connection.execute(text("SELECT move_order FROM jobs")).scalars().all()
    assert len(orders) == 1
    assert orders[0] is not None
    assert {"job_type", "job_counts", "started_at"}.isdisjoint(
        c["name"] for c in inspect(bare.engine).get_columns("jobs")
    )
    migrate.upgrade(bare)
    assert schema_differences(bare) == []


def test_0013_guards_an_existing_log_against_replace_and_its_downgrade_removes_only_that(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'at-0012.db'}")
    try:
        run_alembic(db, "upgrade", "0012")
        audit.record(db, team_id="T1", user_id="U1", action="move", outcome="started")
        replace = text(
            "INSERT OR REPLACE INTO audit_log (id, at, team_id, user_id, action, detail, outcome) "
            "VALUES (1, '2026-01-01', 'T1', 'U666', 'x', '{}', 'replaced')"
        )

        migrate.upgrade(db)

        with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as connection:
            connection.execute(replace)
        assert [entry.outcome for entry in audit.entries(db)] == ["started"]
        run_alembic(db, "downgrade", "0012")
        with db.engine.connect() as connection:
            triggers = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars()
            assert sorted(triggers) == ["audit_log_no_delete", "audit_log_no_update"]
    finally:
        db.dispose()


# --- PostgreSQL: an owner role migrates, the app's role gets only what it needs --------------------------------------


@pytest.fixture
def roles() -> Iterator[Roles]:
    yield from two_roles()


def superuser_sql(*statements: str) -> None:
    admin = sa.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with admin.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        admin.dispose()


def audit_privileges(db: Database) -> set[str]:
    """What the connection's role may do to audit_log."""
    with db.engine.connect() as connection:
        return {
            privilege
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES")
            if connection.execute(text("SELECT has_table_privilege('audit_log', :p)"), {"p": privilege}).scalar()
        }


def test_with_one_role_in_both_urls_nothing_is_granted(roles: Roles) -> None:
    owner = Database(roles.owner_url)
    try:
        migrate.upgrade(owner, owner_url=roles.owner_url)

        assert migrate.current_revision(owner) == migrate.head_revision()
        with owner.engine.connect() as connection:
            granted = connection.execute(text("SELECT relacl FROM pg_class WHERE relname = 'audit_log'")).scalar()
        assert granted is None, "the table keeps its owner's default privileges, as without a migration URL"
    finally:
        owner.dispose()


def test_the_owner_migrates_and_the_app_may_only_add_to_and_read_the_audit_log(roles: Roles) -> None:
    app = Database(roles.app_url)
    try:
        migrate.upgrade(app, owner_url=roles.owner_url)
        migrate.upgrade(app, owner_url=roles.owner_url)  # every start-up grants afresh, and changes nothing
        migrate.upgrade(app)  # a process given only DATABASE_URL, after a release step migrated: nothing to do

        assert migrate.current_revision(app) == migrate.head_revision()
        assert audit_privileges(app) == {"SELECT", "INSERT"}
        with app.engine.connect() as connection:
            owners = connection.execute(
                text("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = :s"), {"s": roles.schema}
            ).scalars()
            assert list(owners) == [roles.owner]
    finally:
        app.dispose()


def test_an_app_role_that_owns_the_tables_is_refused_until_they_are_handed_over(roles: Roles) -> None:
    # A deployment from before: the app's role ran the migrations itself, so it owns every table.
    superuser_sql(f'GRANT USAGE, CREATE ON SCHEMA "{roles.schema}" TO "{roles.app}"')
    app = Database(roles.app_url)
    try:
        migrate.upgrade(app)

        with pytest.raises(db_roles.RoleSetupError, match=r"owns.*table audit_log.*REASSIGN OWNED"):
            migrate.upgrade(app, owner_url=roles.owner_url)
        assert "UPDATE" in audit_privileges(app), "refused before granting anything"

        superuser_sql(
            f'REASSIGN OWNED BY "{roles.app}" TO "{roles.owner}"',
            f'REVOKE CREATE ON SCHEMA "{roles.schema}" FROM "{roles.app}"',
        )
        migrate.upgrade(app, owner_url=roles.owner_url)
        assert audit_privileges(app) == {"SELECT", "INSERT"}
    finally:
        app.dispose()


def test_a_superuser_app_role_is_refused(roles: Roles) -> None:
    superuser = Database(roles.url(make_url(POSTGRES_URL).username or "postgres"))
    try:
        with pytest.raises(db_roles.RoleSetupError, match="is a superuser"):
            migrate.upgrade(superuser, owner_url=roles.owner_url)
        assert migrate.current_revision(superuser) is None, "refused before migrating"
    finally:
        superuser.dispose()


def test_urls_that_reach_different_schemas_are_refused_before_migrating(roles: Roles, database_url: str) -> None:
    if make_url(database_url).get_backend_name() == "sqlite":
        with pytest.raises(db_roles.RoleSetupError, match="for PostgreSQL"):
            migrate.upgrade(Database(database_url), owner_url=roles.owner_url)
        return
    elsewhere = Database(database_url)  # the superuser, in a schema of its own
    try:
        with pytest.raises(db_roles.RoleSetupError, match="must name the same one"):
            migrate.upgrade(elsewhere, owner_url=roles.owner_url)
        owner = Database(roles.owner_url)
        try:
            assert migrate.current_revision(owner) is None
        finally:
            owner.dispose()
    finally:
        elsewhere.dispose()


SIDE_DOORS = {
    "a grant to PUBLIC": ("owner", "GRANT UPDATE ON audit_log TO PUBLIC", "still holds UPDATE"),
    "membership of the owner role": ("superuser", 'GRANT "{owner}" TO "{app}"', "is in a role that owns"),
}


@pytest.mark.parametrize(("by", "grant", "refusal"), SIDE_DOORS.values(), ids=SIDE_DOORS.keys())
def test_a_privilege_that_reaches_the_app_another_way_is_refused(
    roles: Roles, by: str, grant: str, refusal: str
) -> None:
    app = Database(roles.app_url)
    try:
        migrate.upgrade(app, owner_url=roles.owner_url)
        statement = grant.format(owner=roles.owner, app=roles.app)
        if by == "superuser":
            superuser_sql(statement)
        else:
            owner = Database(roles.owner_url)
            with owner.engine.begin() as connection:
                connection.execute(text(statement))
            owner.dispose()

        with pytest.raises(db_roles.RoleSetupError, match=refusal):
            migrate.upgrade(app, owner_url=roles.owner_url)
    finally:
        app.dispose()


def test_head_is_the_scripts_head_and_a_database_at_it_is_known_without_alembic(bare: Database) -> None:
    assert migrate.head_revision() == migrate.HEAD
    assert not migrate.at_head(bare), "a new database has no version table yet"
    migrate.upgrade(bare)
    assert migrate.at_head(bare)


def test_a_process_whose_database_is_at_head_never_loads_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'leadmover.db'}"
    db = Database(url)
    migrate.upgrade(db)
    db.dispose()
    code = (
        "import sys; from storage import migrate; from storage.db import Database; "
        f"migrate.upgrade(Database({url!r})); print(sorted(m for m in sys.modules if m.startswith('alembic')))"
    )
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert answer.stdout.strip() == "[]", answer.stderr

"""`leadmover` on the command line: jobs and migrate against a real database (migrate also as a separate owner role,
LEADMOVER_MIGRATION_DATABASE_URL), settings errors in one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from app.cli import main
from bot.secrets import Sealer, new_key, parse_keys
from storage import connections, installations, migrate
from storage.db import Database
from tests.factories import an_order, campaign, cli_database, lead_list, requested_job, running_job
from tests.postgres_roles import Roles, two_roles


@pytest.fixture
def database_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return cli_database(tmp_path, monkeypatch)


def test_migrate_reports_the_revision_it_reached_then_that_it_is_up_to_date(
    database_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate"]) == 0
    assert main(["migrate"]) == 0

    head = migrate.head_revision()
    assert capsys.readouterr().out.splitlines() == [
        f"leadmover: database at revision {head} (upgraded from no revision)",
        f"leadmover: database at revision {head} (up to date)",
    ]


@pytest.fixture
def roles() -> Iterator[Roles]:
    yield from two_roles()


def test_migrate_runs_as_the_migration_role_and_leaves_the_app_only_adding_to_the_audit_log(
    database_file: str, roles: Roles, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", roles.app_url)
    monkeypatch.setenv("LEADMOVER_MIGRATION_DATABASE_URL", roles.owner_url)

    assert main(["migrate"]) == 0

    head = migrate.head_revision()
    assert capsys.readouterr().out == f"leadmover: database at revision {head} (upgraded from no revision)\n"
    app = Database(roles.app_url)
    try:
        with app.engine.connect() as connection:
            owner = connection.execute(
                text("SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'audit_log'")
            ).scalar()
            may = connection.execute(
                text("SELECT has_table_privilege('audit_log', 'INSERT'), has_table_privilege('audit_log', 'UPDATE')")
            ).one()
        assert (owner, tuple(may)) == (roles.owner, (True, False))
    finally:
        app.dispose()


def test_a_migration_url_beside_sqlite_is_refused_in_one_line(
    database_file: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEADMOVER_MIGRATION_DATABASE_URL", database_file)

    assert main(["migrate"]) == 1

    error = capsys.readouterr().err
    assert error == "leadmover: LEADMOVER_MIGRATION_DATABASE_URL is for PostgreSQL: SQLite has no roles to separate\n"


def test_jobs_lists_the_newest_first_with_where_from_and_where_to(
    database_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = Database(database_file)
    migrate.upgrade(db)
    requested_job(db)
    running_job(db, "a" * 24, order=an_order(source=campaign(name="Q4 outbound"), destination=lead_list(name="Cold")))
    db.dispose()

    assert main(["jobs", "--limit", "5"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t") == ["#2", "a" * 24, "running", "pending", "0%", "Q4 outbound -> Cold"]
    assert lines[1].split("\t")[:3] == ["#1", "-", "requested"]


def test_serve_without_its_settings_names_them_in_one_line(
    database_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--http"]) == 2

    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "SLACK_BOT_TOKEN" in error
    assert "INSTANTLY_API_KEY" in error


def test_a_malformed_setting_is_named_not_a_traceback(
    database_file: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POLL_INTERVAL_SECONDS", "often")

    assert main(["jobs"]) == 2

    error = capsys.readouterr().err
    assert error.startswith("leadmover: invalid setting: POLL_INTERVAL_SECONDS")
    assert "Traceback" not in error


def test_rotate_key_reseals_every_stored_key_and_token_with_the_first_key(
    database_file: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = new_key(), new_key()
    db = Database(database_file)
    migrate.upgrade(db)
    sealed_by_old = Sealer([old])
    connections.save(
        db,
        team_id="T1",
        sealed_key=sealed_by_old.seal("instantly-key-of-t1"),
        instantly_workspace_id="w-1",
        instantly_workspace_name="Acme",
        connected_by="U1",
    )
    installations.save(
        db,
        enterprise_id="",
        team_id="T1",
        is_enterprise_install=False,
        installer_user_id="U1",
        sealed=sealed_by_old.seal('{"bot_token": "xoxb-t1"}'),
        token_expires_at=None,
    )
    monkeypatch.setenv("SLACK_CLIENT_ID", "1111.2222")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-secret-for-tests")
    monkeypatch.setenv("LEADMOVER_ENCRYPTION_KEY", f"{new},{old}")

    assert main(["rotate-key"]) == 0

    assert "resealed 1 Instantly keys and 1 Slack installations" in capsys.readouterr().out
    only_new = Sealer([new])
    stored = connections.get(db, team_id="T1")
    assert stored is not None
    assert only_new.open(stored.sealed_key) == "instantly-key-of-t1"
    assert only_new.open(installations.all_sealed(db)[0][1]) == '{"bot_token": "xoxb-t1"}'
    monkeypatch.setenv("LEADMOVER_ENCRYPTION_KEY", new_key())
    assert main(["rotate-key"]) == 1  # a key that opens nothing stored is refused, and nothing is lost
    assert only_new.open(installations.all_sealed(db)[0][1]) == '{"bot_token": "xoxb-t1"}'
    db.dispose()


def test_new_key_prints_a_key_the_settings_accept(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new-key"]) == 0
    printed = capsys.readouterr().out.strip()
    assert Sealer(parse_keys(printed)).open(Sealer([printed]).seal("x")) == "x"

"""`leadmover` on the command line: jobs and migrate against a real database, settings errors in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from storage import migrate
from storage.db import Database
from tests.factories import an_order, campaign, lead_list, requested_job, running_job


@pytest.fixture
def database_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    # Run where no .env file can feed the settings, with only the database set.
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "INSTANTLY_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


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

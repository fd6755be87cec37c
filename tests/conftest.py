"""Shared fixtures: a real database (an SQLite file, and PostgreSQL when TEST_POSTGRES_URL is set), and the real
Bolt app in process over stand-ins of Slack and Instantly."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.bolt_app import build_app
from bot.services import Services
from storage import migrate
from storage.db import Database
from tests.bolt_requests import TEAM, ListenerWork, SlackSends, SlackWebApi
from tests.databases import Statement, postgres_schema_url, private_schema, recorded_migration, replay
from tests.factories import SIGNING_SECRET, a_services, a_settings
from tests.stand_ins import InstantlyHandler, SlackStandIn, instantly_client, instantly_error


@pytest.fixture(autouse=True)
def logging_left_as_found() -> Iterator[None]:
    """A test that configures logging (the command line does) leaves no handler behind: it would write to a stream
    pytest has closed, and every later log line would print a logging error."""
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in before and not type(handler).__module__.startswith("_pytest"):
            root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'leadmover-test.db'}"
    else:
        yield from postgres_schema_url()


# Most tests ask for a database at HEAD, not for migrating one: running the twenty-odd revisions for each of them
# took more than a third of the suite's setup time. `db` and `sqlite_db` start from a migration made once per session
# (per xdist worker) instead, and upgrade() still runs on each, finding nothing to do, as in a restarted process.


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file at HEAD, for `db` and `sqlite_db` to copy."""
    path = tmp_path_factory.mktemp("migrated") / "head.db"
    template = Database(f"sqlite:///{path}")
    migrate.upgrade(template)
    template.dispose()  # closing the last connection checkpoints the WAL into the file, so the file alone is whole
    assert not path.with_name(f"{path.name}-wal").exists()
    return path


@pytest.fixture(scope="session")
def migrated_postgres() -> list[Statement]:
    """The statements that bring an empty PostgreSQL schema to HEAD, for `db` to replay (PostgreSQL cannot copy a
    schema, and cloning a migrated database with CREATE DATABASE cost more than it saved)."""
    with private_schema() as url:
        return recorded_migration(url)


def _at_head(url: str, request: pytest.FixtureRequest) -> Database:
    if url.startswith("sqlite:///"):
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), url.removeprefix("sqlite:///"))
    else:
        replay(url, request.getfixturevalue("migrated_postgres"))
    database = Database(url)
    migrate.upgrade(database)
    return database


@pytest.fixture
def db(database_url: str, request: pytest.FixtureRequest) -> Iterator[Database]:
    database = _at_head(database_url, request)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    database = _at_head(f"sqlite:///{tmp_path / 'leadmover.db'}", request)
    yield database
    database.dispose()


# --- the real Bolt app, in process, over stand-ins of Slack and Instantly ------------------------------------------


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    """Slack's Web API in process, also served on loopback for the WebClients Bolt makes of its own."""
    stand_in = SlackStandIn(team_id=TEAM)
    with SlackWebApi(stand_in):
        yield stand_in


@pytest.fixture
def work() -> ListenerWork:
    return ListenerWork()


@pytest.fixture
def instantly_handler() -> InstantlyHandler:
    """Instantly for tests that expect it not to be asked; a module that needs it overrides this fixture."""

    def unreachable(_request: httpx.Request) -> httpx.Response:
        return instantly_error(503, "no Instantly in this test")

    return unreachable


@pytest.fixture
def services(
    sqlite_db: Database,
    slack: SlackStandIn,
    work: ListenerWork,
    instantly_handler: InstantlyHandler,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Services]:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)  # Bolt reads it on its own
    built = a_services(
        sqlite_db,
        slack=slack,
        instantly=instantly_client(instantly_handler, max_attempts=1),
        settings=a_settings(sqlite_db),
        listener_executor=work,
    )
    yield built
    built.close(grace=2.0)


@pytest.fixture
def sends(services: Services) -> SlackSends:
    return SlackSends(build_app(services.settings, services), secret=SIGNING_SECRET)

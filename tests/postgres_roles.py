"""Two PostgreSQL roles for a test, as docs/operations.md sets them up: one that owns leadmover's schema and runs its
migrations, and the app's own, in a fresh schema; the schema and both roles are dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, make_url, text

from tests.databases import POSTGRES_URL, REQUIRE_POSTGRES, ensure_database


@dataclass(frozen=True)
class Roles:
    owner: str
    app: str
    schema: str
    owner_url: str  # LEADMOVER_MIGRATION_DATABASE_URL
    app_url: str  # DATABASE_URL

    def url(self, role: str) -> str:
        """A URL that connects as `role`, with this schema on its search path."""
        return _as(self.owner_url, role)


def _as(url: str, role: str) -> str:
    return make_url(url).set(username=role, password=None).render_as_string(hide_password=False)


def two_roles() -> Iterator[Roles]:
    """An owner and an app role (LOGIN, no password: the test server trusts loopback), and a schema the owner owns
    on both URLs' search path. Skips, or fails under .ci/run, without TEST_POSTGRES_URL."""
    if not POSTGRES_URL:
        reason = "TEST_POSTGRES_URL is not set, so this test of PostgreSQL roles cannot run"
        if REQUIRE_POSTGRES:
            pytest.fail(reason)
        pytest.skip(reason)
    ensure_database()
    superuser_url = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    tag = uuid.uuid4().hex[:10]
    owner, app, schema = f"lm_owner_{tag}", f"lm_app_{tag}", f"lm_roles_{tag}"
    admin = create_engine(superuser_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE ROLE "{owner}" LOGIN'))
        connection.execute(text(f'CREATE ROLE "{app}" LOGIN'))
        connection.execute(text(f'CREATE SCHEMA "{schema}" AUTHORIZATION "{owner}"'))
    base = make_url(superuser_url).update_query_dict({"options": f"-csearch_path={schema}"})
    owner_url = _as(base.render_as_string(hide_password=False), owner)
    try:
        yield Roles(owner=owner, app=app, schema=schema, owner_url=owner_url, app_url=_as(owner_url, app))
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            connection.execute(text(f'DROP OWNED BY "{owner}", "{app}"'))
            connection.execute(text(f'DROP ROLE "{app}"'))
            connection.execute(text(f'DROP ROLE "{owner}"'))
        admin.dispose()

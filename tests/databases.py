"""The test databases: PostgreSQL in a private schema per test when TEST_POSTGRES_URL is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
# .ci/run sets this, so that a PostgreSQL test that would skip fails instead.
REQUIRE_POSTGRES = os.environ.get("LEADMOVER_REQUIRE_POSTGRES") == "1"


def postgres_schema_url() -> Iterator[str]:
    """A URL whose connections live in a fresh, private schema, dropped afterwards."""
    if not POSTGRES_URL:
        reason = "TEST_POSTGRES_URL is not set, so the PostgreSQL variant of this test cannot run"
        if REQUIRE_POSTGRES:
            pytest.fail(reason)
        pytest.skip(reason)
    schema = f"lm_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

"""Polling where an end is likely: when a job's progress was last seen to change, and when that pace says it ends
(`progress_seen_at`, `expected_end_at`; empty for jobs already running, which keep the plain cadence)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | tuple[str, ...] | None = "0014"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("progress_seen_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("expected_end_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("expected_end_at")
        batch.drop_column("progress_seen_at")

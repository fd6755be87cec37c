"""Watched jobs found together share one Slack message: an outbox write may go with others of its kind in its
channel (`notifications.groupable`), and the jobs that share an announcement are found by it
(`ix_jobs_announcement`)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | tuple[str, ...] | None = "0019"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("groupable", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index("ix_jobs_announcement", "jobs", ["announcement_channel", "announcement_ts"])


def downgrade() -> None:
    op.drop_index("ix_jobs_announcement", table_name="jobs")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("groupable")

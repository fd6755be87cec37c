"""Schedules (`schedules`): moves that run by themselves on a recurrence, each run through the door."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | tuple[str, ...] | None = "0017"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("owner_id", sa.String(32), nullable=False),
        sa.Column("move_order", sa.JSON(), nullable=False),
        sa.Column("frequency", sa.String(16), nullable=False),
        sa.Column("at", sa.String(5), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("month_day", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        sa.Column("next_run_at", sa.DateTime(), nullable=False),
        sa.Column("last_run_at", sa.DateTime(), nullable=True),
        sa.Column("last_job_id", sa.Integer(), sa.ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True),
        sa.Column("last_outcome", sa.Text(), nullable=True),
        sa.Column("overlap_told_job_id", sa.Integer(), nullable=True),
        sa.Column("approved_by", sa.String(32), nullable=True),
        sa.Column("approval_channel", sa.String(32), nullable=True),
        sa.Column("approval_ts", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_schedules_due", "schedules", ["state", "next_run_at"])
    op.create_index("ix_schedules_team", "schedules", ["team_id", "owner_id"])


def downgrade() -> None:
    op.drop_index("ix_schedules_team", table_name="schedules")
    op.drop_index("ix_schedules_due", table_name="schedules")
    op.drop_table("schedules")

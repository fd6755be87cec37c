"""Calm threads: per-channel settings, a sample of the moved e-mails, and announcements held back until a failure."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | tuple[str, ...] | None = "0008"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("moved_lead_sample", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("announcement_held_at", sa.DateTime(), nullable=True))
    op.create_table(
        "channel_settings",
        sa.Column("team_id", sa.String(length=32), primary_key=True),
        sa.Column("channel_id", sa.String(length=32), primary_key=True),
        sa.Column("announce", sa.String(length=16), nullable=False),
        sa.Column("broadcast_failures", sa.Boolean(), nullable=False),
        sa.Column("mention_on_success", sa.Boolean(), nullable=False),
        sa.Column("default_mode", sa.String(length=8), nullable=False),
        sa.Column("set_by", sa.String(length=32), nullable=False),
        sa.Column("set_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("channel_settings")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("announcement_held_at")
        batch.drop_column("moved_lead_sample")

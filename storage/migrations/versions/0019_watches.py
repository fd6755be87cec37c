"""Watched channels (`watches`): they hear of their workspace's Instantly background jobs; and each workspace's
discovery of those jobs (`watch_listers`): its lease, its next round and its high-water mark; and whether a
watched job that fails mentions who set the watch (`channel_settings.mention_watchers`)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | tuple[str, ...] | None = "0018"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    with op.batch_alter_table("channel_settings") as batch:
        batch.add_column(sa.Column("mention_watchers", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "watches",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("channel_id", sa.String(32), primary_key=True),
        sa.Column("job_types", sa.JSON(), nullable=False),
        sa.Column("set_by", sa.String(32), nullable=False),
        sa.Column("set_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "watch_listers",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("high_water", sa.String(40), nullable=True),
        sa.Column("seen_at_high_water", sa.JSON(), nullable=True),
        sa.Column("next_round_at", sa.DateTime(), nullable=False),
        sa.Column("last_round_at", sa.DateTime(), nullable=True),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("watch_listers")
    op.drop_table("watches")
    with op.batch_alter_table("channel_settings") as batch:
        batch.drop_column("mention_watchers")

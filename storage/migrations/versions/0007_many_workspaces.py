"""Many workspaces: Slack installations, OAuth states, Instantly connections, shared request budgets."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | tuple[str, ...] | None = "0006"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(sa.Column("enterprise_id", sa.String(length=32), nullable=True))
    op.create_table(
        "installations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("enterprise_id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("installer_user_id", sa.String(length=32), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("token_expires_at", sa.DateTime(), nullable=True),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("enterprise_id", "team_id", name="uq_installations_org_team"),
    )
    op.create_table(
        "oauth_states",
        sa.Column("state", sa.String(length=128), primary_key=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "instantly_connections",
        sa.Column("team_id", sa.String(length=32), primary_key=True),
        sa.Column("connection_id", sa.String(length=32), nullable=False),
        sa.Column("sealed_key", sa.Text(), nullable=False),
        sa.Column("instantly_workspace_id", sa.String(length=64), nullable=False),
        sa.Column("instantly_workspace_name", sa.String(length=255), nullable=False),
        sa.Column("connected_by", sa.String(length=32), nullable=False),
        sa.Column("connected_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "request_budgets",
        sa.Column("key", sa.String(length=64), primary_key=True),
        sa.Column("factor", sa.Float(), nullable=False),
        sa.Column("factor_until", sa.Float(), nullable=False),
    )
    op.create_table(
        "request_grants",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("started", sa.Float(), nullable=False),
        sa.Column("ended", sa.Float(), nullable=True),
    )
    op.create_index("ix_request_grants_key", "request_grants", ["key", "started"])


def downgrade() -> None:
    op.drop_index("ix_request_grants_key", table_name="request_grants")
    for table in ("request_grants", "request_budgets", "instantly_connections", "oauth_states", "installations"):
        op.drop_table(table)
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("enterprise_id")

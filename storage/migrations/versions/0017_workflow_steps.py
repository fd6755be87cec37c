"""Runs of the "Move Instantly leads" Workflow Builder step (`workflow_steps`), and the name a job's channel is told
it came from (`jobs.via_name`: a workflow's name)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | tuple[str, ...] | None = "0016"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("via_name", sa.String(200), nullable=True))
    op.create_table(
        "workflow_steps",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("execution_id", sa.String(64), nullable=False),
        sa.Column("workflow_execution_id", sa.String(64), nullable=True),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("job_id", sa.Integer(), sa.ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True),
        sa.Column("sealed_token", sa.Text(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("team_id", "execution_id", name="uq_workflow_steps_execution"),
    )
    op.create_index("ix_workflow_steps_due", "workflow_steps", ["state", "not_before"])
    op.create_index("ix_workflow_steps_job", "workflow_steps", ["job_id"])


def downgrade() -> None:
    op.drop_index("ix_workflow_steps_job", table_name="workflow_steps")
    op.drop_index("ix_workflow_steps_due", table_name="workflow_steps")
    op.drop_table("workflow_steps")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("via_name")

"""Jobs leadmover follows but did not start (`/leads track`): no move order; Instantly's job type, counts and start."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | tuple[str, ...] | None = "0010"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.alter_column("move_order", existing_type=sa.JSON(), nullable=True)
        batch.add_column(sa.Column("job_type", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("job_counts", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("started_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # A followed job has no order: it cannot live in the older schema, and neither can what waits to be said of it.
    op.execute(
        sa.text(
            "DELETE FROM notifications WHERE job_id IN "
            "(SELECT id FROM jobs WHERE move_order IS NULL OR job_type IS NOT NULL)"
        )
    )
    op.execute(sa.text("DELETE FROM jobs WHERE move_order IS NULL OR job_type IS NOT NULL"))
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("started_at")
        batch.drop_column("job_counts")
        batch.drop_column("job_type")
        batch.alter_column("move_order", existing_type=sa.JSON(), nullable=False)

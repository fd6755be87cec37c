"""A workflow step's run whose move could not be asked for yet, for a reason that may pass (Instantly slow to name
its places, Slack slow to confirm the person, their moves queued at the limit), waits and is asked for again rather
than failed: its inputs are kept (`workflow_steps.inputs`, the builder's choices, no secret) with why it waits
(`workflow_steps.waiting_reason`)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | tuple[str, ...] | None = "0021"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workflow_steps") as batch:
        batch.add_column(sa.Column("inputs", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("waiting_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workflow_steps") as batch:
        batch.drop_column("waiting_reason")
        batch.drop_column("inputs")

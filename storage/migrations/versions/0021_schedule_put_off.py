"""A schedule's due run that could not start for a passing reason (Instantly slow to name its places, Slack slow to
confirm its owner, its owner's moves queued) is tried again within the grace rather than skipped: why it waits is
kept (`schedules.put_off_reason`), so that the channel is told once, and told again only if it gives up."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | tuple[str, ...] | None = "0020"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    with op.batch_alter_table("schedules") as batch:
        batch.add_column(sa.Column("put_off_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("schedules") as batch:
        batch.drop_column("put_off_reason")

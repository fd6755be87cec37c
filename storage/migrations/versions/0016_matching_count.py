"""How many leads a move's filters take, as counted when it was asked for (`matching_count`), and whether counting
stopped first, so that more than that many match (`matching_more`); empty for jobs asked for before."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | tuple[str, ...] | None = "0015"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("matching_count", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("matching_more", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("matching_more")
        batch.drop_column("matching_count")

"""The door: how a move was asked for (`via`), how many leads it takes as counted when asked (`lead_count`), and the
first job of a move sent in parts (`part_of`: a big Move back, approved once for all its parts)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | tuple[str, ...] | None = "0011"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("via", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("lead_count", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("part_of", sa.Integer(), nullable=True))
        batch.create_index("ix_jobs_part_of", ["part_of"])


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index("ix_jobs_part_of")
        batch.drop_column("part_of")
        batch.drop_column("lead_count")
        batch.drop_column("via")

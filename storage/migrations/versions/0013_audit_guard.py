"""The audit log refuses REPLACE and UPSERT on SQLite: an INSERT that names an existing id, or an id SQLite would
never choose, is refused like the UPDATE and DELETE of revision 0008. PostgreSQL needs no trigger here: its UPSERT
fires the UPDATE trigger, and the app's role can be kept from owning the table (storage.migrate, the two roles)."""

from __future__ import annotations

from alembic import op

revision: str = "0013"
down_revision: str | tuple[str, ...] | None = "0012"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # INSERT OR REPLACE deletes the old row without firing DELETE triggers (recursive_triggers is off), so only a
    # BEFORE INSERT trigger sees it coming.
    op.execute(
        "CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log "
        "WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    )
    # A BEFORE INSERT trigger sees NEW.id = -1 while SQLite has yet to choose the id; a row planted with an id below
    # 1 would make every later entry look like a replacement and be refused. After the insert the id is the real
    # one, so such a row is refused there.
    op.execute(
        "CREATE TRIGGER audit_log_ids_from_one AFTER INSERT ON audit_log WHEN NEW.id < 1 "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER audit_log_ids_from_one")
    op.execute("DROP TRIGGER audit_log_no_replace")

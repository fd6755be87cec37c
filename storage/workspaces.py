"""Each Slack workspace's standing: a revoked token pauses its work, a working one resumes it."""

from __future__ import annotations

from sqlalchemy import select

from storage.clock import utcnow
from storage.db import Database
from storage.models import WorkspaceRow


def mark_revoked(db: Database, *, team_id: str, reason: str) -> bool:
    """Record that Slack refused the workspace's token; True only the first time, so it is logged once."""
    with db.session() as session:
        row = session.get(WorkspaceRow, team_id)
        if row is None:
            row = WorkspaceRow(team_id=team_id, updated_at=utcnow())
            session.add(row)
        if row.slack_revoked_at is not None:
            return False
        row.slack_revoked_at = utcnow()
        row.slack_revoked_reason = reason[:64]
        row.updated_at = utcnow()
        return True


def mark_active(db: Database, *, team_id: str) -> bool:
    """Record that the workspace's token works; True when that ends a revocation."""
    with db.session() as session:
        row = session.get(WorkspaceRow, team_id)
        if row is None:
            session.add(WorkspaceRow(team_id=team_id, updated_at=utcnow()))
            return False
        was_revoked = row.slack_revoked_at is not None
        row.slack_revoked_at = None
        row.slack_revoked_reason = None
        row.updated_at = utcnow()
        return was_revoked


def revoked_teams(db: Database) -> set[str]:
    with db.reading() as session:
        return set(session.scalars(select(WorkspaceRow.team_id).where(WorkspaceRow.slack_revoked_at.is_not(None))))

"""Each Slack workspace's standing: a revoked token pauses its work, a working one resumes it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.clock import utcnow
from storage.db import Database, upsert_into
from storage.models import WorkspaceRow


def _standing(session: Session, team_id: str) -> WorkspaceRow:
    """The workspace's row, locked for this transaction; made first if it is new.

    Replicas starting together all check their token at once: inserting with ON CONFLICT DO NOTHING lets every
    one of them through, where a plain insert would fail all but the first.
    """
    new = upsert_into(session, WorkspaceRow).values(team_id=team_id, updated_at=utcnow())
    session.execute(new.on_conflict_do_nothing(index_elements=[WorkspaceRow.team_id]))
    row = session.get(WorkspaceRow, team_id, with_for_update=True, populate_existing=True)
    assert row is not None
    return row


def mark_revoked(db: Database, *, team_id: str, reason: str) -> bool:
    """Record that Slack refused the workspace's token; True only the first time, so it is logged once."""
    with db.session() as session:
        row = _standing(session, team_id)
        if row.slack_revoked_at is not None:
            return False
        row.slack_revoked_at = row.updated_at = utcnow()
        row.slack_revoked_reason = reason[:64]
        return True


def mark_active(db: Database, *, team_id: str) -> bool:
    """Record that the workspace's token works; True when that ends a revocation."""
    with db.session() as session:
        row = _standing(session, team_id)
        was_revoked = row.slack_revoked_at is not None
        if was_revoked:
            row.slack_revoked_at = None
            row.slack_revoked_reason = None
            row.updated_at = utcnow()
        return was_revoked


def revoked_teams(db: Database) -> set[str]:
    with db.reading() as session:
        return set(session.scalars(select(WorkspaceRow.team_id).where(WorkspaceRow.slack_revoked_at.is_not(None))))


def note_enterprise(db: Database, *, team_id: str, enterprise_id: str | None) -> None:
    """Remember which Enterprise Grid org a workspace is in, so an org-wide install's token can be found for it.
    Only an installation record or Slack's authorization says so, never a request's own fields."""
    with db.session() as session:
        row = _standing(session, team_id)
        if row.enterprise_id != enterprise_id:
            row.enterprise_id = enterprise_id
            row.updated_at = utcnow()


def enterprise_of(db: Database, *, team_id: str) -> str | None:
    with db.reading() as session:
        return session.scalar(select(WorkspaceRow.enterprise_id).where(WorkspaceRow.team_id == team_id))


def teams_in(db: Database, *, enterprise_id: str) -> list[str]:
    """The workspaces known to be in this Enterprise Grid org, by team id."""
    with db.reading() as session:
        found = select(WorkspaceRow.team_id).where(WorkspaceRow.enterprise_id == enterprise_id)
        return sorted(session.scalars(found))

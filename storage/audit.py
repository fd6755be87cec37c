"""The audit log: who did what, when, in which workspace, with what outcome. Rows are only ever added; the
database itself refuses to change, delete or replace them (triggers of revisions 0008 and 0013), and on PostgreSQL
the app's role may only insert and read them when an owner role migrates (storage.migrate)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from storage.clock import utcnow
from storage.db import Database
from storage.models import AuditRow


@dataclass(frozen=True)
class Entry:
    at: datetime
    team_id: str
    user_id: str
    action: str
    detail: dict[str, Any]
    instantly_job_id: str | None
    outcome: str


def record(
    db: Database,
    *,
    team_id: str,
    user_id: str,
    action: str,
    outcome: str,
    detail: dict[str, Any] | None = None,
    instantly_job_id: str | None = None,
) -> None:
    with db.session() as session:
        session.add(
            AuditRow(
                at=utcnow(),
                team_id=team_id,
                user_id=user_id,
                action=action,
                detail=detail or {},
                instantly_job_id=instantly_job_id,
                outcome=outcome[:2000],
            )
        )


def entries(
    db: Database, *, team_id: str | None = None, since: datetime | None = None, limit: int | None = None
) -> list[Entry]:
    """Newest first when `limit` is given (the latest N); otherwise oldest first, for an export."""
    query = select(AuditRow)
    if team_id is not None:
        query = query.where(AuditRow.team_id == team_id)
    if since is not None:
        query = query.where(AuditRow.at >= since)
    query = query.order_by(AuditRow.id.desc()).limit(limit) if limit is not None else query.order_by(AuditRow.id)
    with db.reading() as session:
        return [
            Entry(row.at, row.team_id, row.user_id, row.action, dict(row.detail), row.instantly_job_id, row.outcome)
            for row in session.scalars(query)
        ]

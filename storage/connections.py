"""Each Slack workspace's Instantly connection: the sealed API key and the Instantly workspace it reaches."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from storage.clock import utcnow
from storage.db import Database, upsert_into
from storage.models import ConnectionRow


@dataclass(frozen=True)
class Connection:
    team_id: str
    connection_id: str
    sealed_key: str
    instantly_workspace_id: str
    instantly_workspace_name: str
    connected_by: str
    connected_at: datetime


def _record(row: ConnectionRow) -> Connection:
    return Connection(
        team_id=row.team_id,
        connection_id=row.connection_id,
        sealed_key=row.sealed_key,
        instantly_workspace_id=row.instantly_workspace_id,
        instantly_workspace_name=row.instantly_workspace_name,
        connected_by=row.connected_by,
        connected_at=row.connected_at,
    )


def save(
    db: Database,
    *,
    team_id: str,
    sealed_key: str,
    instantly_workspace_id: str,
    instantly_workspace_name: str,
    connected_by: str,
) -> Connection:
    """Connect the workspace, replacing any earlier connection."""
    with db.session() as session:
        # Two admins connecting a new workspace at once: the row is made first, so both lock the same one.
        placeholder = upsert_into(session, ConnectionRow).values(
            team_id=team_id,
            connection_id="",
            sealed_key="",
            instantly_workspace_id="",
            instantly_workspace_name="",
            connected_by=connected_by,
            connected_at=utcnow(),
        )
        session.execute(placeholder.on_conflict_do_nothing(index_elements=[ConnectionRow.team_id]))
        row = session.get(ConnectionRow, team_id, with_for_update=True, populate_existing=True)
        assert row is not None
        row.connection_id = uuid.uuid4().hex
        row.sealed_key = sealed_key
        row.instantly_workspace_id = instantly_workspace_id
        row.instantly_workspace_name = instantly_workspace_name[:255]
        row.connected_by = connected_by
        row.connected_at = utcnow()
        session.flush()
        return _record(row)


def get(db: Database, *, team_id: str) -> Connection | None:
    with db.reading() as session:
        row = session.get(ConnectionRow, team_id)
        return _record(row) if row is not None else None


def delete_for(db: Database, *, team_id: str) -> bool:
    """Disconnect the workspace; True if it was connected."""
    with db.session() as session:
        result = session.execute(delete(ConnectionRow).where(ConnectionRow.team_id == team_id))
        return bool(getattr(result, "rowcount", 0))


def all_sealed(db: Database) -> list[tuple[str, str]]:
    """(team id, sealed key) of every connection, for resealing with a new key."""
    with db.reading() as session:
        return [(row.team_id, row.sealed_key) for row in session.scalars(select(ConnectionRow))]


def replace_sealed(db: Database, *, team_id: str, old: str, new: str) -> bool:
    """Swap one sealed key for its resealed form, unless it was reconnected meanwhile; True if swapped."""
    with db.session() as session:
        result = session.execute(
            update(ConnectionRow)
            .where(ConnectionRow.team_id == team_id, ConnectionRow.sealed_key == old)
            .values(sealed_key=new)
        )
        return bool(getattr(result, "rowcount", 0))

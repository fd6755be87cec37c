"""Slack installations and OAuth states: sealed blobs keyed by Enterprise Grid org and workspace.

What a blob holds is the caller's business (bot.slack.installations seals slack_sdk's Installation into it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from storage.clock import utcnow
from storage.db import Database, upsert_into
from storage.models import InstallationRow, OAuthStateRow


@dataclass(frozen=True)
class SealedInstallation:
    enterprise_id: str  # "" outside Enterprise Grid
    team_id: str  # "" for an org-wide install
    is_enterprise_install: bool
    installer_user_id: str
    sealed: str
    token_expires_at: datetime | None


def _record(row: InstallationRow) -> SealedInstallation:
    return SealedInstallation(
        enterprise_id=row.enterprise_id,
        team_id=row.team_id,
        is_enterprise_install=row.is_enterprise_install,
        installer_user_id=row.installer_user_id,
        sealed=row.sealed,
        token_expires_at=row.token_expires_at,
    )


def save(
    db: Database,
    *,
    enterprise_id: str,
    team_id: str,
    is_enterprise_install: bool,
    installer_user_id: str,
    sealed: str,
    token_expires_at: datetime | None,
) -> None:
    """Keep this install, replacing an earlier one of the same org and workspace."""
    now = utcnow()
    values = {
        "enterprise_id": enterprise_id,
        "team_id": team_id,
        "is_enterprise_install": is_enterprise_install,
        "installer_user_id": installer_user_id,
        "sealed": sealed,
        "token_expires_at": token_expires_at,
        "updated_at": now,
    }
    with db.session() as session:
        statement = upsert_into(session, InstallationRow).values(installed_at=now, **values)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[InstallationRow.enterprise_id, InstallationRow.team_id],
                set_={key: statement.excluded[key] for key in values},
            )
        )


def find(db: Database, *, enterprise_id: str, team_id: str) -> SealedInstallation | None:
    """The workspace's own install or, failing that, its org's org-wide install."""
    with db.reading() as session:
        for team in (team_id, "") if enterprise_id else (team_id,):
            row = session.scalars(
                select(InstallationRow).where(
                    InstallationRow.enterprise_id == enterprise_id, InstallationRow.team_id == team
                )
            ).first()
            if row is not None and (team or row.is_enterprise_install):
                return _record(row)
    return None


def remove(db: Database, *, enterprise_id: str, team_id: str) -> bool:
    """Forget the install of this org and workspace; True if there was one."""
    with db.session() as session:
        result = session.execute(
            delete(InstallationRow).where(
                InstallationRow.enterprise_id == enterprise_id, InstallationRow.team_id == team_id
            )
        )
        return bool(getattr(result, "rowcount", 0))


def refresh(
    db: Database,
    *,
    enterprise_id: str,
    team_id: str,
    refresh: Callable[[str, datetime | None], tuple[str, datetime | None] | None],
) -> None:
    """Run `refresh(sealed, token_expires_at)` with the install's row locked; keep what it returns, if anything.

    The lock is what stops two replicas from refreshing one token at once: the second sees the first's result.
    """
    with db.session() as session:
        row = session.scalars(
            select(InstallationRow)
            .where(InstallationRow.enterprise_id == enterprise_id, InstallationRow.team_id == team_id)
            .with_for_update()
        ).first()
        if row is None:
            return
        replaced = refresh(row.sealed, row.token_expires_at)
        if replaced is not None:
            row.sealed, row.token_expires_at = replaced
            row.updated_at = utcnow()


def all_sealed(db: Database) -> list[tuple[int, str]]:
    """(row id, sealed blob) of every install, for resealing with a new key."""
    with db.reading() as session:
        return [(row.id, row.sealed) for row in session.scalars(select(InstallationRow).order_by(InstallationRow.id))]


def replace_sealed(db: Database, *, row_id: int, old: str, new: str) -> bool:
    """Swap one blob for its resealed form, unless it changed meanwhile (a token refresh); True if swapped."""
    with db.session() as session:
        result = session.execute(
            update(InstallationRow)
            .where(InstallationRow.id == row_id, InstallationRow.sealed == old)
            .values(sealed=new, updated_at=utcnow())
        )
        return bool(getattr(result, "rowcount", 0))


# --- OAuth states ----------------------------------------------------------------------------------------


def issue_state(db: Database, *, state: str, expires_at: datetime) -> None:
    with db.session() as session:
        session.execute(delete(OAuthStateRow).where(OAuthStateRow.expires_at < utcnow()))
        session.add(OAuthStateRow(state=state, expires_at=expires_at))


def consume_state(db: Database, *, state: str) -> bool:
    """True once for a state that was issued and has not expired; it cannot be used again."""
    with db.session() as session:
        row = session.get(OAuthStateRow, state, with_for_update=True)
        if row is None:
            return False
        session.delete(row)
        return row.expires_at >= utcnow()

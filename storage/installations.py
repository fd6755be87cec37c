"""Slack installations, sealed blobs keyed by Enterprise Grid org and workspace; and OAuth states that came back.

What a blob holds is the caller's business (bot.slack.installations seals slack_sdk's Installation into it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, select, update

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
    """The workspace's own install, whatever org the caller names (of two, the one in that org), or failing that
    `enterprise_id`'s org-wide install.

    An org someone names never stands in for a workspace's own install: a request that pairs a workspace with
    another org's id must not be answered with that org's token.
    """
    with db.reading() as session:
        if team_id:
            named_org_first = case((InstallationRow.enterprise_id == enterprise_id, 0), else_=1)
            own = session.scalars(
                select(InstallationRow)
                .where(InstallationRow.team_id == team_id)
                .order_by(named_org_first, InstallationRow.updated_at.desc(), InstallationRow.id.desc())
            ).first()
            if own is not None:
                return _record(own)
        if enterprise_id:
            org = session.scalars(
                select(InstallationRow).where(
                    InstallationRow.enterprise_id == enterprise_id,
                    InstallationRow.team_id == "",
                    InstallationRow.is_enterprise_install.is_(True),
                )
            ).first()
            if org is not None:
                return _record(org)
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


def use_state(db: Database, *, nonce: str, expires_at: datetime) -> bool:
    """Write down that the OAuth state with this nonce came back: True the first time, False ever after.

    The row is kept until the state expires, when the state is refused anyway; expired rows are purged here.
    """
    with db.session() as session:
        session.execute(delete(OAuthStateRow).where(OAuthStateRow.expires_at < utcnow()))
        used = upsert_into(session, OAuthStateRow).values(state=nonce, expires_at=expires_at)
        # RETURNING, not rowcount: psycopg gives -1 for an INSERT that did nothing on conflict.
        kept = used.on_conflict_do_nothing(index_elements=[OAuthStateRow.state]).returning(OAuthStateRow.state)
        return session.execute(kept).first() is not None

"""Each workspace's access rules: people and user groups an admin allowed or denied."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select

from storage.clock import utcnow
from storage.db import Database, upsert_into
from storage.models import AccessRuleRow


class Effect(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


@dataclass(frozen=True)
class Rule:
    subject_id: str  # a person (U…, W…) or a user group (S…)
    effect: Effect
    set_by: str
    set_at: datetime


def set_rule(db: Database, *, team_id: str, subject_id: str, effect: Effect, set_by: str) -> None:
    """Allow or deny a person or group, replacing whatever rule it had."""
    values = {"effect": effect.value, "set_by": set_by, "set_at": utcnow()}
    with db.session() as session:
        statement = upsert_into(session, AccessRuleRow).values(team_id=team_id, subject_id=subject_id, **values)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[AccessRuleRow.team_id, AccessRuleRow.subject_id], set_=values
            )
        )


def rules(db: Database, *, team_id: str) -> list[Rule]:
    """The workspace's rules, allowed first, then by when they were set."""
    with db.reading() as session:
        rows = session.scalars(
            select(AccessRuleRow).where(AccessRuleRow.team_id == team_id).order_by(AccessRuleRow.set_at)
        )
        found = [Rule(row.subject_id, Effect(row.effect), row.set_by, row.set_at) for row in rows]
    return sorted(found, key=lambda rule: rule.effect != Effect.ALLOW)

"""The shared ledger of Instantly requests: every replica writes its requests here, so together they keep one
budget per Instantly workspace. What may be granted is the caller's policy (bot.instantly.budget); this keeps
the ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from storage.db import Database, upsert_into
from storage.models import BudgetGrantRow, BudgetRow

# The longest window any budget looks at; ended grants older than this are of no more use.
HORIZON_SECONDS = 60.0
# A grant never ended (its process died mid-request) is taken to have ended this long after it began.
ABANDONED_SECONDS = 120.0


@dataclass(frozen=True)
class Grant:
    priority: str
    started: float
    ended: float | None


@dataclass(frozen=True)
class Standing:
    """A budget's grants still inside the horizon and its slowdown after a 429."""

    grants: list[Grant]
    factor: float
    factor_until: float


def _locked(session: Session, key: str) -> BudgetRow:
    new = upsert_into(session, BudgetRow).values(key=key, factor=1.0, factor_until=0.0)
    session.execute(new.on_conflict_do_nothing(index_elements=[BudgetRow.key]))
    row = session.get(BudgetRow, key, with_for_update=True, populate_existing=True)
    assert row is not None
    return row


def take(
    db: Database, *, key: str, priority: str, now: float, wait_needed: Callable[[Standing], float]
) -> tuple[int | None, float]:
    """Grant one request if `wait_needed` says 0 for the budget as it stands: (grant id, 0), else (None, wait).

    The budget's row is locked meanwhile, so replicas asking at once are answered one after another.
    """
    with db.session() as session:
        row = _locked(session, key)
        session.execute(
            delete(BudgetGrantRow).where(
                BudgetGrantRow.key == key,
                or_(
                    BudgetGrantRow.ended < now - HORIZON_SECONDS,
                    and_(BudgetGrantRow.ended.is_(None), BudgetGrantRow.started < now - ABANDONED_SECONDS),
                ),
            )
        )
        # Plain rows, not ORM objects: a full minute of a busy budget is hundreds of grants, read on every ask.
        columns = select(BudgetGrantRow.priority, BudgetGrantRow.started, BudgetGrantRow.ended)
        grants = [Grant(*g) for g in session.execute(columns.where(BudgetGrantRow.key == key))]
        wait = wait_needed(Standing(grants=grants, factor=row.factor, factor_until=row.factor_until))
        if wait > 0:
            return None, wait
        grant = BudgetGrantRow(key=key, priority=priority, started=now)
        session.add(grant)
        session.flush()
        return grant.id, 0.0


def end(db: Database, *, grant_id: int, now: float) -> None:
    with db.session() as session:
        session.execute(update(BudgetGrantRow).where(BudgetGrantRow.id == grant_id).values(ended=now))


def slow_down(db: Database, *, key: str, factor: float, until: float) -> None:
    """Every replica takes `factor` of the budget until `until` (epoch seconds)."""
    with db.session() as session:
        row = _locked(session, key)
        row.factor, row.factor_until = factor, max(row.factor_until, until)

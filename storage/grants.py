"""The shared ledger of Instantly requests: every replica writes its requests here, so together they keep one
budget per Instantly workspace. What may be granted is the caller's policy (bot.instantly.budget); this keeps
the ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, and_, bindparam, delete, insert, or_, select, update
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


_BUDGETS = cast(Table, BudgetRow.__table__)
_GRANTS = cast(Table, BudgetGrantRow.__table__)
# A busy budget is asked on every Instantly request: its statements are built once and executed with bind parameters.
_BUDGET_LOCKED = (
    select(_BUDGETS.c.factor, _BUDGETS.c.factor_until)
    .where(_BUDGETS.c.key == bindparam("budget_key"))
    .with_for_update()
)
_FORGET_OLD_GRANTS = delete(_GRANTS).where(
    _GRANTS.c.key == bindparam("budget_key"),
    or_(
        _GRANTS.c.ended < bindparam("ended_before"),
        and_(_GRANTS.c.ended.is_(None), _GRANTS.c.started < bindparam("abandoned_before")),
    ),
)
_GRANTS_OF_KEY = select(_GRANTS.c.priority, _GRANTS.c.started, _GRANTS.c.ended).where(
    _GRANTS.c.key == bindparam("budget_key")
)
_END_GRANT = update(_GRANTS).where(_GRANTS.c.id == bindparam("grant_id")).values(ended=bindparam("ended_at"))
_NEW_GRANT = (
    insert(_GRANTS)
    .returning(_GRANTS.c.id)
    .values(key=bindparam("budget_key"), priority=bindparam("granted_to"), started=bindparam("granted_at"))
)


def _locked(session: Session, key: str) -> tuple[float, float]:
    """The budget's (factor, factor_until), its row created if new and locked to the end of the transaction."""
    new = upsert_into(session, BudgetRow).values(key=key, factor=1.0, factor_until=0.0)
    session.execute(new.on_conflict_do_nothing(index_elements=[BudgetRow.key]))
    row = session.execute(_BUDGET_LOCKED, {"budget_key": key}).one()
    return float(row.factor), float(row.factor_until)


def take(
    db: Database, *, key: str, priority: str, now: float, wait_needed: Callable[[Standing], float]
) -> tuple[int | None, float]:
    """Grant one request if `wait_needed` says 0 for the budget as it stands: (grant id, 0), else (None, wait).

    The budget's row is locked meanwhile, so replicas asking at once are answered one after another.
    """
    with db.session() as session:
        factor, factor_until = _locked(session, key)
        old = {"budget_key": key, "ended_before": now - HORIZON_SECONDS, "abandoned_before": now - ABANDONED_SECONDS}
        session.execute(_FORGET_OLD_GRANTS, old)
        # Plain rows, not ORM objects: a full minute of a busy budget is hundreds of grants, read on every ask.
        grants = [Grant(*g) for g in session.execute(_GRANTS_OF_KEY, {"budget_key": key})]
        wait = wait_needed(Standing(grants=grants, factor=factor, factor_until=factor_until))
        if wait > 0:
            return None, wait
        granted = session.execute(_NEW_GRANT, {"budget_key": key, "granted_to": priority, "granted_at": now})
        return int(granted.scalar_one()), 0.0


def end(db: Database, *, grant_id: int, now: float) -> None:
    with db.session() as session:
        session.execute(_END_GRANT, {"grant_id": grant_id, "ended_at": now})


def slow_down(db: Database, *, key: str, factor: float, until: float) -> None:
    """Every replica takes `factor` of the budget until `until` (epoch seconds)."""
    with db.session() as session:
        _, factor_until = _locked(session, key)
        slower = (
            update(_BUDGETS).where(_BUDGETS.c.key == key).values(factor=factor, factor_until=max(factor_until, until))
        )
        session.execute(slower)

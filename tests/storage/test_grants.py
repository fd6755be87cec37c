"""The shared ledger of Instantly requests (storage.grants), on SQLite and PostgreSQL: grants are taken only when the
caller's policy says so, one budget at a time under a lock, old and abandoned grants leave the ledger, and a slowdown
is seen by every replica. The policy itself (bot.instantly.budget.SharedBudget) is tested in
tests/bot/instantly/test_budget.py.
"""

from __future__ import annotations

import threading

from storage import grants
from storage.db import Database

NOW = 1_800_000_000.0  # seconds since the epoch, as replicas agree on it


def _always(_standing: grants.Standing) -> float:
    return 0.0


def _take(db: Database, *, key: str = "workspace:w-1", now: float = NOW, priority: str = "interactive") -> int:
    grant_id, wait = grants.take(db, key=key, priority=priority, now=now, wait_needed=_always)
    assert grant_id is not None
    assert wait == 0.0
    return grant_id


def _standing(db: Database, *, key: str = "workspace:w-1", now: float = NOW) -> grants.Standing:
    seen: list[grants.Standing] = []

    def look(standing: grants.Standing) -> float:
        seen.append(standing)
        return 1.0  # only looking: take nothing

    grants.take(db, key=key, priority="interactive", now=now, wait_needed=look)
    return seen[0]


def test_a_new_budget_has_no_grants_and_no_slowdown(db: Database) -> None:
    assert _standing(db) == grants.Standing(grants=[], factor=1.0, factor_until=0.0)


def test_a_grant_is_recorded_in_flight_until_it_ends(db: Database) -> None:
    grant_id = _take(db, priority="background")
    assert _standing(db).grants == [grants.Grant(priority="background", started=NOW, ended=None)]

    grants.end(db, grant_id=grant_id, now=NOW + 0.4)

    assert _standing(db, now=NOW + 0.5).grants == [grants.Grant(priority="background", started=NOW, ended=NOW + 0.4)]


def test_when_the_policy_asks_to_wait_nothing_is_granted_and_the_wait_is_returned(db: Database) -> None:
    grant_id, wait = grants.take(db, key="workspace:w-1", priority="interactive", now=NOW, wait_needed=lambda _s: 0.7)

    assert (grant_id, wait) == (None, 0.7)
    assert _standing(db).grants == []


def test_budgets_of_different_keys_keep_their_own_grants(db: Database) -> None:
    _take(db, key="workspace:w-1")
    _take(db, key="workspace:w-1")
    _take(db, key="workspace:w-2")

    assert len(_standing(db, key="workspace:w-1").grants) == 2
    assert len(_standing(db, key="workspace:w-2").grants) == 1
    assert _standing(db, key="workspace:w-3").grants == []


def test_ended_grants_leave_the_ledger_once_past_the_longest_window(db: Database) -> None:
    grant_id = _take(db)
    grants.end(db, grant_id=grant_id, now=NOW + 1)

    assert len(_standing(db, now=NOW + 1 + grants.HORIZON_SECONDS - 0.5).grants) == 1
    assert _standing(db, now=NOW + 1 + grants.HORIZON_SECONDS + 0.5).grants == []


def test_a_grant_never_ended_is_dropped_after_it_is_taken_for_abandoned(db: Database) -> None:
    """Its process died mid-request: it holds its place for ABANDONED_SECONDS, then no longer."""
    _take(db)

    assert len(_standing(db, now=NOW + grants.ABANDONED_SECONDS - 1).grants) == 1
    assert _standing(db, now=NOW + grants.ABANDONED_SECONDS + 1).grants == []


def test_a_slowdown_is_seen_by_every_replica_and_a_later_one_extends_it(db: Database) -> None:
    grants.slow_down(db, key="workspace:w-1", factor=0.5, until=NOW + 60)
    assert _standing(db) == grants.Standing(grants=[], factor=0.5, factor_until=NOW + 60)

    grants.slow_down(db, key="workspace:w-1", factor=0.5, until=NOW + 30)
    assert _standing(db).factor_until == NOW + 60, "an earlier end never shortens a slowdown"

    grants.slow_down(db, key="workspace:w-1", factor=0.5, until=NOW + 90)
    assert _standing(db).factor_until == NOW + 90
    assert _standing(db, key="workspace:w-2").factor == 1.0, "other budgets are not slowed"


def test_replicas_taking_at_once_are_answered_one_after_another(db: Database) -> None:
    """Each sees the grants of those answered before it, so a policy of at most five grants gives exactly five."""
    threads_count, most = 8, 5
    start = threading.Barrier(threads_count)
    granted: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def at_most_five(standing: grants.Standing) -> float:
        return 0.0 if len(standing.grants) < most else 1.0

    def replica() -> None:
        start.wait()
        try:
            grant_id, _wait = grants.take(
                db, key="workspace:w-1", priority="interactive", now=NOW, wait_needed=at_most_five
            )
        except BaseException as exc:
            errors.append(exc)
            return
        if grant_id is not None:
            with lock:
                granted.append(grant_id)

    threads = [threading.Thread(target=replica) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert len(granted) == most
    assert len(_standing(db).grants) == most

"""Slack installations and OAuth states in the database (storage.installations), on SQLite and PostgreSQL: one
install per org and workspace, the org-wide fallback within one Enterprise Grid org only, refreshes under a row
lock, resealing by compare-and-swap, and OAuth states used once and purged once expired."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import select

from storage import installations
from storage.clock import utcnow
from storage.db import Database
from storage.models import OAuthStateRow

EXPIRES = datetime(2026, 11, 30, 9, 0)


def _install(
    db: Database,
    *,
    enterprise: str = "",
    team: str = "T1",
    org_wide: bool = False,
    sealed: str = "sealed-1",
    installer: str = "U1",
    expires: datetime | None = None,
) -> None:
    installations.save(
        db,
        enterprise_id=enterprise,
        team_id=team,
        is_enterprise_install=org_wide,
        installer_user_id=installer,
        sealed=sealed,
        token_expires_at=expires,
    )


def test_a_saved_install_is_found_with_everything_it_was_saved_with(db: Database) -> None:
    _install(db, enterprise="E1", team="T1", sealed="blob", installer="U7", expires=EXPIRES)

    found = installations.find(db, enterprise_id="E1", team_id="T1")

    assert found == installations.SealedInstallation(
        enterprise_id="E1",
        team_id="T1",
        is_enterprise_install=False,
        installer_user_id="U7",
        sealed="blob",
        token_expires_at=EXPIRES,
    )


def test_an_unknown_workspace_has_no_install(db: Database) -> None:
    _install(db, team="T1")
    assert installations.find(db, enterprise_id="", team_id="T2") is None


def test_saving_the_same_org_and_workspace_again_replaces_the_install(db: Database) -> None:
    _install(db, team="T1", sealed="first", installer="U1", expires=EXPIRES)
    _install(db, team="T1", sealed="second", installer="U2", expires=None)

    found = installations.find(db, enterprise_id="", team_id="T1")
    assert found is not None
    assert (found.sealed, found.installer_user_id, found.token_expires_at) == ("second", "U2", None)
    assert len(installations.all_sealed(db)) == 1


def test_the_same_workspace_id_in_another_org_is_another_install(db: Database) -> None:
    _install(db, enterprise="E1", team="T1", sealed="in-e1")
    _install(db, enterprise="E2", team="T1", sealed="in-e2")

    assert len(installations.all_sealed(db)) == 2
    e1 = installations.find(db, enterprise_id="E1", team_id="T1")
    assert e1 is not None
    assert e1.sealed == "in-e1"


def test_a_workspace_of_an_org_falls_back_to_the_org_wide_install(db: Database) -> None:
    _install(db, enterprise="E1", team="", org_wide=True, sealed="org-wide")

    found = installations.find(db, enterprise_id="E1", team_id="T5")

    assert found is not None
    assert (found.sealed, found.team_id, found.is_enterprise_install) == ("org-wide", "", True)


def test_a_workspace_own_install_wins_over_its_org_wide_install(db: Database) -> None:
    _install(db, enterprise="E1", team="", org_wide=True, sealed="org-wide")
    _install(db, enterprise="E1", team="T5", sealed="own")

    found = installations.find(db, enterprise_id="E1", team_id="T5")
    assert found is not None
    assert found.sealed == "own"


def test_an_org_wide_install_never_serves_another_org(db: Database) -> None:
    _install(db, enterprise="E1", team="", org_wide=True, sealed="org-wide")

    assert installations.find(db, enterprise_id="E2", team_id="T5") is None


def test_a_workspace_outside_any_org_never_sees_another_install(db: Database) -> None:
    _install(db, enterprise="E1", team="", org_wide=True, sealed="org-wide")
    _install(db, enterprise="", team="T1", sealed="t1")

    assert installations.find(db, enterprise_id="", team_id="T2") is None


def test_a_row_without_workspace_that_is_not_org_wide_serves_no_one(db: Database) -> None:
    _install(db, enterprise="E1", team="", org_wide=False, sealed="odd")

    assert installations.find(db, enterprise_id="E1", team_id="T5") is None


def test_remove_forgets_only_that_install(db: Database) -> None:
    _install(db, enterprise="E1", team="T1")
    _install(db, enterprise="E1", team="T2")

    assert installations.remove(db, enterprise_id="E1", team_id="T1")
    assert not installations.remove(db, enterprise_id="E1", team_id="T1"), "already gone"

    assert installations.find(db, enterprise_id="E1", team_id="T1") is None
    assert installations.find(db, enterprise_id="E1", team_id="T2") is not None


# --- refresh ---------------------------------------------------------------------------------------------


def test_refresh_hands_the_callback_the_stored_blob_and_keeps_what_it_returns(db: Database) -> None:
    _install(db, team="T1", sealed="old", expires=EXPIRES)
    later = EXPIRES + timedelta(hours=12)
    seen: list[tuple[str, datetime | None]] = []

    def rotate(sealed: str, expires_at: datetime | None) -> tuple[str, datetime | None]:
        seen.append((sealed, expires_at))
        return "new", later

    installations.refresh(db, enterprise_id="", team_id="T1", refresh=rotate)

    assert seen == [("old", EXPIRES)]
    found = installations.find(db, enterprise_id="", team_id="T1")
    assert found is not None
    assert (found.sealed, found.token_expires_at) == ("new", later)


def test_refresh_keeps_the_row_as_it_was_when_the_callback_returns_none(db: Database) -> None:
    _install(db, team="T1", sealed="old", expires=EXPIRES)

    installations.refresh(db, enterprise_id="", team_id="T1", refresh=lambda _sealed, _expires: None)

    found = installations.find(db, enterprise_id="", team_id="T1")
    assert found is not None
    assert (found.sealed, found.token_expires_at) == ("old", EXPIRES)


def test_refresh_of_a_missing_install_does_not_call_back(db: Database) -> None:
    called: list[str] = []
    installations.refresh(db, enterprise_id="", team_id="T9", refresh=lambda sealed, _e: called.append(sealed))
    assert called == []


def test_two_refreshes_at_once_run_one_after_the_other_and_the_second_sees_the_first(db: Database) -> None:
    _install(db, team="T1", sealed="v1", expires=EXPIRES)
    start = threading.Barrier(2)
    lock = threading.Lock()
    asked_at: list[float] = []
    runs: list[tuple[str, float, float]] = []  # (blob seen, entered, left)
    errors: list[BaseException] = []

    def rotate(sealed: str, _expires_at: datetime | None) -> tuple[str, datetime | None]:
        entered = time.monotonic()
        time.sleep(0.2)  # a token refresh takes a while; the other replica must wait for it
        with lock:
            runs.append((sealed, entered, time.monotonic()))
        return ("v2" if sealed == "v1" else "v3"), EXPIRES + timedelta(hours=12)

    def replica() -> None:
        start.wait()
        with lock:
            asked_at.append(time.monotonic())
        try:
            installations.refresh(db, enterprise_id="", team_id="T1", refresh=rotate)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=replica) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    runs.sort(key=lambda run: run[1])
    (first_saw, _, first_left), (second_saw, second_entered, _) = runs
    assert max(asked_at) < first_left, "both asked while the first refresh was still running"
    assert second_entered >= first_left, "the second refresh waited for the first"
    assert (first_saw, second_saw) == ("v1", "v2"), "the second saw what the first stored"
    found = installations.find(db, enterprise_id="", team_id="T1")
    assert found is not None
    assert found.sealed == "v3"


# --- resealing -------------------------------------------------------------------------------------------


def test_all_sealed_lists_every_install_by_row_id(db: Database) -> None:
    _install(db, team="T1", sealed="a")
    _install(db, enterprise="E1", team="", org_wide=True, sealed="b")

    listed = installations.all_sealed(db)

    assert [sealed for _row_id, sealed in listed] == ["a", "b"]
    assert len({row_id for row_id, _sealed in listed}) == 2


def test_replace_sealed_swaps_a_blob_that_is_unchanged(db: Database) -> None:
    _install(db, team="T1", sealed="old")
    [(row_id, sealed)] = installations.all_sealed(db)

    assert installations.replace_sealed(db, row_id=row_id, old=sealed, new="resealed")

    assert installations.all_sealed(db) == [(row_id, "resealed")]


def test_replace_sealed_leaves_a_blob_that_changed_meanwhile(db: Database) -> None:
    """A token refreshed between reading and resealing must not be overwritten with the old token."""
    _install(db, team="T1", sealed="old")
    [(row_id, sealed)] = installations.all_sealed(db)
    installations.refresh(db, enterprise_id="", team_id="T1", refresh=lambda _s, _e: ("refreshed", EXPIRES))

    assert not installations.replace_sealed(db, row_id=row_id, old=sealed, new="resealed-old")

    assert installations.all_sealed(db) == [(row_id, "refreshed")]


# --- OAuth states ----------------------------------------------------------------------------------------


def _state_rows(db: Database) -> list[str]:
    with db.reading() as session:
        return list(session.scalars(select(OAuthStateRow.state).order_by(OAuthStateRow.state)))


def test_a_state_is_used_once(db: Database) -> None:
    assert installations.use_state(db, nonce="n-1", expires_at=utcnow() + timedelta(minutes=10))
    assert not installations.use_state(db, nonce="n-1", expires_at=utcnow() + timedelta(minutes=10)), "only once"


def test_using_a_state_leaves_other_states_usable(db: Database) -> None:
    assert installations.use_state(db, nonce="n-1", expires_at=utcnow() + timedelta(minutes=10))
    assert installations.use_state(db, nonce="n-2", expires_at=utcnow() + timedelta(minutes=10))

    assert _state_rows(db) == ["n-1", "n-2"]


def test_using_a_state_purges_the_expired_ones(db: Database) -> None:
    assert installations.use_state(db, nonce="n-old", expires_at=utcnow() - timedelta(seconds=1))
    assert installations.use_state(db, nonce="n-live", expires_at=utcnow() + timedelta(minutes=10))

    assert _state_rows(db) == ["n-live"]

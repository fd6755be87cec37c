"""A workspace whose Slack token was refused is paused until a working token is seen; each change is told once. The
workspaces of an Enterprise Grid org are the ones last noted in it."""

from __future__ import annotations

import threading

from storage import workspaces
from storage.db import Database


def test_a_revocation_is_recorded_once_and_paused_teams_are_listed(db: Database) -> None:
    assert workspaces.mark_revoked(db, team_id="T1", reason="token_revoked")
    assert not workspaces.mark_revoked(db, team_id="T1", reason="token_revoked"), "logged only the first time"

    assert workspaces.revoked_teams(db) == {"T1"}


def test_a_working_token_ends_the_revocation(db: Database) -> None:
    workspaces.mark_revoked(db, team_id="T1", reason="invalid_auth")
    workspaces.mark_revoked(db, team_id="T2", reason="invalid_auth")

    assert workspaces.mark_active(db, team_id="T1")
    assert not workspaces.mark_active(db, team_id="T1"), "already active"

    assert workspaces.revoked_teams(db) == {"T2"}


def test_a_workspace_seen_for_the_first_time_is_active(db: Database) -> None:
    assert not workspaces.mark_active(db, team_id="T9")
    assert workspaces.revoked_teams(db) == set()


def test_a_long_reason_is_cut_to_fit(db: Database) -> None:
    assert workspaces.mark_revoked(db, team_id="T1", reason="x" * 500)
    assert workspaces.revoked_teams(db) == {"T1"}


def test_replicas_marking_a_new_workspace_at_once_all_succeed(db: Database) -> None:
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def mark() -> None:
        start.wait()
        try:
            workspaces.mark_active(db, team_id="T-new")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=mark) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert workspaces.revoked_teams(db) == set()


def test_an_orgs_workspaces_are_the_ones_noted_in_it_now(db: Database) -> None:
    for team, org in (("T2", "E1"), ("T1", "E1"), ("T3", "E2"), ("T4", None)):
        workspaces.note_enterprise(db, team_id=team, enterprise_id=org)
    workspaces.mark_revoked(db, team_id="T5", reason="token_revoked")  # a standing, in no org
    workspaces.note_enterprise(db, team_id="T2", enterprise_id="E2")  # Slack said otherwise since

    assert workspaces.teams_in(db, enterprise_id="E1") == ["T1"]
    assert workspaces.teams_in(db, enterprise_id="E2") == ["T2", "T3"]
    assert workspaces.teams_in(db, enterprise_id="E9") == []

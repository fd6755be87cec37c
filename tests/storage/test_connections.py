"""Each Slack workspace's Instantly connection in the database (storage.connections), on SQLite and PostgreSQL:
saved and read back, one per workspace, a new connection id on every reconnect, removed on disconnect, and resealed
by compare-and-swap."""

from __future__ import annotations

import threading
from datetime import timedelta

from storage import connections
from storage.clock import utcnow
from storage.db import Database


def _connect(
    db: Database, team: str = "T1", *, sealed: str = "sealed-key-1", workspace: str = "w-1", name: str = "Acme"
) -> connections.Connection:
    return connections.save(
        db,
        team_id=team,
        sealed_key=sealed,
        instantly_workspace_id=workspace,
        instantly_workspace_name=name,
        connected_by="U1",
    )


def test_a_saved_connection_is_read_back_as_saved(db: Database) -> None:
    before = utcnow()
    saved = _connect(db, sealed="blob", workspace="w-42", name="Acme Sales")

    got = connections.get(db, team_id="T1")

    assert got == saved
    assert (got.team_id, got.sealed_key, got.instantly_workspace_id, got.instantly_workspace_name) == (
        "T1",
        "blob",
        "w-42",
        "Acme Sales",
    )
    assert got.connected_by == "U1"
    assert before - timedelta(seconds=1) <= got.connected_at <= utcnow() + timedelta(seconds=1)
    assert len(got.connection_id) == 32


def test_a_workspace_never_connected_has_no_connection(db: Database) -> None:
    _connect(db, "T1")
    assert connections.get(db, team_id="T2") is None


def test_workspaces_keep_their_own_connections(db: Database) -> None:
    _connect(db, "T1", sealed="k-1", workspace="w-1")
    _connect(db, "T2", sealed="k-2", workspace="w-2")

    one, two = connections.get(db, team_id="T1"), connections.get(db, team_id="T2")
    assert one is not None
    assert two is not None
    assert (one.sealed_key, one.instantly_workspace_id) == ("k-1", "w-1")
    assert (two.sealed_key, two.instantly_workspace_id) == ("k-2", "w-2")
    assert one.connection_id != two.connection_id


def test_reconnecting_replaces_the_connection_and_gives_it_a_new_id(db: Database) -> None:
    first = _connect(db, sealed="old-key", workspace="w-1")
    second = _connect(db, sealed="new-key", workspace="w-2", name="Other")

    assert second.connection_id != first.connection_id
    assert connections.get(db, team_id="T1") == second
    assert len(connections.all_sealed(db)) == 1


def test_a_long_instantly_workspace_name_is_cut_to_fit(db: Database) -> None:
    saved = _connect(db, name="N" * 400)
    assert saved.instantly_workspace_name == "N" * 255
    got = connections.get(db, team_id="T1")
    assert got is not None
    assert got.instantly_workspace_name == "N" * 255


def test_delete_for_disconnects_only_that_workspace(db: Database) -> None:
    _connect(db, "T1")
    _connect(db, "T2")

    assert connections.delete_for(db, team_id="T1")
    assert not connections.delete_for(db, team_id="T1"), "already disconnected"

    assert connections.get(db, team_id="T1") is None
    assert connections.get(db, team_id="T2") is not None


def test_all_sealed_lists_every_workspace_key(db: Database) -> None:
    _connect(db, "T1", sealed="k-1")
    _connect(db, "T2", sealed="k-2")
    assert sorted(connections.all_sealed(db)) == [("T1", "k-1"), ("T2", "k-2")]


def test_replace_sealed_swaps_an_unchanged_key_and_keeps_the_connection_id(db: Database) -> None:
    saved = _connect(db, sealed="old")

    assert connections.replace_sealed(db, team_id="T1", old="old", new="resealed")

    got = connections.get(db, team_id="T1")
    assert got is not None
    assert got.sealed_key == "resealed"
    assert got.connection_id == saved.connection_id, "resealing is not a reconnect"


def test_replace_sealed_leaves_a_key_reconnected_meanwhile(db: Database) -> None:
    _connect(db, sealed="old")
    [(team, sealed)] = connections.all_sealed(db)
    _connect(db, sealed="reconnected")

    assert not connections.replace_sealed(db, team_id=team, old=sealed, new="resealed-old")

    got = connections.get(db, team_id="T1")
    assert got is not None
    assert got.sealed_key == "reconnected"


def test_replace_sealed_of_a_disconnected_workspace_does_nothing(db: Database) -> None:
    _connect(db, sealed="old")
    connections.delete_for(db, team_id="T1")

    assert not connections.replace_sealed(db, team_id="T1", old="old", new="resealed")
    assert connections.get(db, team_id="T1") is None


def test_two_replicas_connecting_a_new_workspace_at_once_both_succeed(db: Database) -> None:
    """Two people (or a double submit) connecting the same workspace at once: the last one wins, neither fails."""
    errors: list[BaseException] = []
    teams = [f"T-new-{n}" for n in range(8)]  # several rounds, so the race is met every time it can be
    for team in teams:
        start = threading.Barrier(4)

        def connect(key: str, team: str = team, start: threading.Barrier = start) -> None:
            start.wait()
            try:
                _connect(db, team, sealed=key)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=connect, args=(f"key-{n}",)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)

    assert errors == []
    for team in teams:
        got = connections.get(db, team_id=team)
        assert got is not None
        assert got.sealed_key in {f"key-{n}" for n in range(4)}

"""Connecting a Slack workspace to Instantly (bot.connections.ConnectionService), against a loopback stand-in for
Instantly that answers in its shapes and errors: a key is checked before it is kept and kept sealed, what is wrong
with a key is said in words (refused key, each missing scope, no answer in time), and /leads disconnect and an
uninstall remove what the workspace had and stop following its jobs; an org's uninstall does so for each workspace
its org-wide install served."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from bot.connections import DISCONNECTED, ORG_UNINSTALLED, UNINSTALLED, ConnectionService
from bot.instantly.errors import InstantlyNotConnected
from bot.secrets import Sealer, SecretsUnavailable, new_key
from bot.workspaces import Workspaces
from simulators.loopback import LoopbackServer, Reply, Request
from storage import audit, connections, installations, jobs, workspaces
from storage.db import Database
from storage.models import NotificationKind, NotificationState, Phase
from tests.factories import a_settings, outbox_notifications, requested_job, running_job

GOOD_KEY = "inst-key-7f3a9c2e5b1d"
OTHER_KEY = "inst-key-other-44e1"
JSON_TYPE = {"Content-Type": "application/json"}


@dataclass
class InstantlyStandIn:
    """Instantly's API v2 on loopback: the endpoints a key check reads, refusals and slowness set per path."""

    keys: dict[str, tuple[str, str]] = field(
        default_factory=lambda: {GOOD_KEY: ("w-1", "Acme Sales"), OTHER_KEY: ("w-2", "Other Co")}
    )
    refuse: dict[str, int] = field(default_factory=dict)  # path under /api/v2/ -> error status
    delay: dict[str, float] = field(default_factory=dict)  # path under /api/v2/ -> seconds before answering
    asked: list[str] = field(default_factory=list)

    def respond(self, request: Request) -> Reply:
        path = urlsplit(request.target).path.removeprefix("/api/v2/")
        self.asked.append(path)
        delay = self.delay.get(path, 0.0)
        key = request.headers.get("authorization", "").removeprefix("Bearer ")
        if key not in self.keys:
            return _error(401, "Invalid API key", delay)
        if path in self.refuse:
            return _error(self.refuse[path], f"This API key does not have access to {path}", delay)
        workspace_id, name = self.keys[key]
        if path == "workspaces/current":
            return Reply(200, json.dumps({"id": workspace_id, "name": name}).encode(), JSON_TYPE, delay=delay)
        if path in ("campaigns", "lead-lists", "background-jobs"):
            return Reply(200, json.dumps({"items": [], "next_starting_after": None}).encode(), JSON_TYPE, delay=delay)
        return _error(404, "Not Found", delay)


def _error(status: int, message: str, delay: float) -> Reply:
    reasons = {401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found", 500: "Error"}
    body = {"statusCode": status, "error": reasons.get(status, "Error"), "message": message}
    return Reply(status, json.dumps(body).encode(), JSON_TYPE, delay=delay)


@pytest.fixture
def instantly() -> Iterator[tuple[InstantlyStandIn, str]]:
    stand_in = InstantlyStandIn()
    with LoopbackServer(stand_in.respond, name="instantly-stand-in") as server:
        yield stand_in, server.base_url + "/api/v2"


@dataclass
class Wired:
    service: ConnectionService
    workspaces: Workspaces
    sealer: Sealer
    notified: list[str]


def _wire(db: Database, api_url: str, *, sealer: Sealer | None) -> Wired:
    settings = a_settings(db, instantly_api_url=api_url)
    spaces = Workspaces(settings=settings, db=db, sealer=sealer)
    notified: list[str] = []
    service = ConnectionService(db=db, workspaces=spaces, settings=settings, notify=lambda: notified.append("woken"))
    return Wired(service, spaces, sealer or Sealer([new_key()]), notified)


@pytest.fixture
def wired(db: Database, instantly: tuple[InstantlyStandIn, str]) -> Iterator[Wired]:
    built = _wire(db, instantly[1], sealer=Sealer([new_key()]))
    yield built
    built.workspaces.close()


@pytest.fixture
def checking(sqlite_db: Database, instantly: tuple[InstantlyStandIn, str]) -> Iterator[Wired]:
    """For tests of the check alone, which keeps nothing: one database is enough."""
    built = _wire(sqlite_db, instantly[1], sealer=Sealer([new_key()]))
    yield built
    built.workspaces.close()


# --- checking and connecting -----------------------------------------------------------------------------


def test_a_good_key_is_kept_sealed_and_names_its_instantly_workspace(db: Database, wired: Wired) -> None:
    checked = wired.service.connect(team_id="T1", user_id="U1", api_key=GOOD_KEY)

    assert (checked.problem, checked.workspace_id, checked.workspace_name) == (None, "w-1", "Acme Sales")
    kept = connections.get(db, team_id="T1")
    assert kept is not None
    assert (kept.instantly_workspace_id, kept.instantly_workspace_name, kept.connected_by) == (
        "w-1",
        "Acme Sales",
        "U1",
    )
    assert kept.sealed_key != GOOD_KEY
    assert wired.sealer.open(kept.sealed_key) == GOOD_KEY
    with db.engine.connect() as connection:
        raw = repr(connection.execute(text("SELECT * FROM instantly_connections")).all())
    assert "Acme Sales" in raw, "the rows were read"
    assert GOOD_KEY not in raw
    assert "7f3a9c2e5b1d" not in raw


def test_a_kept_key_is_what_the_workspace_instantly_client_uses_at_once(wired: Wired) -> None:
    with pytest.raises(InstantlyNotConnected):
        wired.workspaces.instantly("T1")  # read as "not connected" and remembered for a few seconds

    wired.service.connect(team_id="T1", user_id="U1", api_key=GOOD_KEY)

    client = wired.workspaces.instantly("T1")
    assert client._http.headers["Authorization"] == f"Bearer {GOOD_KEY}"
    current = wired.service.current("T1")
    assert current is not None
    assert current.instantly_workspace_id == "w-1"


def test_a_key_instantly_refuses_is_not_accepted_and_not_kept(db: Database, wired: Wired) -> None:
    checked = wired.service.connect(team_id="T1", user_id="U1", api_key="inst-key-typo")

    assert checked.problem is not None
    assert "does not accept this key" in checked.problem
    assert connections.get(db, team_id="T1") is None


def test_a_key_without_campaign_access_names_campaigns_read(
    db: Database, wired: Wired, instantly: tuple[InstantlyStandIn, str]
) -> None:
    instantly[0].refuse["campaigns"] = 403

    checked = wired.service.connect(team_id="T1", user_id="U1", api_key=GOOD_KEY)

    assert checked.problem is not None
    assert "`campaigns:read`" in checked.problem
    assert "lead_lists:read" not in checked.problem
    assert "background-jobs:read" not in checked.problem
    assert connections.get(db, team_id="T1") is None


def test_every_missing_scope_is_named(checking: Wired, instantly: tuple[InstantlyStandIn, str]) -> None:
    instantly[0].refuse.update({"lead-lists": 403, "background-jobs": 403})

    checked = checking.service.check(GOOD_KEY)

    assert checked.problem is not None
    assert "`lead_lists:read`" in checked.problem
    assert "`background-jobs:read`" in checked.problem
    assert "campaigns:read" not in checked.problem
    assert "them" in checked.problem


def test_a_key_without_workspace_access_names_workspaces_read(
    checking: Wired, instantly: tuple[InstantlyStandIn, str]
) -> None:
    instantly[0].refuse["workspaces/current"] = 403

    checked = checking.service.check(GOOD_KEY)

    assert checked.problem is not None
    assert "`workspaces:read`" in checked.problem


def test_a_workspace_without_a_paid_plan_is_said_so(checking: Wired, instantly: tuple[InstantlyStandIn, str]) -> None:
    instantly[0].refuse["workspaces/current"] = 402

    checked = checking.service.check(GOOD_KEY)

    assert checked.problem is not None
    assert "no paid plan" in checked.problem


def test_an_instantly_failure_asks_to_try_again(checking: Wired, instantly: tuple[InstantlyStandIn, str]) -> None:
    instantly[0].refuse["lead-lists"] = 500

    checked = checking.service.check(GOOD_KEY)

    assert checked.problem is not None
    assert "try again" in checked.problem


@pytest.mark.parametrize("slow", ["workspaces/current", "campaigns"])
def test_a_slow_instantly_is_said_not_to_answer_in_time_within_slack_s_three_seconds(
    checking: Wired, instantly: tuple[InstantlyStandIn, str], slow: str
) -> None:
    instantly[0].delay[slow] = 3.0
    began = time.monotonic()

    checked = checking.service.check(GOOD_KEY)

    took = time.monotonic() - began
    assert checked.problem is not None
    assert "did not answer in time" in checked.problem
    assert took < 2.5, f"the check took {took:.2f}s; Slack gives a modal three"


def test_the_check_reads_every_scope_it_names(checking: Wired, instantly: tuple[InstantlyStandIn, str]) -> None:
    checking.service.check(GOOD_KEY)
    assert sorted(instantly[0].asked) == ["background-jobs", "campaigns", "lead-lists", "workspaces/current"]


def test_connecting_without_an_encryption_key_is_refused(db: Database, instantly: tuple[InstantlyStandIn, str]) -> None:
    unsealed = _wire(db, instantly[1], sealer=None)
    with pytest.raises(SecretsUnavailable):
        unsealed.service.connect(team_id="T1", user_id="U1", api_key=GOOD_KEY)
    assert instantly[0].asked == [], "the key is not even checked"
    assert connections.get(db, team_id="T1") is None


def test_reconnecting_with_another_key_replaces_the_connection(db: Database, wired: Wired) -> None:
    wired.service.connect(team_id="T1", user_id="U1", api_key=GOOD_KEY)
    first = wired.workspaces.instantly("T1")

    wired.service.connect(team_id="T1", user_id="U2", api_key=OTHER_KEY)

    kept = connections.get(db, team_id="T1")
    assert kept is not None
    assert (kept.instantly_workspace_id, kept.connected_by) == ("w-2", "U2")
    assert wired.workspaces.instantly("T1") is not first
    assert wired.workspaces.instantly("T1")._http.headers["Authorization"] == f"Bearer {OTHER_KEY}"


# --- disconnecting and uninstalling ----------------------------------------------------------------------


def test_disconnect_removes_the_key_and_gives_unfinished_jobs_a_final_reply(db: Database, wired: Wired) -> None:
    wired.service.connect(team_id="T1", user_id="U1", api_key=GOOD_KEY)
    wired.workspaces.instantly("T1")
    requested = requested_job(db, team="T1")
    running = running_job(db, "a" * 24, team="T1")
    elsewhere = running_job(db, "b" * 24, team="T2")

    assert wired.service.disconnect(team_id="T1", user_id="U1")

    assert connections.get(db, team_id="T1") is None
    with pytest.raises(InstantlyNotConnected):
        wired.workspaces.instantly("T1")
    for job in (requested, running):
        stopped = jobs.get(db, job_id=job.id)
        assert stopped is not None
        assert (stopped.phase, stopped.error) == (Phase.FINISHED, DISCONNECTED)
    finals = sorted(n.job_id for n in outbox_notifications(db, team="T1") if n.kind == NotificationKind.FINAL)
    assert finals == sorted([requested.id, running.id])
    other = jobs.get(db, job_id=elsewhere.id)
    assert other is not None
    assert other.phase == Phase.RUNNING
    assert wired.notified == ["woken"], "the writer is woken to send the replies"


def test_disconnecting_a_workspace_not_connected_changes_nothing(db: Database, wired: Wired) -> None:
    running = running_job(db, "a" * 24, team="T1")

    assert not wired.service.disconnect(team_id="T1", user_id="U1")

    still = jobs.get(db, job_id=running.id)
    assert still is not None
    assert still.phase == Phase.RUNNING
    assert wired.notified == []


def test_uninstalling_removes_the_install_and_the_key_and_closes_jobs_quietly(db: Database, wired: Wired) -> None:
    installations.save(
        db,
        enterprise_id="",
        team_id="T1",
        is_enterprise_install=False,
        installer_user_id="U1",
        sealed="sealed-install",
        token_expires_at=None,
    )
    wired.service.connect(team_id="T1", user_id="U1", api_key=GOOD_KEY)
    wired.workspaces.instantly("T1")
    running = running_job(db, "a" * 24, team="T1")
    elsewhere = running_job(db, "b" * 24, team="T2")

    wired.service.uninstalled(enterprise_id=None, team_id="T1")

    assert installations.find(db, enterprise_id="", team_id="T1") is None
    assert connections.get(db, team_id="T1") is None
    with pytest.raises(InstantlyNotConnected):
        wired.workspaces.instantly("T1")
    closed = jobs.get(db, job_id=running.id)
    assert closed is not None
    assert (closed.phase, closed.error) == (Phase.DONE, UNINSTALLED)
    given_up, elsewhere_waiting = outbox_notifications(db, team="T1"), outbox_notifications(db, team="T2")
    assert {n.state for n in given_up} == {NotificationState.FAILED}, "nothing is left to send"
    assert [n.kind for n in given_up] == [NotificationKind.ANNOUNCE], "and no final reply"
    assert {(n.job_id, n.state) for n in elsewhere_waiting} == {(elsewhere.id, NotificationState.PENDING)}


@pytest.mark.parametrize("event", ["app_uninstalled", "tokens_revoked"])
def test_uninstalling_an_org_wide_install_forgets_each_workspace_it_served(
    db: Database, wired: Wired, event: str
) -> None:
    for team, org_wide in (("", True), ("T7", False)):  # T7 is of the org but has an install of its own
        installations.save(
            db,
            enterprise_id="E1",
            team_id=team,
            is_enterprise_install=org_wide,
            installer_user_id="U1",
            sealed=f"sealed-install-{team}",
            token_expires_at=None,
        )
    for team, org in (("T5", "E1"), ("T6", "E1"), ("T7", "E1"), ("T8", "E2")):
        workspaces.note_enterprise(db, team_id=team, enterprise_id=org)
    for team in ("T5", "T7", "T8"):  # T6 never connected a key
        wired.service.connect(team_id=team, user_id="U1", api_key=GOOD_KEY)
    served, own, other_org = (running_job(db, f"{n}" * 24, team=team) for n, team in ((5, "T5"), (7, "T7"), (8, "T8")))
    wired.workspaces.instantly("T5")

    wired.service.uninstalled(enterprise_id="E1", team_id=None, event=event)

    assert installations.find(db, enterprise_id="E1", team_id="T5") is None
    assert connections.get(db, team_id="T5") is None
    with pytest.raises(InstantlyNotConnected):
        wired.workspaces.instantly("T5")
    closed = jobs.get(db, job_id=served.id)
    assert closed is not None
    assert (closed.phase, closed.error) == (Phase.DONE, ORG_UNINSTALLED)
    for kept in (own, other_org):
        still = jobs.get(db, job_id=kept.id)
        assert still is not None
        assert still.phase == Phase.RUNNING
    assert connections.get(db, team_id="T7") is not None, "its own install, its own key"
    assert connections.get(db, team_id="T8") is not None, "another org"
    [org_entry] = audit.entries(db, team_id="E1", limit=5)
    assert (org_entry.action, org_entry.outcome) == ("uninstall", f"org-wide install's tokens deleted ({event})")
    [t5_entry] = [e for e in audit.entries(db, team_id="T5", limit=5) if e.action == "uninstall"]
    assert (
        t5_entry.outcome == f"tokens deleted ({event}); its Instantly key deleted; 1 unfinished jobs no longer followed"
    )
    assert [e.action for e in audit.entries(db, team_id="T6", limit=5)] == ["uninstall"], "on record, key or none"
    assert [e.action for e in audit.entries(db, team_id="T7", limit=5) if e.action == "uninstall"] == []


# --- resealing -------------------------------------------------------------------------------------------


def test_reseal_all_moves_every_key_to_the_first_encryption_key(
    db: Database, instantly: tuple[InstantlyStandIn, str]
) -> None:
    old, new = new_key(), new_key()
    before = _wire(db, instantly[1], sealer=Sealer([old]))
    before.service.connect(team_id="T1", user_id="U1", api_key=GOOD_KEY)
    before.service.connect(team_id="T2", user_id="U1", api_key=OTHER_KEY)

    assert _wire(db, instantly[1], sealer=Sealer([new, old])).service.reseal_all() == 2

    after = _wire(db, instantly[1], sealer=Sealer([new]))
    assert after.workspaces.instantly("T1")._http.headers["Authorization"] == f"Bearer {GOOD_KEY}"
    assert after.workspaces.instantly("T2")._http.headers["Authorization"] == f"Bearer {OTHER_KEY}"
    for built in (before, after):
        built.workspaces.close()


def test_resealing_without_an_encryption_key_is_refused(db: Database, instantly: tuple[InstantlyStandIn, str]) -> None:
    with pytest.raises(SecretsUnavailable):
        _wire(db, instantly[1], sealer=None).service.reseal_all()

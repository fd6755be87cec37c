"""Each Slack workspace's own clients (bot.workspaces.Workspaces), on SQLite and PostgreSQL: in single-workspace mode
the environment's clients serve every workspace; otherwise a workspace's Instantly client carries its own sealed key,
its pickers are its own, its budget is shared by Slack workspaces reaching the same Instantly workspace, a reconnect
is seen after a few seconds (an injected clock) or at once after forget(), and its Slack client carries its own
install's token; an org-wide install speaks for a workspace only once Slack authorized it for one, never for a
workspace with an install of its own or known to be in another org."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation

from bot.instantly.budget import SharedBudget
from bot.instantly.client import InstantlyClient
from bot.instantly.errors import InstantlyNotConnected
from bot.secrets import Sealer, SecretsUnavailable, new_key
from bot.settings import Settings
from bot.slack.installations import SealedInstallationStore
from bot.workspaces import CONNECTION_TTL_SECONDS, NotInstalled, Workspaces
from storage import connections, workspaces
from storage.db import Database
from tests.factories import a_settings
from tests.stand_ins import Clock, SlackStandIn, instantly_client, instantly_error

KEY_A = "inst-key-a-61c0"
KEY_B = "inst-key-b-93d2"


@pytest.fixture
def clock() -> Clock:
    return Clock(now=100.0)


@pytest.fixture
def sealer() -> Sealer:
    return Sealer([new_key()])


@pytest.fixture
def settings(db: Database) -> Settings:
    return a_settings(db, instantly_budget_percent=10.0)


@pytest.fixture
def spaces(db: Database, settings: Settings, sealer: Sealer, clock: Clock) -> Iterator[Workspaces]:
    built = Workspaces(settings=settings, db=db, sealer=sealer, clock=clock)
    yield built
    built.close()


def _connect(db: Database, sealer: Sealer, team: str, key: str, *, workspace: str) -> connections.Connection:
    return connections.save(
        db,
        team_id=team,
        sealed_key=sealer.seal(key),
        instantly_workspace_id=workspace,
        instantly_workspace_name=f"Instantly {workspace}",
        connected_by="U1",
    )


def _key_of(client: InstantlyClient) -> str:
    return client._http.headers["Authorization"].removeprefix("Bearer ")


def _unused(_request: httpx.Request) -> httpx.Response:
    return instantly_error(503, "not asked in these tests")


def _installation(team: str, token: str) -> Installation:
    return Installation(app_id="A0LEADMOVER", team_id=team, bot_token=token, bot_user_id="U0BOT", user_id="U1")


# --- single-workspace mode -------------------------------------------------------------------------------


def test_in_single_workspace_mode_the_environment_clients_serve_every_workspace(
    db: Database, settings: Settings
) -> None:
    slack, instantly = SlackStandIn(), instantly_client(_unused)
    spaces = Workspaces(settings=settings, db=db, slack=slack, instantly=instantly)

    assert spaces.slack("A") is slack
    assert spaces.slack("B") is slack
    assert spaces.instantly("A") is instantly
    assert spaces.instantly("B") is instantly
    assert spaces.pickers("A") is spaces.pickers("B")
    assert spaces.is_connected("B")
    spaces.close()


def test_a_workspace_own_connection_wins_over_the_environment_key(
    db: Database, settings: Settings, sealer: Sealer, clock: Clock
) -> None:
    default = instantly_client(_unused)
    _connect(db, sealer, "A", KEY_A, workspace="w-1")
    spaces = Workspaces(settings=settings, db=db, instantly=default, sealer=sealer, clock=clock)

    assert _key_of(spaces.instantly("A")) == KEY_A
    assert spaces.instantly("B") is default
    spaces.close()


# --- Instantly, per workspace ----------------------------------------------------------------------------


def test_a_connected_workspace_client_carries_its_own_key(db: Database, sealer: Sealer, spaces: Workspaces) -> None:
    _connect(db, sealer, "A", KEY_A, workspace="w-1")
    _connect(db, sealer, "B", KEY_B, workspace="w-2")

    assert _key_of(spaces.instantly("A")) == KEY_A
    assert _key_of(spaces.instantly("B")) == KEY_B
    assert spaces.instantly("A") is spaces.instantly("A"), "one client per workspace, kept"


def test_a_workspace_without_a_connection_is_not_connected(db: Database, sealer: Sealer, spaces: Workspaces) -> None:
    _connect(db, sealer, "A", KEY_A, workspace="w-1")

    with pytest.raises(InstantlyNotConnected) as caught:
        spaces.instantly("B")
    assert caught.value.team_id == "B"
    with pytest.raises(InstantlyNotConnected):
        spaces.pickers("B")
    assert not spaces.is_connected("B")
    assert spaces.is_connected("A")


def test_each_workspace_has_its_own_pickers(db: Database, sealer: Sealer, spaces: Workspaces) -> None:
    _connect(db, sealer, "A", KEY_A, workspace="w-1")
    _connect(db, sealer, "B", KEY_B, workspace="w-2")

    assert spaces.pickers("A") is not spaces.pickers("B")
    assert spaces.pickers("A") is spaces.pickers("A")


def test_a_connection_needs_the_encryption_key_to_be_used(db: Database, settings: Settings, sealer: Sealer) -> None:
    _connect(db, sealer, "A", KEY_A, workspace="w-1")
    spaces = Workspaces(settings=settings, db=db)

    with pytest.raises(SecretsUnavailable):
        spaces.instantly("A")


def test_budgets_are_shared_budgets_named_by_the_instantly_workspace(
    db: Database, sealer: Sealer, spaces: Workspaces
) -> None:
    _connect(db, sealer, "A", KEY_A, workspace="w-1")
    _connect(db, sealer, "B", KEY_B, workspace="w-1")  # another Slack workspace, the same Instantly workspace
    _connect(db, sealer, "C", KEY_B, workspace="w-2")

    budgets = {team: spaces.instantly(team).budget for team in "ABC"}

    assert all(isinstance(budget, SharedBudget) for budget in budgets.values())
    keys = {team: budget.key for team, budget in budgets.items() if isinstance(budget, SharedBudget)}
    assert keys == {"A": "workspace:w-1", "B": "workspace:w-1", "C": "workspace:w-2"}


def test_a_reconnect_gets_a_new_client_once_the_connection_is_read_again(
    db: Database, sealer: Sealer, spaces: Workspaces, clock: Clock
) -> None:
    _connect(db, sealer, "A", KEY_A, workspace="w-1")
    first = spaces.instantly("A")
    _connect(db, sealer, "A", KEY_B, workspace="w-2")  # reconnected, by another replica

    clock.now += CONNECTION_TTL_SECONDS - 0.5
    assert spaces.instantly("A") is first, "what was read is trusted for a few seconds"
    clock.now += 1
    second = spaces.instantly("A")

    assert second is not first
    assert _key_of(second) == KEY_B
    assert isinstance(second.budget, SharedBudget)
    assert second.budget.key == "workspace:w-2"
    assert first._http.is_closed, "the old client is let go"


def test_after_forget_a_reconnect_is_seen_at_once(db: Database, sealer: Sealer, spaces: Workspaces) -> None:
    _connect(db, sealer, "A", KEY_A, workspace="w-1")
    first = spaces.instantly("A")
    _connect(db, sealer, "A", KEY_B, workspace="w-1")

    spaces.forget("A")

    assert _key_of(spaces.instantly("A")) == KEY_B
    assert first._http.is_closed


def test_a_disconnect_in_another_replica_is_seen_once_the_connection_is_read_again(
    db: Database, sealer: Sealer, spaces: Workspaces, clock: Clock
) -> None:
    _connect(db, sealer, "A", KEY_A, workspace="w-1")
    spaces.instantly("A")
    connections.delete_for(db, team_id="A")

    assert spaces.connection("A") is not None, "still the connection as last read"
    assert spaces.connection("A", fresh=True) is None, "unless read afresh"
    clock.now += CONNECTION_TTL_SECONDS + 0.1
    with pytest.raises(InstantlyNotConnected):
        spaces.instantly("A")


def test_a_connection_made_in_another_replica_is_seen_once_read_again(
    db: Database, sealer: Sealer, spaces: Workspaces, clock: Clock
) -> None:
    with pytest.raises(InstantlyNotConnected):
        spaces.instantly("A")
    _connect(db, sealer, "A", KEY_A, workspace="w-1")

    clock.now += CONNECTION_TTL_SECONDS + 0.1
    assert _key_of(spaces.instantly("A")) == KEY_A


def test_close_lets_every_client_go(db: Database, settings: Settings, sealer: Sealer, clock: Clock) -> None:
    default = instantly_client(_unused)
    _connect(db, sealer, "A", KEY_A, workspace="w-1")
    spaces = Workspaces(settings=settings, db=db, instantly=default, sealer=sealer, clock=clock)
    own = spaces.instantly("A")

    spaces.close()

    assert own._http.is_closed
    assert default._http.is_closed


class _MeetingSealer(Sealer):
    """Opens a key only once `parties` callers are opening at the same time, so they race for real."""

    def __init__(self, keys: list[str], parties: int) -> None:
        super().__init__(keys)
        self._meet = threading.Barrier(parties, timeout=2)

    def open(self, sealed: str) -> str:
        with contextlib.suppress(threading.BrokenBarrierError):  # the race did not happen this time
            self._meet.wait()
        return super().open(sealed)


def test_two_first_uses_at_once_both_get_a_client_that_is_open(db: Database, settings: Settings, clock: Clock) -> None:
    key = new_key()
    _connect(db, Sealer([key]), "A", KEY_A, workspace="w-1")
    spaces = Workspaces(settings=settings, db=db, sealer=_MeetingSealer([key], parties=2), clock=clock)
    got: list[InstantlyClient] = []

    threads = [threading.Thread(target=lambda: got.append(spaces.instantly("A"))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert len(got) == 2
    assert [client._http.is_closed for client in got] == [False, False], "a caller was handed a closed client"
    spaces.close()


# --- Slack, per workspace --------------------------------------------------------------------------------


@pytest.fixture
def installed(db: Database, sealer: Sealer) -> SealedInstallationStore:
    store = SealedInstallationStore(db=db, sealer=sealer)
    store.save(_installation("A", "xoxb-team-a"))
    return store


def test_a_workspace_slack_client_carries_its_install_token(
    db: Database, settings: Settings, installed: SealedInstallationStore
) -> None:
    spaces = Workspaces(settings=settings, db=db, installations=installed)

    client = spaces.slack("A")

    assert isinstance(client, WebClient)
    assert client.token == "xoxb-team-a"
    assert client.base_url == settings.slack_api_url
    assert spaces.slack("A") is client, "kept while the token is the same"


def test_a_workspace_without_an_install_has_no_slack_client(
    db: Database, settings: Settings, installed: SealedInstallationStore
) -> None:
    with pytest.raises(NotInstalled):
        Workspaces(settings=settings, db=db, installations=installed).slack("B")
    with pytest.raises(NotInstalled):
        Workspaces(settings=settings, db=db).slack("A")


def test_a_reinstall_with_a_new_token_gets_a_new_slack_client(
    db: Database, settings: Settings, installed: SealedInstallationStore
) -> None:
    spaces = Workspaces(settings=settings, db=db, installations=installed)
    first = spaces.slack("A")

    installed.save(_installation("A", "xoxb-team-a-again"))

    assert spaces.slack("A") is not first
    assert spaces.slack("A").token == "xoxb-team-a-again"


def test_an_uninstall_leaves_no_slack_client(
    db: Database, settings: Settings, installed: SealedInstallationStore
) -> None:
    spaces = Workspaces(settings=settings, db=db, installations=installed)
    spaces.slack("A")

    installed.delete_all(enterprise_id=None, team_id="A")

    with pytest.raises(NotInstalled):
        spaces.slack("A")


# --- a workspace's Enterprise Grid org --------------------------------------------------------------------------


def _org_install(store: SealedInstallationStore, org: str, token: str) -> None:
    store.save(
        Installation(
            app_id="A0LEADMOVER",
            enterprise_id=org,
            team_id=None,
            bot_token=token,
            bot_user_id="U0BOT",
            user_id="U1",
            is_enterprise_install=True,
        )
    )


def test_an_org_named_beside_a_workspace_with_its_own_install_never_takes_its_work(
    db: Database, settings: Settings, installed: SealedInstallationStore
) -> None:
    _org_install(installed, "E9", "xoxb-org-e9")
    spaces = Workspaces(settings=settings, db=db, installations=installed)

    assert not spaces.note_org(team_id="A", enterprise_id="E9", org_wide=True), "refused: A has its own install"
    workspaces.note_enterprise(db, team_id="A", enterprise_id="E9")  # even a row someone got wrong

    assert spaces.slack("A").token == "xoxb-team-a", "the writer and the poller still use A's own token"
    found = installed.find_installation(enterprise_id="E9", team_id="A", is_enterprise_install=True)
    assert found is not None
    assert found.bot_token == "xoxb-team-a", "whatever org and is_enterprise_install a payload names"


def test_an_org_wide_install_speaks_for_a_workspace_of_its_org_once_authorized_for_it(
    db: Database, settings: Settings, installed: SealedInstallationStore
) -> None:
    _org_install(installed, "E1", "xoxb-org-e1")
    spaces = Workspaces(settings=settings, db=db, installations=installed)
    with pytest.raises(NotInstalled):
        spaces.slack("G1")

    assert spaces.note_org(team_id="G1", enterprise_id="E1", org_wide=True)

    assert workspaces.enterprise_of(db, team_id="G1") == "E1"
    assert spaces.slack("G1").token == "xoxb-org-e1"


def test_an_org_never_speaks_for_a_workspace_known_to_be_in_another_org(
    db: Database, settings: Settings, installed: SealedInstallationStore
) -> None:
    _org_install(installed, "E1", "xoxb-org-e1")
    _org_install(installed, "E2", "xoxb-org-e2")
    spaces = Workspaces(settings=settings, db=db, installations=installed)
    assert spaces.note_org(team_id="G1", enterprise_id="E1", org_wide=True)

    assert not Workspaces(settings=settings, db=db, installations=installed).note_org(
        team_id="G1", enterprise_id="E2", org_wide=True
    ), "another replica, nothing cached"
    assert not spaces.note_org(team_id="G1", enterprise_id="E2", org_wide=True)

    assert workspaces.enterprise_of(db, team_id="G1") == "E1"
    assert spaces.slack("G1").token == "xoxb-org-e1"


def test_a_workspace_tokens_own_answer_says_its_org_even_over_what_was_known(db: Database, spaces: Workspaces) -> None:
    workspaces.note_enterprise(db, team_id="T1", enterprise_id="E9")

    assert spaces.note_org(team_id="T1", enterprise_id=None)

    assert workspaces.enterprise_of(db, team_id="T1") is None


def test_when_the_database_cannot_say_an_org_is_refused_and_a_tokens_own_workspace_stands(tmp_path: Path) -> None:
    never_migrated = Database(f"sqlite:///{tmp_path / 'no-tables.db'}")
    spaces = Workspaces(settings=a_settings(never_migrated), db=never_migrated)

    assert not spaces.note_org(team_id="G1", enterprise_id="E1", org_wide=True)
    assert spaces.note_org(team_id="T1", enterprise_id="E1")
    never_migrated.dispose()

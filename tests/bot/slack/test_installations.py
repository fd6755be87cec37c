"""Slack installations kept sealed (bot.slack.installations), on SQLite and PostgreSQL: slack_sdk's Installation saved
and found again with no token in plain text in the database, org-wide installs serving the workspaces of their org,
installs found only for their installer, token rotation done once under the install's row lock (against a loopback
stand-in for Slack's oauth.v2.access), OAuth states signed rather than stored (forged, expired, reused, another
replica's), and resealing with a new key."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import text

from bot.secrets import SealBroken, Sealer, new_key
from bot.slack.installations import DatabaseStateStore, SealedInstallationStore, token_rotator
from simulators.loopback import LoopbackServer, Reply, Request
from storage import installations, outbox, outbox_claims, workspaces
from storage.clock import utcnow
from storage.db import Database
from tests.factories import running_job

BOT_TOKEN = "xoxe.xoxb-1-old-5b7c2f0e9a"
REFRESH_TOKEN = "xoxe-1-old-8d4a61c3"
NEW_BOT_TOKEN = "xoxe.xoxb-new"
NEW_REFRESH_TOKEN = "xoxe-1-new"

# BUG (bot/slack/installations.py, `_plain`): an expiry is sealed as a float timestamp, which slack_sdk's Installation
# refuses for bot_token_expires_at ("Unsupported data format for timestamp"), so an install whose token rotates
# cannot be opened again. Remove this mark from the tests below once it is fixed.


def an_installation(
    *,
    team: str | None = "T1",
    enterprise: str | None = None,
    org_wide: bool = False,
    user: str = "U1",
    token: str = BOT_TOKEN,
    refresh_token: str | None = REFRESH_TOKEN,
    expires_in: float | None = None,
) -> Installation:
    """An install as Bolt's OAuth flow hands it to the store; with `expires_in`, its token rotates (expires and has
    a refresh token)."""
    return Installation(
        app_id="A0LEADMOVER",
        enterprise_id=enterprise,
        team_id=team,
        team_name="Acme Sales" if team else None,
        bot_token=token,
        bot_id="B0LEADMOVER",
        bot_user_id="U0BOT",
        bot_scopes="commands,chat:write,users:read",
        bot_refresh_token=refresh_token if expires_in is not None else None,
        bot_token_expires_at=int(time.time() + expires_in) if expires_in is not None else None,
        user_id=user,
        is_enterprise_install=org_wide,
        token_type="bot",
    )


@pytest.fixture
def sealer() -> Sealer:
    return Sealer([new_key()])


@pytest.fixture
def store(db: Database, sealer: Sealer) -> SealedInstallationStore:
    return SealedInstallationStore(db=db, sealer=sealer)


def _raw_rows(db: Database, table: str) -> str:
    """Every column of every row of the table, as text, read past the store."""
    with db.engine.connect() as connection:
        rows = connection.execute(text(f"SELECT * FROM {table}")).all()  # noqa: S608 - a fixed table name
    return repr([tuple(row) for row in rows])


# --- saving and finding ----------------------------------------------------------------------------------


def test_a_saved_install_is_found_again_with_its_token(store: SealedInstallationStore) -> None:
    store.save(an_installation())

    found = store.find_installation(enterprise_id=None, team_id="T1")

    assert found is not None
    assert (found.team_id, found.user_id, found.bot_user_id, found.bot_id) == ("T1", "U1", "U0BOT", "B0LEADMOVER")
    assert found.bot_token == BOT_TOKEN
    assert found.bot_scopes == ["commands", "chat:write", "users:read"]


def test_an_install_whose_token_rotates_is_found_again_with_its_refresh_token_and_expiry(
    store: SealedInstallationStore,
) -> None:
    saved = an_installation(expires_in=12 * 3600)
    store.save(saved)

    found = store.find_installation(enterprise_id=None, team_id="T1")

    assert found is not None
    assert (found.bot_token, found.bot_refresh_token) == (BOT_TOKEN, REFRESH_TOKEN)
    assert found.bot_token_expires_at == saved.bot_token_expires_at


def test_find_bot_gives_the_install_bot(store: SealedInstallationStore) -> None:
    store.save(an_installation())

    bot = store.find_bot(enterprise_id=None, team_id="T1")

    assert bot is not None
    assert (bot.bot_token, bot.bot_user_id, bot.bot_id) == (BOT_TOKEN, "U0BOT", "B0LEADMOVER")
    assert store.bot_token(team_id="T1") == BOT_TOKEN


def test_a_workspace_without_an_install_has_no_bot(store: SealedInstallationStore) -> None:
    store.save(an_installation(team="T1"))

    assert store.find_installation(enterprise_id=None, team_id="T2") is None
    assert store.find_bot(enterprise_id=None, team_id="T2") is None
    assert store.bot_token(team_id="T2") is None


def test_the_database_never_holds_a_token_in_plain_text(db: Database, store: SealedInstallationStore) -> None:
    store.save(an_installation(expires_in=12 * 3600))

    raw = _raw_rows(db, "installations")

    assert "T1" in raw, "the rows were read"
    for secret in (BOT_TOKEN, REFRESH_TOKEN, "5b7c2f0e9a", "8d4a61c3"):
        assert secret not in raw


def test_an_install_saved_with_another_key_cannot_be_opened(db: Database, store: SealedInstallationStore) -> None:
    store.save(an_installation())
    other = SealedInstallationStore(db=db, sealer=Sealer([new_key()]))

    with pytest.raises(SealBroken):
        other.find_installation(enterprise_id=None, team_id="T1")


def test_a_reinstall_replaces_the_install(store: SealedInstallationStore) -> None:
    store.save(an_installation(token=BOT_TOKEN, user="U1"))
    store.save(an_installation(token="xoxe.xoxb-reinstalled", user="U2"))

    found = store.find_installation(enterprise_id=None, team_id="T1")
    assert found is not None
    assert (found.bot_token, found.user_id) == ("xoxe.xoxb-reinstalled", "U2")


def test_an_install_is_found_for_its_installer_but_not_for_someone_else(store: SealedInstallationStore) -> None:
    store.save(an_installation(user="U1"))

    assert store.find_installation(enterprise_id=None, team_id="T1", user_id="U1") is not None
    assert store.find_installation(enterprise_id=None, team_id="T1", user_id="U2") is None


def test_save_bot_replaces_the_token_of_an_install(store: SealedInstallationStore) -> None:
    store.save(an_installation())
    bot = an_installation(token="xoxe.xoxb-from-bolt", user="U9").to_bot()

    store.save_bot(bot)

    found = store.find_installation(enterprise_id=None, team_id="T1")
    assert found is not None
    assert (found.bot_token, found.user_id) == ("xoxe.xoxb-from-bolt", "U1"), "the installer stays"


def test_save_bot_without_an_install_keeps_nothing(store: SealedInstallationStore) -> None:
    store.save_bot(an_installation().to_bot())
    assert store.find_installation(enterprise_id=None, team_id="T1") is None


def test_delete_all_forgets_the_install(store: SealedInstallationStore) -> None:
    store.save(an_installation(team="T1"))
    store.save(an_installation(team="T2", token="xoxe.xoxb-t2"))

    store.delete_all(enterprise_id=None, team_id="T1")

    assert store.find_installation(enterprise_id=None, team_id="T1") is None
    assert store.bot_token(team_id="T2") == "xoxe.xoxb-t2"


def test_deleting_a_user_installation_keeps_the_bot(store: SealedInstallationStore) -> None:
    """leadmover keeps no user tokens, so a user's revocation leaves the workspace's bot in place."""
    store.save(an_installation())

    store.delete_installation(enterprise_id=None, team_id="T1", user_id="U1")
    assert store.bot_token(team_id="T1") == BOT_TOKEN

    store.delete_installation(enterprise_id=None, team_id="T1")
    assert store.bot_token(team_id="T1") is None


def test_a_reinstall_lifts_a_pause_for_a_lost_token(db: Database, store: SealedInstallationStore) -> None:
    running_job(db, "a" * 24, team="T1")
    [announce] = outbox_claims.claim_due(db, owner="w1", lease_seconds=30)
    workspaces.mark_revoked(db, team_id="T1", reason="token_revoked")
    outbox.defer(db, notification_id=announce.id, delay=3600)  # held back while the token was gone
    outbox.release_leases(db, owner="w1")
    assert outbox_claims.claim_due(db, owner="w1", lease_seconds=30) == []

    store.save(an_installation(team="T1"))

    assert workspaces.revoked_teams(db) == set()
    assert len(outbox_claims.claim_due(db, owner="w1", lease_seconds=30)) == 1, "the held-back write is due again"


# --- Enterprise Grid -------------------------------------------------------------------------------------


def test_an_org_wide_install_serves_every_workspace_of_its_org(db: Database, store: SealedInstallationStore) -> None:
    store.save(an_installation(team=None, enterprise="E1", org_wide=True, token="xoxe.xoxb-org"))
    workspaces.note_enterprise(db, team_id="T5", enterprise_id="E1")
    workspaces.note_enterprise(db, team_id="T6", enterprise_id="E1")

    assert store.bot_token(team_id="T5") == "xoxe.xoxb-org"
    assert store.bot_token(team_id="T6") == "xoxe.xoxb-org"
    found = store.find_installation(enterprise_id="E1", team_id="T5")
    assert found is not None
    assert found.is_enterprise_install
    org = store.find_installation(enterprise_id="E1", team_id=None, is_enterprise_install=True)
    assert org is not None
    assert org.bot_token == "xoxe.xoxb-org"


def test_an_org_wide_install_serves_no_workspace_outside_its_org(db: Database, store: SealedInstallationStore) -> None:
    store.save(an_installation(team=None, enterprise="E1", org_wide=True, token="xoxe.xoxb-org"))
    workspaces.note_enterprise(db, team_id="T7", enterprise_id="E2")

    assert store.bot_token(team_id="T7") is None, "another org"
    assert store.bot_token(team_id="T8") is None, "a workspace whose org is not known"


def test_a_workspace_install_inside_an_org_is_found_by_its_team(db: Database, store: SealedInstallationStore) -> None:
    store.save(an_installation(team="T5", enterprise="E1", token="xoxe.xoxb-t5"))

    assert workspaces.enterprise_of(db, team_id="T5") == "E1", "saving notes the workspace's org"
    assert store.bot_token(team_id="T5") == "xoxe.xoxb-t5"
    assert store.find_installation(enterprise_id="E1", team_id="T6") is None


def test_deleting_an_org_wide_install_removes_it_for_every_workspace(
    db: Database, store: SealedInstallationStore
) -> None:
    store.save(an_installation(team=None, enterprise="E1", org_wide=True))
    workspaces.note_enterprise(db, team_id="T5", enterprise_id="E1")

    store.delete_all(enterprise_id="E1", team_id=None)

    assert store.bot_token(team_id="T5") is None


# --- token rotation --------------------------------------------------------------------------------------


@dataclass
class SlackOAuth:
    """Slack's oauth.v2.access on loopback: answers a refresh with new tokens, after `delay` seconds."""

    answer: dict[str, Any] = field(
        default_factory=lambda: {
            "ok": True,
            "token_type": "bot",
            "access_token": NEW_BOT_TOKEN,
            "refresh_token": NEW_REFRESH_TOKEN,
            "expires_in": 43200,
        }
    )
    delay: float = 0.0
    calls: list[dict[str, list[str]]] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)

    def respond(self, request: Request) -> Reply:
        if not request.target.endswith("/oauth.v2.access"):
            return Reply(404, b'{"ok": false, "error": "unknown_method"}', {"Content-Type": "application/json"})
        self.calls.append(parse_qs(request.body.decode()))
        self.authorizations.append(request.headers.get("authorization", ""))
        return Reply(200, json.dumps(self.answer).encode(), {"Content-Type": "application/json"}, delay=self.delay)


@pytest.fixture
def slack_oauth() -> Iterator[tuple[SlackOAuth, str]]:
    oauth = SlackOAuth()
    with LoopbackServer(oauth.respond, name="slack-oauth-stand-in") as server:
        yield oauth, server.base_url + "/api/"


@pytest.fixture
def rotating(db: Database, sealer: Sealer, slack_oauth: tuple[SlackOAuth, str]) -> SealedInstallationStore:
    _oauth, api_url = slack_oauth
    rotator = token_rotator(client_id="111.222", client_secret="client-secret-3c1d", api_url=api_url)
    return SealedInstallationStore(db=db, sealer=sealer, rotator=rotator, refresh_before=timedelta(minutes=120))


def test_a_token_close_to_expiry_is_refreshed_once_and_kept(
    db: Database, rotating: SealedInstallationStore, slack_oauth: tuple[SlackOAuth, str]
) -> None:
    oauth, _ = slack_oauth
    rotating.save(an_installation(expires_in=30 * 60))  # inside the two hours before expiry

    found = rotating.find_installation(enterprise_id=None, team_id="T1")

    assert found is not None
    assert (found.bot_token, found.bot_refresh_token) == (NEW_BOT_TOKEN, NEW_REFRESH_TOKEN)
    [call] = oauth.calls
    assert call["grant_type"] == ["refresh_token"]
    assert call["refresh_token"] == [REFRESH_TOKEN]
    assert oauth.authorizations == ["Basic " + base64.b64encode(b"111.222:client-secret-3c1d").decode()]
    # Kept: the next look-up finds the new token without asking Slack again.
    assert rotating.bot_token(team_id="T1") == NEW_BOT_TOKEN
    assert len(oauth.calls) == 1
    row = installations.find(db, enterprise_id="", team_id="T1")
    assert row is not None
    assert row.token_expires_at is not None
    assert timedelta(hours=11) < row.token_expires_at - utcnow() <= timedelta(hours=12)
    assert NEW_BOT_TOKEN not in _raw_rows(db, "installations")


def test_a_token_far_from_expiry_is_not_refreshed(
    rotating: SealedInstallationStore, slack_oauth: tuple[SlackOAuth, str]
) -> None:
    oauth, _ = slack_oauth
    rotating.save(an_installation(expires_in=5 * 3600))

    assert rotating.bot_token(team_id="T1") == BOT_TOKEN
    assert oauth.calls == []


def test_a_token_that_never_expires_is_never_refreshed(
    rotating: SealedInstallationStore, slack_oauth: tuple[SlackOAuth, str]
) -> None:
    oauth, _ = slack_oauth
    rotating.save(an_installation(expires_in=None))

    assert rotating.bot_token(team_id="T1") == BOT_TOKEN
    assert oauth.calls == []


def test_an_org_wide_token_close_to_expiry_is_refreshed_for_a_workspace_of_the_org(
    db: Database, rotating: SealedInstallationStore, slack_oauth: tuple[SlackOAuth, str]
) -> None:
    oauth, _ = slack_oauth
    rotating.save(an_installation(team=None, enterprise="E1", org_wide=True, expires_in=30 * 60))
    workspaces.note_enterprise(db, team_id="T5", enterprise_id="E1")

    assert rotating.bot_token(team_id="T5") == NEW_BOT_TOKEN
    assert rotating.bot_token(team_id="T5") == NEW_BOT_TOKEN
    assert len(oauth.calls) == 1


def test_two_look_ups_of_an_expiring_token_at_once_refresh_it_only_once(
    rotating: SealedInstallationStore, slack_oauth: tuple[SlackOAuth, str]
) -> None:
    oauth, _ = slack_oauth
    oauth.delay = 0.3  # Slack takes a while, so the second look-up arrives during the refresh
    rotating.save(an_installation(expires_in=30 * 60))
    start = threading.Barrier(2)
    tokens: list[str | None] = []
    errors: list[BaseException] = []

    def look_up() -> None:
        start.wait()
        try:
            tokens.append(rotating.bot_token(team_id="T1"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=look_up) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    if errors:
        raise errors[0]
    assert tokens == [NEW_BOT_TOKEN, NEW_BOT_TOKEN]
    assert len(oauth.calls) == 1


def test_a_refused_refresh_keeps_the_token_that_still_works(
    rotating: SealedInstallationStore, slack_oauth: tuple[SlackOAuth, str]
) -> None:
    oauth, _ = slack_oauth
    oauth.answer = {"ok": False, "error": "invalid_refresh_token"}
    rotating.save(an_installation(expires_in=30 * 60))

    assert rotating.bot_token(team_id="T1") == BOT_TOKEN, "still valid for half an hour"
    assert len(oauth.calls) == 1


# --- OAuth states ----------------------------------------------------------------------------------------


SECRET = "client-secret-shared-by-every-replica"


def _state_rows(db: Database) -> int:
    with db.reading() as session:
        return int(session.execute(text("SELECT count(*) FROM oauth_states")).scalar_one())


def test_issuing_states_writes_nothing(db: Database) -> None:
    store = DatabaseStateStore(db=db, secret=SECRET)
    for _ in range(20):
        store.issue()

    assert _state_rows(db) == 0


def test_a_state_issued_by_one_replica_is_consumed_once_by_another(db: Database) -> None:
    state = DatabaseStateStore(db=db, secret=SECRET).issue()

    assert DatabaseStateStore(db=db, secret=SECRET).consume(state)
    assert not DatabaseStateStore(db=db, secret=SECRET).consume(state), "a state works only once"
    assert _state_rows(db) == 1, "only a state that came back is written down"


def test_states_are_unguessable_and_unrelated(db: Database) -> None:
    store = DatabaseStateStore(db=db, secret=SECRET)
    states = {store.issue() for _ in range(5)}

    assert len(states) == 5
    assert len({state.split(".")[0] for state in states}) == 5, "each has a nonce of its own"


def test_a_state_signed_with_another_secret_is_refused(db: Database) -> None:
    state = DatabaseStateStore(db=db, secret="another-apps-secret").issue()

    assert not DatabaseStateStore(db=db, secret=SECRET).consume(state)
    assert _state_rows(db) == 0


def test_a_state_whose_expiry_or_nonce_was_changed_is_refused(db: Database) -> None:
    store = DatabaseStateStore(db=db, secret=SECRET)
    nonce, expiry, mac = store.issue().split(".")
    other_nonce = store.issue().split(".")[0]

    assert not store.consume(f"{nonce}.{int(expiry) - 60}.{mac}")
    assert not store.consume(f"{other_nonce}.{expiry}.{mac}")
    assert store.consume(f"{nonce}.{expiry}.{mac}"), "the state as issued still works"


def test_an_empty_made_up_or_oversized_state_is_refused(db: Database) -> None:
    store = DatabaseStateStore(db=db, secret=SECRET)
    nonce, expiry, mac = store.issue().split(".")

    for forged in (
        "",
        "not-issued",
        "x" * 129,
        f"{nonce}.{expiry}",
        f"{nonce}.{expiry}.{mac}.x",
        f"{nonce}.{expiry}.é",
    ):
        assert not store.consume(forged), forged
    assert _state_rows(db) == 0


def test_an_expired_state_is_refused(db: Database) -> None:
    state = DatabaseStateStore(db=db, secret=SECRET, expiration_seconds=-1).issue()  # expired as soon as issued

    assert not DatabaseStateStore(db=db, secret=SECRET).consume(state)


def test_a_state_signed_to_live_longer_than_ten_minutes_is_refused(db: Database) -> None:
    state = DatabaseStateStore(db=db, secret=SECRET, expiration_seconds=3600).issue()

    assert not DatabaseStateStore(db=db, secret=SECRET).consume(state)


def test_a_store_without_a_secret_cannot_be_made(db: Database) -> None:
    with pytest.raises(ValueError, match="secret"):
        DatabaseStateStore(db=db, secret="")


# --- resealing -------------------------------------------------------------------------------------------


def test_reseal_all_moves_every_install_to_the_first_key(db: Database) -> None:
    old, new = new_key(), new_key()
    before = SealedInstallationStore(db=db, sealer=Sealer([old]))
    before.save(an_installation(team="T1", token="xoxe.xoxb-t1"))
    before.save(an_installation(team="T2", token="xoxe.xoxb-t2"))

    assert SealedInstallationStore(db=db, sealer=Sealer([new, old])).reseal_all() == 2

    after = SealedInstallationStore(db=db, sealer=Sealer([new]))  # the old key is dropped
    assert after.bot_token(team_id="T1") == "xoxe.xoxb-t1"
    assert after.bot_token(team_id="T2") == "xoxe.xoxb-t2"
    with pytest.raises(SealBroken):
        before.find_installation(enterprise_id=None, team_id="T1")

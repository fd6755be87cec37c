"""Installing into many workspaces through the fake's OAuth v2 pages, driven through a real Bolt app and slack_sdk."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from simulators.slack import FakeSlack
from tests.simulators.slack.oauth_app import SCOPES, OAuthBoltApp


@pytest.fixture
def teams() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_team("T0ACME", name="Acme", domain="acme")
        fake.add_team("T0BETA", name="Beta", domain="beta")
        yield fake


@pytest.fixture
def app(teams: FakeSlack, tmp_path: Path) -> Iterator[OAuthBoltApp]:
    bolt = OAuthBoltApp(teams, tmp_path)
    yield bolt
    bolt.close()


def _access(fake: FakeSlack, *, client_id: str, client_secret: str, **args: str) -> dict[str, Any]:
    answer = WebClient(base_url=fake.api_url).oauth_v2_access(client_id=client_id, client_secret=client_secret, **args)
    return dict(answer.data) if isinstance(answer.data, dict) else {}


def test_install_into_two_workspaces_through_bolt(teams: FakeSlack, app: OAuthBoltApp) -> None:
    acme = teams.install(app.base_url, team_id="T0ACME", user_id="U0ADA")
    beta = teams.install(app.base_url, team_id="T0BETA", user_id="U0BEN")

    assert (acme.status, beta.status) == (200, 200)
    assert (acme.team_id, beta.team_id) == ("T0ACME", "T0BETA")
    assert acme.bot_token
    assert beta.bot_token
    assert acme.bot_token != beta.bot_token
    assert acme.bot_token.startswith("xoxb-")
    assert acme.authorize is not None
    assert acme.authorize.scopes == tuple(SCOPES)
    assert acme.authorize.state  # Bolt's state, checked against its cookie on the way back
    assert teams.installed_tokens("T0ACME") == [acme.bot_token]
    stored = app.installations.find_installation(enterprise_id=None, team_id="T0BETA")
    assert stored is not None
    assert (stored.bot_token, stored.bot_user_id, stored.user_id) == (beta.bot_token, "U0BOT0BETA", "U0BEN")
    assert stored.bot_id == "B0BOT0BETA"  # Bolt asked auth.test with the new token
    assert [e.team_id for e in teams.oauth_exchanges if e.ok] == ["T0ACME", "T0BETA"]
    assert teams.violations == []


def test_install_when_the_app_redirects_instead_of_rendering_a_page(teams: FakeSlack, tmp_path: Path) -> None:
    bolt = OAuthBoltApp(teams, tmp_path, install_page=False)
    try:
        result = teams.install(bolt.base_url, team_id="T0ACME", user_id="U0ADA")
    finally:
        bolt.close()
    assert result.installed
    assert result.status == 200
    assert teams.violations == []


def test_a_person_who_cancels_installs_nothing(teams: FakeSlack, app: OAuthBoltApp) -> None:
    result = teams.install(app.base_url, team_id="T0ACME", user_id="U0ADA", deny=True)

    assert not result.installed
    assert result.authorize is not None
    assert "error=access_denied" in result.authorize.redirected_to
    assert teams.oauth_exchanges == []
    assert teams.installed_tokens("T0ACME") == []


def test_the_issued_token_acts_in_its_own_workspace(teams: FakeSlack, app: OAuthBoltApp) -> None:
    token = teams.install(app.base_url, team_id="T0ACME", user_id="U0ADA").bot_token
    client = WebClient(token=token, base_url=teams.api_url)
    teams.add_channel("C0ACME", "general", team_id="T0ACME")

    auth = client.auth_test()
    posted = client.chat_postMessage(channel="C0ACME", text="hello acme")

    assert (auth["team_id"], auth["user_id"], auth["bot_id"]) == ("T0ACME", "U0BOT0ACME", "B0BOT0ACME")
    assert (auth["team"], auth["url"], auth["is_enterprise_install"]) == ("Acme", "https://acme.slack.com/", False)
    assert posted["message"]["user"] == "U0BOT0ACME"
    assert [m.text for m in teams.messages("C0ACME")] == ["hello acme"]
    assert [c.team_id for c in teams.calls_to("chat.postMessage")] == ["T0ACME"]


def test_client_credentials_by_basic_auth_or_form_fields(teams: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as err:
        _access(teams, client_id="9.9", client_secret=teams.client_secret, code="x")
    assert err.value.response["error"] == "invalid_client_id"
    with pytest.raises(SlackApiError) as err:
        _access(teams, client_id=teams.client_id, client_secret="wrong", code="x")
    assert err.value.response["error"] == "bad_client_secret"
    form = {"client_id": teams.client_id, "client_secret": teams.client_secret, "code": "nope"}
    answer = httpx.post(f"{teams.api_url}oauth.v2.access", data=form, timeout=5).json()
    assert answer == {"ok": False, "error": "invalid_code"}  # credentials accepted from the form
    basic = base64.b64encode(f"{teams.client_id}:{teams.client_secret}".encode()).decode()
    answer = httpx.post(
        f"{teams.api_url}oauth.v2.access", data={"code": "nope"}, headers={"Authorization": f"Basic {basic}"}, timeout=5
    ).json()
    assert answer["error"] == "invalid_code"
    assert all("client_secret" not in call.args for call in teams.calls_to("oauth.v2.access"))


def test_a_code_is_exchanged_once_and_with_the_same_redirect_uri(teams: FakeSlack, tmp_path: Path) -> None:
    bolt = OAuthBoltApp(teams, tmp_path, install_page=False)
    try:
        # Bolt sends no redirect_uri when it has none, so the code is exchanged; replaying the code fails.
        result = teams.install(bolt.base_url, team_id="T0ACME", user_id="U0ADA")
    finally:
        bolt.close()
    assert result.authorize is not None
    code = result.exchanges[0].code
    creds = {"client_id": teams.client_id, "client_secret": teams.client_secret}
    with pytest.raises(SlackApiError) as err:
        _access(teams, **creds, code=code)
    assert err.value.response["error"] == "invalid_code"

    redirect = f"{bolt.base_url}/slack/oauth_redirect"
    link = f"{teams.authorize_url}?client_id={teams.client_id}&scope=commands&state=s1&redirect_uri={redirect}"
    approval = httpx.get(link, headers=teams.sign_in(team_id="T0ACME", user_id="U0ADA"), timeout=5)
    assert approval.status_code == 302
    code = httpx.URL(approval.headers["location"]).params["code"]
    with pytest.raises(SlackApiError) as err:
        _access(teams, **creds, code=code, redirect_uri="http://elsewhere/cb")
    assert err.value.response["error"] == "bad_redirect_uri"
    assert teams.violations == [
        f"oauth.v2.access: redirect_uri 'http://elsewhere/cb' is not the one given to authorize ({redirect!r})"
    ]


def test_the_authorize_page_wants_the_apps_client_id_and_a_state(teams: FakeSlack) -> None:
    cookie = teams.sign_in(team_id="T0ACME", user_id="U0ADA", redirect_uri="http://127.0.0.1:9/cb")
    wrong = httpx.get(f"{teams.authorize_url}?client_id=1.1&scope=commands&state=s", headers=cookie, timeout=5)
    stateless = httpx.get(
        f"{teams.authorize_url}?client_id={teams.client_id}&scope=commands", headers=cookie, timeout=5
    )
    signed_out = httpx.get(f"{teams.authorize_url}?client_id={teams.client_id}&state=s", timeout=5)

    assert wrong.status_code == 400
    assert stateless.status_code == 302
    assert "code=" in stateless.headers["location"]
    assert signed_out.status_code == 200
    assert "not signed in" in signed_out.text
    assert teams.violations == [
        "oauth authorize: client_id '1.1' is not the app's (1111.2222)",
        "oauth authorize: no state; the app cannot tell this install from a forged redirect (CSRF)",
    ]


def test_an_install_page_without_slacks_link_is_an_app_bug(teams: FakeSlack) -> None:
    result = teams.install(teams.base_url, team_id="T0ACME", user_id="U0ADA", install_path="/nowhere")
    assert not result.installed
    assert result.status == 404
    assert teams.violations == [f"install page {teams.base_url}/nowhere: answered HTTP 404"]


def test_token_rotation_refreshes_once_per_refresh_token(tmp_path: Path) -> None:
    with FakeSlack(token_rotation=True, token_lifetime_seconds=600) as fake:
        fake.add_team("T0ACME", name="Acme", domain="acme")
        bolt = OAuthBoltApp(fake, tmp_path)
        try:
            result = fake.install(bolt.base_url, team_id="T0ACME", user_id="U0ADA")
        finally:
            bolt.close()
        assert result.bot_token is not None
        assert result.bot_token.startswith("xoxe.xoxb-1-")
        assert result.refresh_token is not None
        assert result.refresh_token.startswith("xoxe-1-")
        creds = {"client_id": fake.client_id, "client_secret": fake.client_secret}

        fresh = _access(fake, **creds, grant_type="refresh_token", refresh_token=result.refresh_token)
        assert (fresh["token_type"], fresh["team"], fresh["bot_user_id"]) == (
            "bot",
            {"id": "T0ACME", "name": "Acme"},
            "U0BOT0ACME",
        )
        assert 595 <= int(str(fresh["expires_in"])) <= 600
        assert fresh["access_token"] != result.bot_token
        assert fresh["refresh_token"] != result.refresh_token
        with pytest.raises(SlackApiError) as err:
            _access(fake, **creds, grant_type="refresh_token", refresh_token=result.refresh_token)
        assert err.value.response["error"] == "invalid_refresh_token"

        old, new = (WebClient(token=str(t), base_url=fake.api_url) for t in (result.bot_token, fresh["access_token"]))
        assert old.auth_test()["team_id"] == "T0ACME"  # a rotated-out access token lives until it expires
        assert 0 < new.auth_test()["expires_in"] <= 600
        fake.advance_clock(601)
        for client in (old, new):
            with pytest.raises(SlackApiError) as err:
                client.auth_test()
            assert err.value.response["error"] == "token_expired"
        again = _access(fake, **creds, grant_type="refresh_token", refresh_token=str(fresh["refresh_token"]))
        assert WebClient(token=str(again["access_token"]), base_url=fake.api_url).auth_test()["ok"]
        assert fake.expire_tokens("T0ACME") == 3
        assert fake.installed_tokens("T0ACME") == []


def test_an_org_wide_install_serves_every_workspace_of_the_organization(tmp_path: Path) -> None:
    with FakeSlack() as fake:
        for team, name in (("T0GRIDA", "Grid A"), ("T0GRIDB", "Grid B")):
            fake.add_team(
                team, name=name, domain=name.lower().replace(" ", "-"), enterprise_id="E0ORG", enterprise_name="Org"
            )
        fake.add_channel("C0GRIDB", "b-general", team_id="T0GRIDB")
        bolt = OAuthBoltApp(fake, tmp_path)
        try:
            result = fake.install(bolt.base_url, team_id="T0GRIDA", user_id="W0ADMIN", enterprise_install=True)
        finally:
            bolt.close()
        assert result.installed
        assert (result.team_id, result.enterprise_id) == (None, "E0ORG")
        client = WebClient(token=result.bot_token, base_url=fake.api_url)

        auth = client.auth_test()
        client.chat_postMessage(channel="C0GRIDB", text="org-wide")

        assert (auth["team_id"], auth["enterprise_id"], auth["is_enterprise_install"]) == ("E0ORG", "E0ORG", True)
        assert [m.text for m in fake.messages("C0GRIDB")] == ["org-wide"]
        assert fake.installed_tokens("E0ORG") == [result.bot_token]
        assert [c.team_id for c in fake.calls_to("chat.postMessage")] == ["E0ORG"]
        assert fake.violations == []

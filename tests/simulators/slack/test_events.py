"""Events API deliveries from the fake Slack to a real Bolt app: the envelope, uninstalls and revoked tokens."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from simulators.slack import FakeSlack, sign
from tests.simulators.slack.oauth_app import OAuthBoltApp


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[tuple[FakeSlack, OAuthBoltApp, str]]:
    with FakeSlack() as fake:
        fake.add_team("T0ACME", name="Acme", domain="acme")
        bolt = OAuthBoltApp(fake, tmp_path)
        token = fake.install(bolt.base_url, team_id="T0ACME", user_id="U0ADA").bot_token
        assert token is not None
        yield fake, bolt, token
        bolt.close()


def test_an_event_arrives_in_slacks_envelope(installed: tuple[FakeSlack, OAuthBoltApp, str]) -> None:
    fake, bolt, _ = installed
    mention = {"type": "app_mention", "user": "U0ADA", "text": "<@U0BOT0ACME> hi", "channel": "C0ACME", "ts": "1.2"}

    answer = fake.send_event(bolt.url, team_id="T0ACME", event=mention, event_id="Ev0TEST")

    assert answer.status == 200
    assert fake.wait_for(lambda: len(bolt.events) == 1, timeout=5)
    [body] = bolt.events
    assert list(body) == [
        "token",
        "team_id",
        "context_team_id",
        "context_enterprise_id",
        "api_app_id",
        "event",
        "type",
        "event_id",
        "event_time",
        "authorizations",
        "is_ext_shared_channel",
        "event_context",
    ]
    assert (body["team_id"], body["api_app_id"], body["type"], body["event_id"]) == (
        "T0ACME",
        fake.app_id,
        "event_callback",
        "Ev0TEST",
    )
    assert body["event"]["text"] == mention["text"]
    assert body["event"]["event_ts"]
    assert body["authorizations"] == [
        {
            "enterprise_id": None,
            "team_id": "T0ACME",
            "user_id": "U0BOT0ACME",
            "is_bot": True,
            "is_enterprise_install": False,
        }
    ]
    assert fake.violations == []


def test_uninstall_revokes_the_tokens_and_tells_the_app(installed: tuple[FakeSlack, OAuthBoltApp, str]) -> None:
    fake, bolt, token = installed

    answer = fake.uninstall(bolt.url, team_id="T0ACME")

    assert answer.status == 200
    # Bolt acks an event before its listener runs: wait for the listener to have kept both.
    assert fake.wait_for(lambda: len(bolt.events) == 2, timeout=5)
    assert [e["event"]["type"] for e in bolt.events] == ["tokens_revoked", "app_uninstalled"]
    assert bolt.events[0]["event"]["tokens"] == {"oauth": [], "bot": ["U0BOT0ACME"]}
    assert set(bolt.events[1]["event"]) == {"type", "event_ts"}
    with pytest.raises(SlackApiError) as err:
        WebClient(token=token, base_url=fake.api_url).auth_test()
    assert err.value.response["error"] == "token_revoked"
    assert fake.installed_tokens("T0ACME") == []
    assert WebClient(token=fake.bot_token, base_url=fake.api_url).auth_test()["ok"]  # other workspaces unharmed


def test_revoke_tokens_sends_tokens_revoked_only(installed: tuple[FakeSlack, OAuthBoltApp, str]) -> None:
    fake, bolt, token = installed
    fake.revoke_tokens(bolt.url, team_id="T0ACME")
    assert fake.wait_for(lambda: len(bolt.events) == 1, timeout=5)
    assert [e["event"]["type"] for e in bolt.events] == ["tokens_revoked"]
    with pytest.raises(SlackApiError):
        WebClient(token=token, base_url=fake.api_url).auth_test()


def test_an_org_wide_event_names_the_organization(tmp_path: Path) -> None:
    with FakeSlack() as fake:
        fake.add_team("T0GRID", name="Grid", domain="grid", enterprise_id="E0ORG", enterprise_name="Org")
        fake.install_token(team_id="T0GRID", enterprise_install=True)
        envelope = fake.event_envelope(team_id="T0GRID", event={"type": "app_home_opened", "user": "W0ADA"})
        assert (envelope["team_id"], envelope["enterprise_id"], envelope["context_enterprise_id"]) == (
            "T0GRID",
            "E0ORG",
            "E0ORG",
        )
        assert envelope["authorizations"][0] == {
            "enterprise_id": "E0ORG",
            "team_id": None,
            "user_id": "U0BOT0GRID",
            "is_bot": True,
            "is_enterprise_install": True,
        }
        org = fake.event_envelope(team_id="E0ORG", event={"type": "app_uninstalled"})
        assert (org["team_id"], org["context_team_id"]) == ("E0ORG", None)


class _Slow(BaseHTTPRequestHandler):
    """An app that checks the signature, then answers after `delay` seconds with `status`."""

    delay = 0.0
    status = 200
    bodies: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["Content-Length"])).decode()
        expected = sign(
            signing_secret="test-signing-secret", timestamp=self.headers["X-Slack-Request-Timestamp"], body=raw
        )
        assert self.headers["X-Slack-Signature"] == expected
        assert self.headers["Content-Type"] == "application/json"
        type(self).bodies.append({"body": json.loads(raw), "retry": self.headers.get("X-Slack-Retry-Num")})
        time.sleep(self.delay)
        self.send_response(self.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_a_slow_or_failing_app_is_reported_and_redelivered(fake: FakeSlack) -> None:
    _Slow.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/slack/events"
    try:
        _Slow.status = 500
        fake.send_event(url, team_id=fake.team_id, event={"type": "app_mention", "text": "hi"})
        _Slow.status = 200
        fake.redeliver_last(url, team_id=fake.team_id)
        _Slow.delay = 3.1
        fake.send_event(url, team_id=fake.team_id, event={"type": "app_mention", "text": "slow"})
    finally:
        server.shutdown()
        server.server_close()
    first, again, _ = _Slow.bodies
    assert again["body"] == first["body"]  # the same event_id, as Slack retries
    assert (first["retry"], again["retry"]) == (None, "1")
    assert len(fake.violations) == 2
    assert "app answered HTTP 500" in fake.violations[0]
    assert "(Slack gives up after 3 s)" in fake.violations[1]

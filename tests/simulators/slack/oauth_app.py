"""A tiny Bolt app installed through OAuth (many workspaces), served over HTTP in a thread, for the fake's tests."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore
from slack_sdk.oauth.state_store.sqlite3 import SQLite3OAuthStateStore

from simulators.slack import FakeSlack
from tests.simulators.slack.samples import MODAL

SCOPES = ["commands", "chat:write", "users:read"]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


class OAuthBoltApp:
    """Installs per workspace through the fake's OAuth pages; answers /leads by opening a modal; keeps events."""

    def __init__(
        self,
        fake: FakeSlack,
        tmp_path: Path,
        *,
        install_page: bool = True,
        redirect_uri_path: str = "/slack/oauth_redirect",
        redirect_uri: str | None = None,
    ) -> None:
        self.events: list[dict[str, Any]] = []
        self.commands: list[dict[str, Any]] = []
        database = str(tmp_path / "installs.db")
        self.installations = SQLite3InstallationStore(database=database, client_id=fake.client_id)
        settings = OAuthSettings(
            client_id=fake.client_id,
            client_secret=fake.client_secret,
            scopes=SCOPES,
            installation_store=self.installations,
            state_store=SQLite3OAuthStateStore(database=database, expiration_seconds=600),
            authorization_url=fake.authorize_url,
            install_page_rendering_enabled=install_page,
            redirect_uri=redirect_uri,
            redirect_uri_path=redirect_uri_path,
        )
        # Passing the store to App as well makes Bolt build its authorize (and token rotator) on this client,
        # which points at the fake; from OAuthSettings alone it would rotate tokens against slack.com.
        self.app = App(
            client=WebClient(base_url=fake.api_url),
            signing_secret=fake.signing_secret,
            oauth_settings=settings,
            installation_store=self.installations,
        )
        self.app.event("app_uninstalled")(self._event)
        self.app.event("tokens_revoked")(self._event)
        self.app.event("app_mention")(self._event)
        self.app.command("/leads")(self._command)
        self.server: WSGIServer = make_server("127.0.0.1", 0, SlackRequestHandler(self.app), handler_class=_Quiet)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.url = f"{self.base_url}/slack/events"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def _event(self, body: dict[str, Any]) -> None:
        self.events.append(body)

    def _command(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        self.commands.append(body)
        client.views_open(trigger_id=body["trigger_id"], view=MODAL)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

"""The real leadmover app wired to loopback simulators of Slack and Instantly: what the demo and the tests run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.adapter.socket_mode import SocketModeHandler

from app.bolt_app import build_app
from app.http import HttpServer, http_server
from app.wiring import build_services
from bot.secrets import new_key
from bot.services import Services
from bot.settings import Settings
from simulators.instantly import FakeInstantly
from simulators.slack import FakeSlack


@dataclass(frozen=True)
class DemoWorkspace:
    """Ids of the campaigns and lists seeded into the fake Instantly."""

    campaigns: dict[str, str] = field(default_factory=dict)
    lists: dict[str, str] = field(default_factory=dict)


def seed(instantly: FakeInstantly, *, readable: bool = False) -> DemoWorkspace:
    """A small, believable Instantly workspace: two "Acme" campaigns and one "Acme" list among others. `readable`
    gives the leads people's names at each place's own domain (the demo); otherwise their e-mails name the place's
    id, as the tests expect."""
    campaigns = {
        name: instantly.add_campaign(name, leads=leads, domain=domain if readable else None)
        for name, leads, domain in (
            ("Acme Q1 outbound", 1250, "acme-corp.example"),
            ("Acme enterprise", 310, "acme-enterprise.example"),
            ("Globex renewals", 480, "globex.example"),
        )
    }
    lists = {
        name: instantly.add_list(name, leads=leads, domain=domain if readable else None)
        for name, leads, domain in (
            ("Acme warm leads", 900, "acme-partners.example"),
            ("Initech prospects", 150, "initech.example"),
            ("Trade show 2026", 75, "tradeshow.example"),
        )
    }
    instantly.add_member("ann@example.com", first="Ann", last="Lee")
    return DemoWorkspace(campaigns=campaigns, lists=lists)


@dataclass
class LocalStack:
    slack: FakeSlack
    instantly: FakeInstantly
    settings: Settings
    services: Services
    server: HttpServer | None

    @property
    def app_url(self) -> str:
        assert self.server is not None, "this stack runs in Socket Mode"
        return f"{self.server.url}/slack/events"

    @property
    def base_url(self) -> str:
        """Where a person's browser reaches the app (/slack/install)."""
        assert self.server is not None, "this stack runs in Socket Mode"
        return self.server.url


def stack_settings(
    *, slack: FakeSlack, instantly: FakeInstantly, database_url: str, oauth: bool = False, **overrides: object
) -> Settings:
    """Settings for the app on the simulators: one workspace from tokens, or (`oauth`) installed by OAuth in many,
    with a fresh encryption key and no Instantly key of its own (each workspace connects one)."""
    credentials: dict[str, object] = (
        {
            "slack_client_id": slack.client_id,
            "slack_client_secret": slack.client_secret,
            "leadmover_encryption_key": new_key(),
        }
        if oauth
        else {
            "slack_bot_token": slack.bot_token,
            "slack_app_token": slack.app_token,
            "instantly_api_key": instantly.api_key,
        }
    )
    values: dict[str, object] = {
        **credentials,
        "slack_signing_secret": slack.signing_secret,
        "slack_api_url": slack.api_url,
        "instantly_api_url": instantly.base_url,
        "database_url": database_url,
        "poll_interval_seconds": 0.2,
        # Most runs are about following moves; the approval tests and the demo of approvals switch this on.
        "leadmover_approvals": False,
        **overrides,
    }
    # Explicit values win over the environment, so the host's real tokens never point a demo at real Slack.
    return Settings.model_validate(values)


@contextmanager
def local_stack(
    *,
    database_url: str,
    socket_mode: bool = False,
    start_loops: bool = True,
    oauth: bool = False,
    slack_options: dict[str, Any] | None = None,
    **overrides: object,
) -> Iterator[LocalStack]:
    """Start both simulators, then the real app on them (HTTP on a free loopback port, or Socket Mode).

    `oauth` serves many workspaces, each installed through the fake Slack's OAuth flow; `slack_options` go to
    FakeSlack (token rotation, for one)."""
    with ExitStack() as cleanup:
        slack = cleanup.enter_context(FakeSlack(**(slack_options or {})))
        instantly = cleanup.enter_context(FakeInstantly())
        settings = stack_settings(slack=slack, instantly=instantly, database_url=database_url, oauth=oauth, **overrides)
        services = build_services(settings)
        cleanup.callback(services.close)
        app = build_app(settings, services, socket_mode=socket_mode)
        server: HttpServer | None = None
        if socket_mode:
            handler = SocketModeHandler(app, slack.app_token, web_client=services.slack)
            handler.connect()  # type: ignore[no-untyped-call]
            cleanup.callback(handler.close)
        else:
            server = http_server(app, settings, host="127.0.0.1", port=0).start()
            cleanup.callback(server.stop)
        if start_loops:
            services.start_loops()
        yield LocalStack(slack=slack, instantly=instantly, settings=settings, services=services, server=server)

"""A loopback fake Slack for the demo and the tests: FakeSlack wires the parts together and is their public face.

It serves the Web API the app calls in any number of workspaces, Slack's OAuth v2 install flow, plays a person sending
the app commands, submissions, options loads, button clicks (in messages, modals and the Home tab) and events (over
signed HTTP or Socket Mode), runs the app's custom workflow steps (`functions`), and records every app bug it sees in
`violations`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

from simulators.loopback import LoopbackServer, Reply, Request, Startable
from simulators.slack.clicks import Click, Clicker
from simulators.slack.conversations import Message
from simulators.slack.delivery import AppResponse, SentRequest, SignedPoster, sign
from simulators.slack.driver import Driver
from simulators.slack.events import Events
from simulators.slack.faults import Faults
from simulators.slack.function_specs import Execution
from simulators.slack.functions import Functions
from simulators.slack.home import HomeTabs
from simulators.slack.install import Installer, InstallResult
from simulators.slack.mentions import Mentions
from simulators.slack.oauth import OAuth, OAuthExchange
from simulators.slack.protocol import JSON, Workspace
from simulators.slack.response_urls import ResponseUrls
from simulators.slack.socket_mode import SocketModeServer
from simulators.slack.teams import Teams
from simulators.slack.tokens import Clock, Grant, TokenBook
from simulators.slack.usergroups import UserGroups
from simulators.slack.users import Users
from simulators.slack.views import Views
from simulators.slack.web_api import ApiCall, WebApi
from simulators.slack.workspaces import Workspaces

__all__ = [
    "ApiCall",
    "AppResponse",
    "Click",
    "Execution",
    "FakeSlack",
    "InstallResult",
    "Message",
    "OAuthExchange",
    "sign",
]


class FakeSlack(Startable):
    """Loopback stand-in for Slack: Web API server for many workspaces, OAuth install pages, a person driving the
    app, Events API deliveries and a Socket Mode endpoint in one."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test-token",  # noqa: S107 - fake credentials for tests
        app_token: str = "xapp-test-token",  # noqa: S107
        signing_secret: str = "test-signing-secret",  # noqa: S107
        team_id: str = "T0LEADMOVR",
        bot_user_id: str = "U0LEADBOT",
        host: str = "127.0.0.1",
        port: int = 0,
        trigger_ttl: float = 3.0,
        app_id: str = "A0LEADMOVR",
        bot_id: str = "B0LEADBOT",
        socket_ack_timeout: float = 5.0,
        record_calls: bool = True,
        keep_history: bool = True,
        on_call: Callable[[ApiCall, int, JSON], None] | None = None,
        update_limit_per_minute: int | None = None,
        post_rate_per_channel: float | None = None,
        post_burst: float = 3.0,
        history_limits: bool = False,
        keep_alive: bool = False,
        client_id: str = "1111.2222",
        client_secret: str = "test-client-secret",  # noqa: S107
        token_rotation: bool = False,
        token_lifetime_seconds: int = 43200,
        strict_users: bool = False,
        manifest_path: str | Path | None = None,
    ) -> None:
        """The defaults suit tests. Opt-in knobs, for benchmarks:

        - `record_calls=False`: keep no `calls` list (only `call_count`); `keep_history=False`: keep no
          per-message edit history. Long runs then stay small.
        - `on_call(call, http_status, answer)`: called after every Web API call (from the server's threads).
        - `update_limit_per_minute`: chat.update calls allowed in any 60 s (Slack: ~50 per workspace);
          `post_rate_per_channel` and `post_burst`: chat.postMessage per second per channel, with a short burst
          (Slack: ~1/s); `history_limits`: conversations.history/.replies once a minute, of at most 15 messages
          (Slack, 2025, for apps outside its Marketplace; a larger `limit` is a violation). Each workspace has its
          own budget, as in Slack. Beyond them Slack answers HTTP 429 `ratelimited` with Retry-After; counted in
          `rate_limited` by method, and in `rate_limited_by_team` by workspace and method.
        - `keep_alive=True`: send requests to the app over one pooled HTTP client with kept-alive connections, so
          `AppResponse.elapsed` is the app's answer alone, not also building a client (~30 ms each).

        Many workspaces: `team_id` is the default workspace, installed with `bot_token`; add_team() adds others,
        installed by install() through OAuth v2 with the app's `client_id` / `client_secret`. With `token_rotation`,
        issued bot tokens expire after `token_lifetime_seconds` on the fake's clock (advance_clock, expire_tokens).
        `strict_users`: users.info knows only registered users; otherwise any U/W id nobody registered is a plain
        full member of the asking token's workspace (so U0ALICE and friends work unregistered).
        `manifest_path`: the app manifest whose ``functions:`` the custom workflow steps follow (default: the repo's
        manifest.yml, read when a step first runs).
        """
        self.bot_token, self.app_token, self.signing_secret = bot_token, app_token, signing_secret
        self.team_id, self.bot_user_id, self.bot_id, self.app_id = team_id, bot_user_id, bot_id, app_id
        self.client_id, self.client_secret = client_id, client_secret
        workspace = Workspace(
            team_id=team_id,
            team_domain="leadmover-test",
            app_id=app_id,
            bot_id=bot_id,
            bot_user_id=bot_user_id,
            verification_token="fake-verification-token",  # noqa: S106
        )
        self._lock = threading.Lock()
        self.violations: list[str] = []
        self._http = LoopbackServer(self._respond, host=host, port=port, name="fake-slack")
        self._socket = SocketModeServer(host=host, app_id=app_id, report=self._violation)
        self._poster = SignedPoster(signing_secret=signing_secret, keep_alive=keep_alive)
        self._response_urls = ResponseUrls(base_url=lambda: self.base_url, report=self._violation)
        self._users = Users(strict=strict_users)
        self._teams = teams = Teams(default=workspace, keep_history=keep_history, users=self._users)
        usergroups = UserGroups(teams=teams)
        mentions = Mentions(teams=teams, users=self._users, groups=usergroups)
        self._clock = Clock()
        self._tokens = TokenBook(clock=self._clock, lifetime=token_lifetime_seconds)
        self._tokens.add(Grant(bot_token, "bot", team_id))
        self._tokens.add(Grant(app_token, "app", team_id))
        self._oauth = OAuth(
            teams=teams,
            tokens=self._tokens,
            clock=self._clock,
            report=self._violation,
            client_id=client_id,
            client_secret=client_secret,
            token_rotation=token_rotation,
        )
        views = Views(workspace=workspace, trigger_ttl=trigger_ttl)
        faults = Faults(
            update_limit_per_minute=update_limit_per_minute,
            post_rate_per_channel=post_rate_per_channel,
            post_burst=post_burst,
            history_limits=history_limits,
        )
        self._api = WebApi(
            teams=teams,
            tokens=self._tokens,
            users=self._users,
            usergroups=usergroups,
            views=views,
            faults=faults,
            oauth=self._oauth,
            socket=self._socket,
            report=self._violation,
            record_calls=record_calls,
            on_call=on_call,
        )
        driver = Driver(
            teams=teams,
            users=self._users,
            views=views,
            response_urls=self._response_urls,
            poster=self._poster,
            socket=self._socket,
            report=self._violation,
            mentions=mentions,
            enterprise_install=self._oauth.is_enterprise_install,
            socket_ack_timeout=socket_ack_timeout,
        )
        clicker = Clicker(
            teams=teams,
            users=self._users,
            views=views,
            response_urls=self._response_urls,
            poster=self._poster,
            socket=self._socket,
            report=self._violation,
            enterprise_install=self._oauth.is_enterprise_install,
            socket_ack_timeout=socket_ack_timeout,
        )
        events = Events(
            teams=teams,
            tokens=self._tokens,
            poster=self._poster,
            report=self._violation,
            enterprise_install=self._oauth.is_enterprise_install,
        )
        home = HomeTabs(
            teams=teams,
            users=self._users,
            views=views,
            send_event=events.send_event,
            click_in_view=clicker.click_in_view,
        )
        self._api.add_method("views.publish", lambda args, ws, _: home.views_publish(args, ws=ws))
        self._api.add_method("chat.getPermalink", lambda args, ws, _: home.chat_get_permalink(args, ws=ws))
        self.functions = Functions(
            teams=teams,
            tokens=self._tokens,
            events=events,
            socket=self._socket,
            report=self._violation,
            manifest_path=manifest_path,
            socket_ack_timeout=socket_ack_timeout,
        )
        self._api.add_method("functions.completeSuccess", self.functions.complete_success)
        self._api.add_method("functions.completeError", self.functions.complete_error)
        installer = Installer(oauth=self._oauth, authorize_url=lambda: self.authorize_url, report=self._violation)
        # The public face: each name below is its part's own attribute or method.
        self.calls = self._api.calls
        self.delay = self._api.delay
        self.calls_to = self._api.calls_to
        self.responses = self._response_urls.responses
        self.ephemerals = teams.ephemerals
        self.rate_limited = faults.rate_limited
        self.rate_limited_by_team = faults.rate_limited_by_team
        self.fail_next = faults.fail_next
        self.clear_failures = faults.clear_failures
        self.oauth_exchanges = self._oauth.exchanges
        self.grant_scopes = self._oauth.grant_scopes
        self.authorize_requests = self._oauth.authorize_requests
        self.opened_views = views.opened_views
        self.view_opened_by = views.view_opened_by
        self.view = views.view
        self.pushed_on = views.pushed_on
        self.close_view = views.close_by_person
        self.send_command = driver.send_command
        self.submit_view = driver.submit_view
        self.redeliver_last = driver.redeliver_last
        self.load_options = driver.load_options
        self.wait_for_socket = driver.wait_for_socket
        self.socket_send_command = driver.socket_send_command
        self.socket_submit_view = driver.socket_submit_view
        self.socket_load_options = driver.socket_load_options
        self.clicks = clicker.clicks
        self.click = clicker.click
        self.click_in_view = clicker.click_in_view
        self.socket_click = clicker.socket_click
        self.socket_click_in_view = clicker.socket_click_in_view
        self.add_usergroup = usergroups.add_usergroup
        self.set_usergroup_users = usergroups.set_usergroup_users
        self.mention = mentions.mention
        self.group_mention = mentions.group_mention
        self.escape_text = mentions.escape
        self.install = installer.install
        self.sign_in = installer.sign_in
        self.send_event = events.send_event
        self.event_envelope = events.envelope
        self.uninstall = events.uninstall
        self.revoke_tokens = events.revoke_tokens
        self.home_view = home.home_view
        self.open_home = home.open_home
        self.click_in_home = home.click_in_home
        self.run_step = self.functions.run_step
        self.socket_run_step = self.functions.socket_run_step
        self.load_step_options = self.functions.load_step_options
        workspaces = Workspaces(teams=teams, users=self._users, views=views, tokens=self._tokens, clock=self._clock)
        self.add_team = workspaces.add_team
        self.team = workspaces.team
        self.add_channel = workspaces.add_channel
        self.messages = workspaces.messages
        self.replies = workspaces.replies
        self.add_user = workspaces.add_user
        self.issue_trigger_id = workspaces.issue_trigger_id
        self.install_token = workspaces.install_token
        self.installed_tokens = workspaces.installed_tokens
        self.expire_tokens = workspaces.expire_tokens
        self.advance_clock = workspaces.advance_clock

    @property
    def strict_users(self) -> bool:
        """Whether users.info (and DMs) know only registered users."""
        return self._users.strict

    @strict_users.setter
    def strict_users(self, strict: bool) -> None:
        self._users.strict = strict

    @property
    def authorize_url(self) -> str:
        """Slack's install approval page (Bolt's ``OAuthSettings.authorization_url``)."""
        return f"{self.base_url}/oauth/v2/authorize"

    @property
    def call_count(self) -> int:
        """Web API calls so far (kept even with ``record_calls=False``)."""
        return self._api.call_count

    def start(self) -> Self:
        """Start the Web API server (Socket Mode starts on the first apps.connections.open)."""
        with self._lock:
            if not self._http.running:
                self._socket.enable()
                self._http.start()
        return self

    def stop(self) -> None:
        """Shut everything down (idempotent)."""
        self._socket.stop()
        self._poster.close()
        self._http.stop()

    @property
    def last_request(self) -> SentRequest | None:
        """The last request sent to the app, exactly as sent (to replay it as an attacker would)."""
        return self._poster.last

    @property
    def base_url(self) -> str:
        return self._http.base_url

    @property
    def api_url(self) -> str:
        """Web API base URL in slack_sdk's ``base_url`` form (trailing slash)."""
        return f"{self.base_url}/api/"

    def wait_for(self, predicate: Callable[[], bool], *, timeout: float = 10.0, interval: float = 0.02) -> bool:
        """Poll `predicate` until it holds (True) or `timeout` seconds pass (False)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                return False
            time.sleep(interval)
        return True

    def _violation(self, text: str) -> None:
        with self._lock:
            self.violations.append(text)

    def _respond(self, request: Request) -> Reply:
        parts = urlsplit(request.target)
        if parts.path.startswith("/api/"):
            return self._api.respond(parts.path[len("/api/") :], parts.query, request)
        if parts.path == "/oauth/v2/authorize" and request.method == "GET":
            return self._oauth.authorize(request)
        if parts.path.startswith("/response/"):
            return self._response_urls.respond(parts.path[len("/response/") :], request)
        return Reply(404, b"Not Found", {"Content-Type": "text/plain"})

"""The composition root for Slack: build_app(settings, services) returns a Bolt App with every listener attached."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any, Final

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings

from bot import logs, metrics
from bot.services import Services
from bot.settings import Settings
from bot.slack.installations import DatabaseStateStore

# What leadmover asks Slack for at install; manifest.yml lists the same (a test holds them together).
BOT_SCOPES: Final = (
    "commands",
    "chat:write",
    "chat:write.public",
    "im:write",
    # Read back its own recent messages after a crash, so nothing is posted twice (LEADMOVER_LOOKBACK).
    "channels:history",
    "groups:history",
    "im:history",
    "mpim:history",
    # Who is a workspace admin or owner, a guest or from another organisation (users.info).
    "users:read",
    # Who is in a user group named in /leads allow (usergroups.users.list).
    "usergroups:read",
    # Who is in the channel of a job someone else follows (conversations.members); public and private channels.
    "channels:read",
    "groups:read",
)
HISTORY_SCOPES: Final = frozenset({"channels:history", "groups:history", "im:history", "mpim:history"})
INSTALL_PATH: Final = "/slack/install"
REDIRECT_PATH: Final = "/slack/oauth_redirect"
NOT_INSTALLED: Final = (
    ":warning: leadmover is not installed in this workspace, so it did nothing. "
    "A workspace admin can add it again from its install page."
)

log = logging.getLogger(__name__)


class _QuietTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment on its own and then warns that our client's token wins.
    That is the intended set-up, so the warning would only mislead whoever reads the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def build_app(settings: Settings, services: Services, *, socket_mode: bool = False) -> App:
    """A Bolt App for one workspace, or for every workspace installed by OAuth. Over HTTP every request must carry
    Slack's signature."""
    import handlers  # only the composition root imports the listeners

    if not socket_mode:
        settings.require("slack_signing_secret")
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    bolt_log = logging.getLogger("leadmover.bolt")
    if not any(isinstance(f, _QuietTokenWarning) for f in bolt_log.filters):
        bolt_log.addFilter(_QuietTokenWarning())
    oauth = _oauth_settings(settings, services, logger=bolt_log)
    app = _App(
        signing_secret=secret,
        client=services.slack,  # carries the bot token, unless each workspace's install brings its own
        oauth_settings=oauth,
        installation_store_bot_only=True if oauth is not None else None,
        user_facing_authorize_error_message=NOT_INSTALLED,
        request_verification_enabled=not socket_mode,
        process_before_response=False,
        listener_executor=services.listener_executor,
        logger=bolt_log,
    )
    app.error(_log_unhandled)
    app.use(_concerning)
    handlers.register(app, services)
    return app


def bot_scopes(settings: Settings) -> list[str]:
    """The scopes asked for at install: without look-back, none of the *:history ones."""
    return [scope for scope in BOT_SCOPES if settings.leadmover_lookback or scope not in HISTORY_SCOPES]


class _App(App):
    """Bolt's App, timing each request from its arrival to its acknowledgement: with process_before_response off,
    dispatch returns as soon as the listener acked (or Slack's 3 s ran out)."""

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        received = time.monotonic()
        try:
            return super().dispatch(req)
        finally:
            metrics.acked(time.monotonic() - received)
            logs.bind()  # this thread's next request is another's


def _concerning(context: BoltContext, next: Callable[[], None]) -> None:
    """Tags what a request leads to with its workspace and person: the log lines of its listener, which run in the
    listener pool with this context, and its metrics."""
    logs.bind(team_id=context.team_id, user_id=context.user_id)
    next()


def _oauth_settings(settings: Settings, services: Services, *, logger: logging.Logger) -> OAuthSettings | None:
    """ "Add to Slack" and its redirect, when leadmover is installed by OAuth in many workspaces."""
    if services.installations is None:
        return None
    assert settings.slack_client_id is not None
    assert settings.slack_client_secret is not None
    client_secret = settings.slack_client_secret.get_secret_value()
    oauth = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=client_secret,
        scopes=bot_scopes(settings),
        installation_store=services.installations,
        installation_store_bot_only=True,
        # Signed with a key drawn from the client secret, which every replica has: issuing a state writes nothing.
        state_store=DatabaseStateStore(db=services.db, secret=client_secret),
        authorization_url=settings.slack_authorize_url,
        redirect_uri=settings.slack_redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        # The installation store refreshes tokens long before this; Bolt's own refresh is only a backstop.
        token_rotation_expiration_minutes=2,
        callback_options=CallbackOptions(success=_installed(services), failure=_not_installed),
    )
    # Each request is authorised by its workspace's install. Bolt would also ask Slack's auth.test every time; the
    # answer for a token never changes, so it is remembered per token (an uninstall removes the install, and with it
    # the token, before any cached answer is used). Its backstop refresh goes through our client, to SLACK_API_URL.
    oauth.authorize = InstallationStoreAuthorize(
        installation_store=services.installations,
        client_id=settings.slack_client_id,
        client_secret=client_secret,
        bot_only=True,
        cache_enabled=True,
        client=services.slack,
        logger=logger,
    )
    return oauth


def _installed(services: Services) -> Callable[[SuccessArgs], BoltResponse]:
    def on_success(args: SuccessArgs) -> BoltResponse:
        installation = args.installation
        services.connections.installed(
            enterprise_id=installation.enterprise_id,
            team_id=None if installation.is_enterprise_install else installation.team_id,
            user_id=installation.user_id,
        )
        return args.default.success(args)

    return on_success


def _not_installed(args: FailureArgs) -> BoltResponse:
    log.info("an install did not complete: %s", args.reason)
    return args.default.failure(args)


def _log_unhandled(
    error: Exception, body: dict[str, Any], logger: logging.Logger, response: BoltResponse | None
) -> BoltResponse | None:
    # The traceback goes to the log. Slack gets words, never the traceback: a command that failed before its
    # ack still tells the person; anything else gets an empty 200 so nothing leaks into a channel.
    kind = body.get("type") or ("slash_command" if "command" in body else "request")
    logger.error("unhandled error in a %s listener", kind, exc_info=error)
    if response is None:
        return None  # the listener had acked already: Slack has its answer
    if "command" in body:
        text = "Sorry, leadmover hit a problem on its side and did nothing. It has been logged; please try again."
        return BoltResponse(
            status=200,
            body=json.dumps({"response_type": "ephemeral", "text": text}),
            headers={"content-type": "application/json;charset=utf-8"},
        )
    return BoltResponse(status=200, body="")

"""The composition root for Slack: build_app(settings, services) returns a Bolt App with every listener attached."""

from __future__ import annotations

import json
import logging
from typing import Any, Final

from slack_bolt import App, BoltResponse
from slack_bolt.oauth.oauth_settings import OAuthSettings

from bot.installations import DatabaseStateStore
from bot.services import Services
from bot.settings import Settings

# What leadmover asks Slack for at install; manifest.yml lists the same (a test holds them together).
BOT_SCOPES: Final = (
    "commands",
    "chat:write",
    "chat:write.public",
    "im:write",
    # Read back its own recent messages after a crash, so nothing is posted twice.
    "channels:history",
    "groups:history",
    "im:history",
    "mpim:history",
    # Who is a workspace admin or owner (users.info).
    "users:read",
)
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
    oauth = _oauth_settings(settings, services)
    app = App(
        signing_secret=secret,
        client=services.slack,  # carries the bot token, unless each workspace's install brings its own
        oauth_settings=oauth,
        # Given here too, Bolt's own token refresh (a backstop) goes through `client`, so to SLACK_API_URL.
        installation_store=services.installations,
        installation_store_bot_only=True if oauth is not None else None,
        user_facing_authorize_error_message=NOT_INSTALLED,
        request_verification_enabled=not socket_mode,
        process_before_response=False,
        listener_executor=services.listener_executor,
        logger=bolt_log,
    )
    app.error(_log_unhandled)
    handlers.register(app, services)
    return app


def _oauth_settings(settings: Settings, services: Services) -> OAuthSettings | None:
    """ "Add to Slack" and its redirect, when leadmover is installed by OAuth in many workspaces."""
    if services.installations is None:
        return None
    assert settings.slack_client_id is not None
    assert settings.slack_client_secret is not None
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        installation_store=services.installations,
        installation_store_bot_only=True,
        state_store=DatabaseStateStore(db=services.db),
        authorization_url=settings.slack_authorize_url,
        redirect_uri=settings.slack_redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        # The installation store refreshes tokens long before this; Bolt's own refresh is only a backstop.
        token_rotation_expiration_minutes=2,
    )


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

"""The composition root for Slack: build_app(settings, services) returns a Bolt App with every listener attached."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import App, BoltResponse

from bot.services import Services
from bot.settings import Settings

log = logging.getLogger(__name__)


class _QuietTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment on its own and then warns that our client's token wins.
    That is the intended set-up, so the warning would only mislead whoever reads the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def build_app(settings: Settings, services: Services, *, socket_mode: bool = False) -> App:
    """A Bolt App for one workspace. Over HTTP every request must carry Slack's signature."""
    import handlers  # only the composition root imports the listeners

    if not socket_mode:
        settings.require("slack_signing_secret")
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    bolt_log = logging.getLogger("leadmover.bolt")
    if not any(isinstance(f, _QuietTokenWarning) for f in bolt_log.filters):
        bolt_log.addFilter(_QuietTokenWarning())
    app = App(
        signing_secret=secret,
        client=services.slack,  # carries the bot token
        request_verification_enabled=not socket_mode,
        process_before_response=False,
        listener_executor=services.listener_executor,
        logger=bolt_log,
    )
    app.error(_log_unhandled)
    handlers.register(app, services)
    return app


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

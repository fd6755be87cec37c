"""Secrets never reach the log, whether in a message, its arguments or a traceback."""

from __future__ import annotations

import io
import logging

from bot.logs import REDACTED, RedactSecrets


def test_secrets_are_blanked_in_messages_args_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets(["xoxb-very-secret", "instantly-key-123"]))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        logger.warning("token %s and key instantly-key-123", "xoxb-very-secret")
        try:
            raise RuntimeError("failed with xoxb-very-secret")
        except RuntimeError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "xoxb-very-secret" not in output
    assert "instantly-key-123" not in output
    assert output.count(REDACTED) == 4  # two in the message, the source line and the error in the traceback

"""No secret reaches the log, whether configured or only shaped like one, in a message, its arguments, a traceback
or a stack; and a record's message stays on one line whatever text from outside it carries."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime

import pytest

from bot import logs
from bot.logs import REDACTED, RedactSecrets
from bot.secrets import new_key

BOT_TOKEN = "xoxb-1234567890123-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
ROTATING_TOKEN = "xoxe.xoxb-1-MTIzNDU2Nzg5MDEyMy0xMjM0NTY3ODkwMTIz-0a1b2c3d4e5f"
REFRESH_TOKEN = "xoxe-1-My0xMjM0NTY3ODkwMTIzLTEyMzQ1Njc4OTAxMjM-9f8e7d6c5b4a"
USER_TOKEN = "xoxp-1234567890123-1234567890123-1234567890123-0a1b2c3d4e5f6a7b"
APP_TOKEN = "xapp-1-A0123456789-1234567890123-0a1b2c3d4e5f6a7b8c9d"


@pytest.fixture
def output() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose one handler redacts as configure() sets it up (with two configured secrets), and its output."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(logs.FORMAT))
    handler.addFilter(RedactSecrets(["xoxb-very-secret", "instantly-key-123"]))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    try:
        yield logger, stream
    finally:
        logger.removeHandler(handler)


@pytest.fixture
def root_logging() -> Iterator[None]:
    """configure() changes the process's logging: put it back as it was."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    tuned = {name: logging.getLogger(name).level for name in (*logs.WIRE_LOGGERS, *logs.QUIET_LOGGERS)}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, was in tuned.items():
        logging.getLogger(name).setLevel(was)


def test_configured_secrets_are_blanked_in_messages_args_and_tracebacks(
    output: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = output
    logger.warning("token %s and key instantly-key-123", "xoxb-very-secret")
    try:
        raise RuntimeError("failed with xoxb-very-secret")
    except RuntimeError:
        logger.exception("boom")
    text = stream.getvalue()
    assert "xoxb-very-secret" not in text
    assert "instantly-key-123" not in text
    assert text.count(REDACTED) == 4  # two in the message, the source line and the error in the traceback


@pytest.mark.parametrize(
    ("token", "kept"),
    [
        (BOT_TOKEN, "xoxb-"),
        (ROTATING_TOKEN, "xoxe.xoxb-"),
        (REFRESH_TOKEN, "xoxe-"),
        (USER_TOKEN, "xoxp-"),
        (APP_TOKEN, "xapp-"),
    ],
)
def test_anything_shaped_like_a_slack_token_is_blanked_keeping_its_kind(
    output: tuple[logging.Logger, io.StringIO], token: str, kept: str
) -> None:
    logger, stream = output
    logger.debug("Received the following response - body: %s", f'{{"ok":true,"access_token":"{token}"}}')
    logger.debug("Sending a request - body_params: {'refresh_token': '%s'}", token)
    text = stream.getvalue()
    assert token not in text
    assert text.count(f"{kept}{REDACTED}") == 2


@pytest.mark.parametrize(
    "line",
    [
        "headers: Authorization: Bearer inst-4f1c2a9b8e7d6c5b",
        "headers: {'Content-Type': 'application/json', 'Authorization': 'Bearer inst-4f1c2a9b8e7d6c5b'}",
        'headers: {"authorization": "bearer inst-4f1c2a9b8e7d6c5b"}',
        "headers: {'Authorization': 'Basic inst-4f1c2a9b8e7d6c5b'}",
    ],
)
def test_an_authorization_header_loses_its_credential(output: tuple[logging.Logger, io.StringIO], line: str) -> None:
    logger, stream = output
    logger.debug(line)
    text = stream.getvalue()
    assert "inst-4f1c2a9b8e7d6c5b" not in text
    assert REDACTED in text


def test_a_fernet_key_is_blanked_and_sealed_text_is_not(output: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = output
    key, sealed = new_key(), "gAAAAABn" + "Q" * 90 + "=="
    logger.info("keys %s,%s; row %s", key, new_key(), sealed)
    text = stream.getvalue()
    assert key not in text
    assert text.count(REDACTED) == 2
    assert sealed in text  # what a key sealed is no secret, and seeing it helps whoever debugs


def test_dict_and_bytes_arguments_are_formatted_then_redacted(output: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = output
    logger.info("install %(team)s: %(bot)s", {"team": "T0ACME", "bot": {"bot_token": BOT_TOKEN}})
    logger.info("raw answer %s", f'{{"refresh_token":"{REFRESH_TOKEN}"}}'.encode())
    text = stream.getvalue()
    assert BOT_TOKEN not in text
    assert REFRESH_TOKEN not in text
    assert "install T0ACME: {'bot_token': 'xoxb-[redacted]'}" in text
    assert 'raw answer b\'{"refresh_token":"xoxe-[redacted]"}\'' in text


def test_a_traceback_keeps_its_lines_but_is_redacted_and_the_error_cannot_forge_a_line(
    output: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = output
    try:
        try:
            raise ValueError(f"bad token {APP_TOKEN}\n2026-01-01 00:00:00,000 INFO forged: all is well")
        except ValueError as exc:
            raise RuntimeError("refresh failed\r\nERROR forged too") from exc
    except RuntimeError:
        logger.exception("could not refresh")
    text = stream.getvalue()
    assert APP_TOKEN not in text
    assert "xapp-[redacted]" in text
    lines = text.splitlines()
    assert lines[1] == "Traceback (most recent call last):"  # still a traceback, over several lines
    assert not [line for line in lines if line.startswith(("2026-01-01 00:00:00,000 INFO forged", "ERROR forged"))]
    assert "ValueError: bad token xapp-[redacted]\\n2026-01-01 00:00:00,000 INFO forged: all is well" in lines
    assert "RuntimeError: refresh failed\\r\\nERROR forged too" in lines


def test_a_stack_is_redacted(output: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = output
    logger.info("where am I", stack_info=True, extra={"seen": "xoxb-0000000000000-0000000000000-stackframe"})
    text = stream.getvalue()
    assert "Stack (most recent call last)" in text
    assert "stackframe" not in text  # the calling line, quoted in the stack, names a token
    assert 'extra={"seen": "xoxb-[redacted]"})' in text


@pytest.mark.parametrize(
    ("control", "escaped"),
    [
        ("\n", "\\n"),
        ("\r", "\\r"),
        ("\t", "\\t"),
        ("\x1b", "\\x1b"),
        ("\x0b", "\\x0b"),
        ("\x85", "\\x85"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ],
)
def test_text_from_outside_cannot_start_a_new_line(
    output: tuple[logging.Logger, io.StringIO], control: str, escaped: str
) -> None:
    logger, stream = output
    forged = f"access_denied{control}2026-01-01 00:00:00,000 ERROR leadmover: forged"
    logger.info("an install did not complete: %s", forged)
    logger.info(f"a name: {forged}")  # text already in the message, as libraries log it
    text = stream.getvalue()
    assert len(text.splitlines()) == 2
    assert text.count(f"access_denied{escaped}2026-01-01") == 2


def test_arguments_that_do_not_fit_the_format_are_still_logged_redacted(
    output: tuple[logging.Logger, io.StringIO], capsys: pytest.CaptureFixture[str]
) -> None:
    logger, stream = output
    logger.info("count %d", BOT_TOKEN)
    assert BOT_TOKEN not in stream.getvalue()
    assert "count %d ('xoxb-[redacted]',)" in stream.getvalue()
    assert BOT_TOKEN not in capsys.readouterr().err  # logging's own error report would have printed it


@pytest.mark.usefixtures("root_logging")
@pytest.mark.parametrize("level", ["DEBUG", "ERROR"])
def test_configure_redacts_records_of_every_logger_whatever_the_level(level: str) -> None:
    stream = io.StringIO()
    logs.configure(level=level, secrets=["test-client-secret"], stream=stream)
    for name in ("slack_sdk.web.base_client", "slack_bolt.App", "sqlalchemy.engine.Engine", "waitress", "app.x"):
        logging.getLogger(name).error("%s: client_secret=test-client-secret token=%s", name, BOT_TOKEN)
    text = stream.getvalue()
    assert len(text.splitlines()) == 5
    assert "test-client-secret" not in text
    assert BOT_TOKEN not in text
    assert text.count(REDACTED) == 10


@pytest.mark.usefixtures("root_logging")
def test_wire_level_loggers_stay_at_warning_at_debug_unless_wire_debug_is_on() -> None:
    logs.configure(level="DEBUG", secrets=[], stream=io.StringIO())
    assert logging.getLogger("bot.moves").isEnabledFor(logging.DEBUG)
    for name in logs.WIRE_LOGGERS:
        assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
    # slack_sdk builds its request and response lines when the logger's own level allows DEBUG.
    assert logging.getLogger("slack_sdk.web.base_client").level == logging.WARNING
    logs.configure(level="DEBUG", secrets=[], stream=io.StringIO(), wire_debug=True)
    assert logging.getLogger("slack_sdk.web.base_client").level == logging.DEBUG
    assert all(logging.getLogger(name).isEnabledFor(logging.DEBUG) for name in logs.WIRE_LOGGERS)


# --- JSON lines and what a line concerns -------------------------------------------------------------------------


@pytest.fixture
def json_lines(root_logging: None) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    logs.configure(level="INFO", secrets=["instantly-key-123"], stream=stream, fmt="json")
    yield stream
    logs.bind()


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_time_level_logger_message_and_what_the_line_concerns(json_lines: io.StringIO) -> None:
    logs.bind(team_id="T1", user_id="U1", job=7, instantly_job_id="a" * 24)
    logging.getLogger("leadmover.test").info("moved %d leads", 3)
    logs.bind(team_id="T2")
    logging.getLogger("leadmover.test").warning("second")

    first, second = _lines(json_lines)
    assert datetime.fromisoformat(str(first.pop("time"))).tzinfo is not None
    assert first == {
        "level": "INFO",
        "logger": "leadmover.test",
        "message": "moved 3 leads",
        "team_id": "T1",
        "user_id": "U1",
        "job": 7,
        "instantly_job_id": "a" * 24,
    }
    assert {key: second[key] for key in ("level", "message", "team_id")} == {
        "level": "WARNING",
        "message": "second",
        "team_id": "T2",
    }
    assert "user_id" not in second  # what is no longer known is not said


def test_a_json_line_keeps_the_traceback_as_one_redacted_string(json_lines: io.StringIO) -> None:
    try:
        raise ValueError(f"Instantly refused instantly-key-123 and {BOT_TOKEN}\nforged line")
    except ValueError:
        logging.getLogger("leadmover.test").exception("failed with %s", APP_TOKEN)

    [line] = _lines(json_lines)
    assert json_lines.getvalue().count("\n") == 1
    assert line["message"] == f"failed with xapp-{REDACTED}"
    trace = str(line["exc_info"])
    assert trace.startswith("Traceback")
    assert "ValueError" in trace
    for secret in ("instantly-key-123", BOT_TOKEN, APP_TOKEN):
        assert secret not in json_lines.getvalue()


def test_text_stays_the_default_format(root_logging: None) -> None:
    stream = io.StringIO()
    logs.configure(level="INFO", secrets=[], stream=stream)
    logging.getLogger("leadmover.test").info("plain")
    assert stream.getvalue().rstrip().endswith("INFO leadmover.test: plain")


def test_work_handed_to_a_carrying_pool_keeps_what_it_concerns(json_lines: io.StringIO) -> None:
    logs.bind(team_id="T9", user_id="U9")
    with logs.CarryingExecutor(max_workers=1) as pool:
        pool.submit(logging.getLogger("leadmover.test").info, "in the pool").result()
    [line] = _lines(json_lines)
    assert (line["team_id"], line["user_id"]) == ("T9", "U9")

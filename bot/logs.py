"""Logging set-up: one handler through which every record, from any logger, leaves redacted (the configured secrets
and anything shaped like a token or a key) and with its message on one line, as text or as one JSON object, tagged
with the workspace, person and job it concerns (bind() sets them for the thread's work at hand)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import ContextVar, copy_context
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final, Literal, TextIO, TypeVar

REDACTED: Final = "[redacted]"
FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Loggers that print whole requests and answers at DEBUG: tokens, payloads, what people typed, SQL parameters. They
# stay at WARNING unless wire debugging is asked for. slack_sdk decides whether to build those lines from a logger's
# own level, not the level it inherits, so its loggers are named one by one.
WIRE_LOGGERS: Final = (
    "slack_sdk.web.base_client",
    "slack_sdk.web.legacy_base_client",
    "slack_sdk.web.async_base_client",
    "slack_sdk.web.slack_response",
    "slack_sdk.web.legacy_slack_response",
    "slack_sdk.webhook.client",
    "slack_sdk.webhook.async_client",
    "slack_sdk.oauth",
    "slack_sdk.socket_mode",
    "httpx",
    "httpcore",
    "urllib3",
    "websockets",
    "sqlalchemy.engine",
)
# Chatter that drowns what matters (each queued request, each migration step) at any level.
QUIET_LOGGERS: Final = ("waitress.queue", "alembic.runtime.migration")

# A Slack token (xoxb-, xoxp-, a rotating xoxe.xoxb-, a refresh xoxe-) or an app-level token (xapp-): its prefix
# stays, so a reader still knows which kind it was.
_SLACK = r"(?P<slack>(?<![A-Za-z0-9])(?:(?:xoxe\.)?xox[a-z]|xapp)-)[A-Za-z0-9_-]+"
_CREDENTIAL = r"[A-Za-z0-9._~+/=-]+"
_BEARER = rf"(?P<bearer>(?i:\bbearer\s+)){_CREDENTIAL}"
_BASIC = rf"(?P<basic>(?i:\bauthorization['\"]?\s*[:=]\s*['\"]?basic\s+)){_CREDENTIAL}"
# A Fernet key: 32 bytes in urlsafe base64, 43 characters and one `=`.
_FERNET_KEY = r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}=(?![A-Za-z0-9_=-])"
_SHAPES = "|".join((_SLACK, _BEARER, _BASIC, _FERNET_KEY))

# What a line concerns, where known: set by the listener middleware, the start workers, the poller and the writer.
FIELDS: Final = ("team_id", "user_id", "job", "instantly_job_id")
_CONCERNS: ContextVar[dict[str, str | int] | None] = ContextVar("leadmover_log_concerns", default=None)


def bind(
    *,
    team_id: str | None = None,
    user_id: str | None = None,
    job: int | None = None,
    instantly_job_id: str | None = None,
) -> None:
    """Say what the work at hand in this thread (or context) concerns; what is not named is no longer known."""
    given = {"team_id": team_id, "user_id": user_id, "job": job, "instantly_job_id": instantly_job_id}
    _CONCERNS.set({name: value for name, value in given.items() if value})


def concerns() -> dict[str, str | int]:
    """What bind() last said in this context."""
    return dict(_CONCERNS.get() or {})


_T = TypeVar("_T")


class CarryingExecutor(ThreadPoolExecutor):
    """A thread pool whose tasks run in the context they were submitted from: what bind() said goes with them."""

    def submit(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> Future[_T]:
        return super().submit(copy_context().run, fn, *args, **kwargs)


# Line breaks of every kind (C0 and C1 controls, U+2028/2029) and the bidi controls that reorder what a line shows.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def one_line(text: str) -> str:
    """`text` with its control characters written as escapes (`\\n`, `\\x1b`, `\\u2028`), so it cannot break a line."""
    # isprintable() is a fast scan, false for every character _CONTROL matches: most text is left at that.
    return text if text.isprintable() else _CONTROL.sub(_escaped, text)


class RedactSecrets(logging.Filter):
    """A handler's filter, so it sees the records of every logger, propagated ones included: blanks secrets out of
    the message, the traceback and the stack, and escapes control characters in the message and the exceptions'
    own words. The record is changed in place; the handlers after this one see it clean too."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is blanked whole.
        known = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)
        listed = "|".join(re.escape(s) for s in known)
        self._pattern = re.compile(f"(?P<known>{listed})|{_SHAPES}" if known else _SHAPES)

    def redact(self, text: str) -> str:
        return self._pattern.sub(_blanked, text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = _message(record)
        cleaned = one_line(self.redact(message))
        if cleaned != message or record.args:
            # Formatted once here: the handler's formatter then prints this text as it stands.
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(_escape_exception_words(record.exc_text, record.exc_info))
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def _blanked(match: re.Match[str]) -> str:
    return (match.group("slack") or match.group("bearer") or match.group("basic") or "") + REDACTED


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:
        # Arguments that do not fit the format: logging would print them raw in its own error report on stderr.
        return f"{record.msg!s} {record.args!r}"


_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None] | None


def _escape_exception_words(text: str, exc_info: _ExcInfo | bool) -> str:
    """The traceback keeps its lines; what each exception in it says (its message, its notes) loses its breaks."""
    if not isinstance(exc_info, tuple) or exc_info[1] is None:
        return text
    for words in _exception_words(exc_info[1]):
        if not words.isprintable():
            text = text.replace(words, one_line(words))
    return text


def _exception_words(error: BaseException) -> list[str]:
    """The messages and notes of an exception, its causes and contexts, and a group's members."""
    words: list[str] = []
    pending, seen = [error], set[int]()
    while pending and len(seen) < 100:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        try:
            words.append(str(current))
        except Exception:  # noqa: S112 - an exception whose str() fails is printed without its words
            continue
        words.extend(note for note in getattr(current, "__notes__", ()) if isinstance(note, str))
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
    return words


class JsonLines(logging.Formatter):
    """One JSON object per record: time, level, logger, message, what it concerns, and a traceback as one string.

    It formats what the filters left: the message and traceback arrive redacted."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "concerns", None) or {})
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc_info"] = record.exc_text
        if record.stack_info:
            line["stack_info"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


class _Concerns(logging.Filter):
    """Stamps each record with what the work that logged it concerns, read where it was logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "concerns"):
            record.concerns = _CONCERNS.get() or {}
        return True


def configure(
    *,
    level: str,
    secrets: Iterable[str],
    wire_debug: bool = False,
    stream: TextIO | None = None,
    fmt: Literal["text", "json"] = "text",
) -> None:
    """Log to `stream` (stderr) at `level` through one handler that redacts every record and keeps each message on
    one line, whatever the level, as text or (`fmt="json"`) JSON lines. Wire-level loggers stay at WARNING unless
    `wire_debug`, and are redacted even then."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines() if fmt == "json" else logging.Formatter(FORMAT))
    handler.addFilter(_Concerns())
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    chosen = logging.getLevelNamesMapping()[level]
    quiet = max(logging.WARNING, chosen)
    for name in WIRE_LOGGERS:
        logging.getLogger(name).setLevel(chosen if wire_debug else quiet)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(quiet)

"""What `serve`, `poll` and `doctor` check before anything runs: the settings, the database driver and schema, the
Slack token and the Instantly key. Each check gives one Finding: what it found and, when wrong, what to do."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.instantly.client import instantly_client
from bot.instantly.errors import (
    InstantlyAPIError,
    InstantlyError,
    InstantlyForbidden,
    InstantlyTimeout,
    InstantlyTransportError,
    InstantlyUnauthorized,
)
from bot.settings import MissingSettingError, Settings
from bot.slack.errors import slack_error
from bot.slack.metered import MeteredWebClient
from storage import health_reads, migrate
from storage.db import Database

_QUIET: Final = logging.getLogger("leadmover.checks.quiet")
_QUIET.setLevel(logging.CRITICAL)
# How long a start-up check waits for Slack or Instantly: long enough for a slow network, short enough to fail fast.
CHECK_TIMEOUT_SECONDS: Final = 10.0

_TOKEN_PREFIXES: Final = {
    "slack_bot_token": (("xoxb-", "xoxe.xoxb-"), "OAuth & Permissions → Bot User OAuth Token"),
    "slack_app_token": (("xapp-",), "Basic Information → App-Level Tokens"),
}
_NOT_TOKENS: Final = {"slack_signing_secret": "the app's Signing Secret", "instantly_api_key": "an Instantly key"}
_TOKEN_KINDS: Final = {
    "xoxe.xoxb-": "a bot token",
    "xoxb-": "a bot token",
    "xapp-": "an app-level token",
    "xoxp-": "a user token",
    "xoxe-": "a refresh token",
}


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    words: str  # what was found and, when not ok, what to do
    fatal: bool = True  # when not ok: whether a process must not start (else it only warns)


def describe_database(url: str) -> str:
    """The database a URL names, as a person reads it: the SQLite file's path, or the URL without its password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"the SQLite file {Path(parsed.database or '').resolve()}"
    return parsed.render_as_string(hide_password=True)


def sqlite_file_missing(url: str) -> Path | None:
    """The SQLite file a URL names, if it does not exist yet (reading must not create it); None otherwise."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database)
    return None if path.exists() else path.resolve()


def settings_for(settings: Settings, *, command: str, http: bool) -> Finding:
    """Every setting `command` lacks, at once, and every token that is not of its kind."""
    problems = []
    try:
        settings.require_for(command=command, http=http)
    except MissingSettingError as exc:
        problems.append(str(exc))
    problems += token_problems(settings)
    if problems:
        return Finding("settings", False, "; ".join(problems))
    return Finding("settings", True, "every setting this mode needs is set")


def token_problems(settings: Settings) -> list[str]:
    """One sentence per token that is not of its kind (an app-level token given as the bot token, and so on)."""
    problems = []
    for name, (prefixes, where) in _TOKEN_PREFIXES.items():
        value = getattr(settings, name)
        if value is not None and not value.get_secret_value().startswith(prefixes):
            kind = _kind_of(value.get_secret_value()) or "not a Slack token"
            problems.append(f"{name.upper()} is {kind}, but it must start with {prefixes[0]}: take it from {where}")
    for name, meant in _NOT_TOKENS.items():
        value = getattr(settings, name)
        given = _kind_of(value.get_secret_value()) if value is not None else None
        if given is not None:
            problems.append(f"{name.upper()} is {given}, but it must be {meant}")
    return problems


def _kind_of(token: str) -> str | None:
    for prefix, kind in _TOKEN_KINDS.items():
        if token.startswith(prefix):
            return kind
    return "a token of an unknown kind" if token.startswith("xox") else None


def database_driver(settings: Settings) -> Finding:
    """A PostgreSQL URL needs the [postgres] extra's driver, psycopg."""
    urls = [("DATABASE_URL", settings.database_url)]
    if settings.leadmover_migration_database_url is not None:
        urls.append(("LEADMOVER_MIGRATION_DATABASE_URL", settings.leadmover_migration_database_url.get_secret_value()))
    for name, url in urls:
        if url.startswith("postgres") and not _psycopg_installed():
            return Finding(
                "database",
                False,
                f"{name} is a PostgreSQL URL but PostgreSQL's driver is not installed: install leadmover with its "
                "postgres extra (pip install 'leadmover[postgres]', or uv sync --extra postgres)",
            )
    return Finding("database", True, "its driver is installed")


def _psycopg_installed() -> bool:
    try:
        import psycopg  # noqa: F401 - only whether it imports
    except ImportError:
        return False
    return True


def database_schema(settings: Settings) -> Finding:
    """The database answers and records the newest revision; read only, so a missing SQLite file stays missing."""
    where = describe_database(settings.database_url)
    if sqlite_file_missing(settings.database_url) is not None:
        return Finding("database", False, f"{where} does not exist yet: run `leadmover migrate`")
    db = Database(settings.database_url)
    try:
        revision = health_reads.schema_revision(db)
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return Finding("database", False, f"cannot read {where} ({first}): check DATABASE_URL and the server")
    finally:
        db.dispose()
    if revision != migrate.HEAD:
        return Finding(
            "database", False, f"{where} is at {revision or 'no revision'}, not {migrate.HEAD}: run `leadmover migrate`"
        )
    return Finding("database", True, f"{where} answers, at revision {revision}")


def slack_token(settings: Settings, *, token: str, label: str = "SLACK_BOT_TOKEN") -> tuple[Finding, str | None]:
    """Ask Slack's auth.test whether it takes `token`; the finding, and the team id if it did."""
    # slack_sdk logs a failed request on its own, at ERROR: this check's one line says it better.
    client = MeteredWebClient(
        token=token, base_url=settings.slack_api_url, timeout=int(CHECK_TIMEOUT_SECONDS), logger=_QUIET
    )
    try:
        answer = client.auth_test()
    except SlackApiError as exc:
        code = slack_error(exc)
        return Finding(
            "slack",
            False,
            f"Slack refused {label} ({code}): copy the Bot User OAuth Token again from the app's OAuth & Permissions "
            "page, or reinstall the app",
        ), None
    except OSError as exc:  # urllib's URLError among them: no network, no DNS, a refused connection
        reason = getattr(exc, "reason", None) or exc.__class__.__name__
        return Finding(
            "slack",
            False,
            f"cannot reach Slack at {settings.slack_api_url} ({reason}): check the network, a proxy, or SLACK_API_URL",
        ), None
    team_id = str(answer.get("team_id") or "")
    return Finding("slack", True, f"{label} works for workspace {answer.get('team') or team_id} ({team_id})"), team_id


def instantly_key(settings: Settings, *, api_key: str, label: str = "INSTANTLY_API_KEY") -> Finding:
    """Ask Instantly's workspaces/current whether it takes `api_key`. Only a refused key or no network is fatal: an
    Instantly that is slow or down for a moment does not keep leadmover from starting."""
    client = instantly_client(
        settings=settings, api_key=api_key, budget=None, timeout=CHECK_TIMEOUT_SECONDS, max_attempts=1
    )
    try:
        workspace = client.current_workspace(timeout=CHECK_TIMEOUT_SECONDS)
    except (InstantlyUnauthorized, InstantlyForbidden) as exc:
        return Finding(
            "instantly",
            False,
            f"Instantly refused {label} ({exc.status_code} {exc.error}): create an API v2 key with the scopes the "
            "README lists (Instantly → Settings → Integrations → API keys)",
        )
    except InstantlyTimeout:
        return Finding("instantly", False, f"Instantly did not answer in time for {label}; trying later", fatal=False)
    except InstantlyTransportError as exc:
        return Finding(
            "instantly",
            False,
            f"cannot reach Instantly at {settings.instantly_api_url} ({exc}): check the network, a proxy, or "
            "INSTANTLY_API_URL",
        )
    except (InstantlyAPIError, InstantlyError) as exc:
        return Finding("instantly", False, f"Instantly could not check {label} now ({exc})", fatal=False)
    finally:
        client.close()
    return Finding("instantly", True, f"{label} works for Instantly workspace {workspace.name or workspace.id}")

"""`leadmover doctor`: checks the settings, the database and its schema, Slack (auth.test for the one token, or for
each installed workspace) and Instantly (workspaces/current for each key), one line each with what to do. It only
reads: it creates no database file and migrates nothing."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

from sqlalchemy.exc import SQLAlchemyError

from app import checks
from app.checks import Finding
from bot.secrets import SealBroken, Sealer, SecretsUnavailable
from bot.settings import MissingSettingError, Settings
from storage import connections, installations
from storage.db import Database

Print = Callable[[str], None]
_MODES = (("Socket Mode", "slack_app_token"), ("--http", "slack_signing_secret"))


def run_doctor(settings: Settings, *, say: Print = print) -> int:
    """Print one line per check; 1 when something must be fixed, else 0."""
    wrong = 0
    for finding in _findings(settings):
        mark = "ok  " if finding.ok else ("FAIL" if finding.fatal else "warn")
        say(f"{mark} {finding.name}: {finding.words}")
        wrong += int(not finding.ok and finding.fatal)
    say("leadmover: everything checked is in order" if not wrong else f"leadmover: {wrong} thing(s) to fix")
    return 1 if wrong else 0


def _findings(settings: Settings) -> Iterator[Finding]:
    yield _settings(settings)
    driver = checks.database_driver(settings)
    schema = checks.database_schema(settings) if driver.ok else driver
    yield schema
    if settings.installs_by_oauth:
        yield from _installed_workspaces(settings, readable=schema.ok)
    elif settings.slack_bot_token is not None:
        yield checks.slack_token(settings, token=settings.slack_bot_token.get_secret_value())[0]
    if settings.instantly_api_key is not None and not settings.installs_by_oauth:
        yield checks.instantly_key(settings, api_key=settings.instantly_api_key.get_secret_value())
    if schema.ok:
        yield from _connected_keys(settings)


def _settings(settings: Settings) -> Finding:
    problems = []
    try:
        settings.require_credentials()
    except MissingSettingError as exc:
        problems.append(str(exc))
    if settings.installs_by_oauth and settings.slack_signing_secret is None:
        problems.append("installed by OAuth, leadmover serves over HTTP: set SLACK_SIGNING_SECRET")
    elif settings.slack_signing_secret is None and settings.slack_app_token is None:
        problems.append("set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (serve --http)")
    problems += checks.token_problems(settings)
    if problems:
        return Finding("settings", False, "; ".join(problems))
    modes = [
        m
        for m, key in (("Socket Mode", "slack_app_token"), ("--http", "slack_signing_secret"))
        if getattr(settings, key)
    ]
    return Finding("settings", True, f"complete for `serve` ({' and '.join(modes)}) and `poll`")


def _sealer(settings: Settings) -> Sealer | None:
    keys = settings.encryption_keys()
    return Sealer(keys) if keys else None


def _installed_workspaces(settings: Settings, *, readable: bool) -> Iterator[Finding]:
    """auth.test for the bot token of every workspace installed by OAuth."""
    sealer = _sealer(settings)
    if not readable or sealer is None:
        return
    db = Database(settings.database_url)
    try:
        sealed = installations.all_sealed(db)
    except SQLAlchemyError as exc:
        yield Finding("slack", False, f"cannot read the installations ({exc.__class__.__name__})")
        return
    finally:
        db.dispose()
    if not sealed:
        yield Finding("slack", False, "no workspace has installed leadmover yet: open /slack/install", fatal=False)
    for _row_id, blob in sealed:
        try:
            install = json.loads(sealer.open(blob))
        except (SealBroken, SecretsUnavailable, ValueError):
            yield Finding(
                "slack",
                False,
                "an installation cannot be opened: put every key still in use in LEADMOVER_ENCRYPTION_KEY",
            )
            continue
        team = install.get("team_id") or install.get("enterprise_id") or "?"
        token = install.get("bot_token")
        if token:
            yield checks.slack_token(settings, token=str(token), label=f"the bot token of workspace {team}")[0]


def _connected_keys(settings: Settings) -> Iterator[Finding]:
    """workspaces/current for the Instantly key each workspace connected with /leads connect."""
    db = Database(settings.database_url)
    try:
        sealed = connections.all_sealed(db)
    except SQLAlchemyError as exc:
        yield Finding("instantly", False, f"cannot read the connected keys ({exc.__class__.__name__})")
        return
    finally:
        db.dispose()
    sealer = _sealer(settings)
    if sealed and sealer is None:
        yield Finding("instantly", False, f"{len(sealed)} workspace(s) connected a key: set LEADMOVER_ENCRYPTION_KEY")
        return
    for team_id, blob in sealed:
        assert sealer is not None
        try:
            api_key = sealer.open(blob)
        except (SealBroken, SecretsUnavailable):
            yield Finding(
                "instantly",
                False,
                f"workspace {team_id}'s key cannot be opened: put every key still in use in LEADMOVER_ENCRYPTION_KEY",
            )
            continue
        yield checks.instantly_key(settings, api_key=api_key, label=f"the key workspace {team_id} connected")

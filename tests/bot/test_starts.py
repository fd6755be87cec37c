"""The start queue sends moves on threads of its own and hands each outcome on; a full queue loses nothing."""

from __future__ import annotations

import threading

import httpx

from bot.moves import MoveService
from bot.starts import StartQueue
from storage import jobs
from storage.db import Database
from storage.models import Phase
from storage.records import JobRecord
from tests.factories import for_every_team, requested_job
from tests.stand_ins import instantly_client, instantly_job


def _service(db: Database, handler: object) -> MoveService:
    return MoveService(db=db, instantly=for_every_team(instantly_client(handler)), owner="web-1", poll_interval=3.0)  # type: ignore[arg-type]


def test_a_queued_move_is_sent_on_a_worker_and_its_outcome_handed_on(sqlite_db: Database) -> None:
    outcomes: list[tuple[JobRecord, str]] = []
    queue = StartQueue(moves=_service(sqlite_db, lambda _r: httpx.Response(200, json=instantly_job())), workers=2)

    assert queue.submit(requested_job(sqlite_db), then=lambda r: outcomes.append((r, threading.current_thread().name)))
    assert queue.wait_idle(timeout=5)
    queue.close()

    [(record, thread)] = outcomes
    assert (record.phase, record.instantly_job_id) == (Phase.RUNNING, "a" * 24)
    assert thread.startswith("leadmover-start-"), "sent off the caller's thread"


def test_a_slow_instantly_holds_only_the_queues_workers(sqlite_db: Database) -> None:
    release = threading.Event()

    def slow(_request: httpx.Request) -> httpx.Response:
        release.wait(5)
        return httpx.Response(200, json=instantly_job())

    queue = StartQueue(moves=_service(sqlite_db, slow), workers=1)
    records = [requested_job(sqlite_db) for _ in range(3)]
    accepted = [queue.submit(record, then=lambda _r: None) for record in records]

    assert accepted == [True, True, True], "submitting never waits for Instantly"
    release.set()
    assert queue.wait_idle(timeout=10)
    queue.close()


def test_a_full_queue_refuses_and_the_move_waits_for_its_lease(sqlite_db: Database) -> None:
    release = threading.Event()

    def stuck(_request: httpx.Request) -> httpx.Response:
        release.wait(5)
        return httpx.Response(200, json=instantly_job())

    queue = StartQueue(moves=_service(sqlite_db, stuck), workers=1, capacity=1)
    first, second, third = (requested_job(sqlite_db, lease_seconds=0.1) for _ in range(3))
    queue.submit(first, then=lambda _r: None)
    assert queue.wait_idle(timeout=0.2) is False, "the worker is busy with the first"
    queue.submit(second, then=lambda _r: None)

    assert queue.submit(third, then=lambda _r: None) is False
    release.set()
    queue.close(grace=5)
    left = jobs.get(sqlite_db, job_id=third.id)
    assert left is not None
    assert left.phase == Phase.REQUESTED, "still written down: a poller sends it once the lease has run out"
    assert third.id in [orphan.id for orphan in jobs.claim_orphans(sqlite_db, owner="poller", lease_seconds=30)]


def test_a_failing_send_is_logged_and_the_worker_goes_on(sqlite_db: Database) -> None:
    calls: list[int] = []

    def broken_then(_record: JobRecord) -> None:
        calls.append(1)
        raise RuntimeError("boom")

    job_ids = iter(["a" * 24, "b" * 24])
    queue = StartQueue(
        moves=_service(sqlite_db, lambda _r: httpx.Response(200, json=instantly_job(next(job_ids)))), workers=1
    )
    queue.submit(requested_job(sqlite_db), then=broken_then)
    queue.submit(requested_job(sqlite_db), then=broken_then)

    assert queue.wait_idle(timeout=5)
    queue.close()
    assert calls == [1, 1]

"""The poller asks Instantly about many jobs at once and fills its batches before spending a request."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.instantly.client import InstantlyClient
from bot.instantly.schemas import MoveLeadsRequest
from bot.moves import MoveService
from bot.poller import Poller
from simulators.instantly import FakeInstantly
from storage import job_claims, jobs
from storage.clock import utcnow
from storage.db import Database
from storage.models import JobRow
from storage.orders import LeadFilters
from tests.factories import an_order, campaign, for_every_team, lead_list, running_job

# A round of a hundred polls takes half a second on an idle machine, three times that on a busy one (the suite runs
# in two processes), and the test of leftovers counts on two rounds ending within one interval.
INTERVAL = 2.0


@pytest.fixture
def fake() -> Iterator[FakeInstantly]:
    with FakeInstantly(progress_steps=tuple(range(1, 100))) as running:
        yield running


def _poller(db: Database, fake: FakeInstantly, client: InstantlyClient, running: int) -> Poller:
    source, destination = fake.add_campaign("From"), fake.add_list("To")
    for _ in range(running):
        job = client.move_leads(MoveLeadsRequest(campaign=source, to_list_id=destination))
        order = an_order(source=campaign(source, "From"), destination=lead_list(destination, "To"))
        running_job(db, job.id, status=job.status, order=order)
    with db.session() as session:  # all due from this moment, however long the set-up took
        session.execute(update(JobRow).values(next_poll_at=utcnow()))
    moves = MoveService(db=db, instantly=for_every_team(client), owner="p", poll_interval=INTERVAL)
    return Poller(db=db, instantly=for_every_team(client), moves=moves, interval=INTERVAL, owner="p")


def _batches(fake: FakeInstantly) -> list[int]:
    return [len(r.query["ids"].split(",")) for r in fake.requests if "ids" in r.query]


def test_a_few_jobs_are_all_polled_every_round(sqlite_db: Database, fake: FakeInstantly) -> None:
    with InstantlyClient(api_key=fake.api_key, base_url=fake.base_url) as client:
        poller = _poller(sqlite_db, fake, client, running=30)
        assert poller.tick() == 30
        assert _batches(fake) == [30]


def test_leftovers_wait_to_share_a_full_batch_but_never_more_than_an_interval(
    sqlite_db: Database, fake: FakeInstantly
) -> None:
    with InstantlyClient(api_key=fake.api_key, base_url=fake.base_url) as client:
        poller = _poller(sqlite_db, fake, client, running=150)
        poller.tick()
        assert _batches(fake) == [100]
        poller.tick()
        assert _batches(fake) == [100], "50 left over should wait for company, not cost a request of their own"
        time.sleep(INTERVAL)
        poller.tick()
        assert _batches(fake) == [100, 100], "a full batch again: the oldest go first"
        polled = {job_id for r in fake.requests if "ids" in r.query for job_id in r.query["ids"].split(",")}
        assert len(polled) == 150, "the leftovers must be polled within one more interval"


def test_jobs_about_to_end_go_first_and_never_wait_for_company(sqlite_db: Database, fake: FakeInstantly) -> None:
    with InstantlyClient(api_key=fake.api_key, base_url=fake.base_url) as client:
        poller = _poller(sqlite_db, fake, client, running=150)
        with sqlite_db.session() as session:  # the newest job's pace says it ends now: it would be a leftover
            newest = session.query(JobRow).order_by(JobRow.id.desc()).first()
            assert newest is not None
            newest.expected_end_at = utcnow()
            ending = newest.instantly_job_id

        poller.tick()

        assert _batches(fake) == [100], "the leftovers still wait for company"
        assert ending in fake.requests[-1].query["ids"].split(","), "the job about to end went first"

        with sqlite_db.session() as session:  # now more are about to end than one batch holds
            session.execute(update(JobRow).values(next_poll_at=utcnow(), expected_end_at=utcnow()))

        poller.tick()

        assert _batches(fake) == [100, 100, 50], "none of them waits"


def test_jobs_due_before_the_next_sweep_ride_in_this_ones_request(sqlite_db: Database, fake: FakeInstantly) -> None:
    with InstantlyClient(api_key=fake.api_key, base_url=fake.base_url) as client:
        poller = _poller(sqlite_db, fake, client, running=30)
        with sqlite_db.session() as session:
            soon, later = utcnow() + timedelta(seconds=INTERVAL / 6), utcnow() + timedelta(seconds=INTERVAL * 2)
            session.execute(update(JobRow).where(JobRow.id % 2 == 0).values(next_poll_at=soon))
            session.execute(update(JobRow).where(JobRow.id % 3 == 0).values(next_poll_at=later))

        assert poller.tick(sweep_only=True) == 20
        assert _batches(fake) == [20]
        assert job_claims.next_due_at(sqlite_db) is not None


def test_tidying_forgets_what_is_past_the_retention_period(sqlite_db: Database) -> None:
    order = an_order(filters=LeadFilters(search="jane@acme.com", emails=("jane@acme.com",)))
    record = running_job(sqlite_db, "a" * 24, order=order)
    jobs.finish(sqlite_db, job_id=record.id, status="success", progress=100, moved_leads=1)
    jobs.record_final_reply(sqlite_db, job_id=record.id, ts="1.1")
    client = InstantlyClient(api_key="k", base_url="https://instantly.invalid/api/v2")
    moves = MoveService(db=sqlite_db, instantly=for_every_team(client), owner="p", poll_interval=INTERVAL)
    keeping = Poller(
        db=sqlite_db, instantly=for_every_team(client), moves=moves, interval=INTERVAL, retention=timedelta(days=90)
    )
    forgetting = Poller(
        db=sqlite_db, instantly=for_every_team(client), moves=moves, interval=INTERVAL, retention=timedelta(0)
    )

    assert keeping.tidy().job_details == 0
    assert forgetting.tidy().job_details == 1

    kept = jobs.get(sqlite_db, job_id=record.id)
    assert kept is not None
    assert kept.order.filters == LeadFilters()


def test_a_batch_carries_only_the_job_ids_of_one_instantly_key(sqlite_db: Database, fake: FakeInstantly) -> None:
    other = fake.add_workspace(name="Globex", api_key="globex-key-000001")
    started: dict[str, list[str]] = {}
    clients = {
        "T1": InstantlyClient(api_key=fake.api_key, base_url=fake.base_url),
        "T2": InstantlyClient(api_key="globex-key-000001", base_url=fake.base_url),
    }
    for team, workspace_source, workspace_destination in (
        ("T1", fake.add_campaign("From"), fake.add_list("To")),
        ("T2", other.add_campaign("From"), other.add_list("To")),
    ):
        order = an_order(source=campaign(workspace_source, "From"), destination=lead_list(workspace_destination, "To"))
        for _ in range(3):
            job = clients[team].move_leads(
                MoveLeadsRequest(campaign=workspace_source, to_list_id=workspace_destination)
            )
            running_job(sqlite_db, job.id, status=job.status, order=order, team=team)
            started.setdefault(team, []).append(job.id)
    with sqlite_db.session() as session:
        session.execute(update(JobRow).values(next_poll_at=utcnow()))
    moves = MoveService(db=sqlite_db, instantly=clients.__getitem__, owner="p", poll_interval=INTERVAL)
    poller = Poller(db=sqlite_db, instantly=clients.__getitem__, moves=moves, interval=INTERVAL, owner="p")
    try:
        assert poller.tick() == 6
        for team, key in (("T1", fake.api_key), ("T2", "globex-key-000001")):
            batches = [r.query["ids"].split(",") for r in fake.requests_with_key(key) if "ids" in r.query]
            assert batches == [started[team]] or sorted(batches[0]) == sorted(started[team])
            assert len(batches) == 1
        assert all(r.status == 200 for r in fake.requests)  # no id was asked of a key that cannot see it
    finally:
        for client in clients.values():
            client.close()


def test_with_few_running_the_jobs_due_within_an_interval_ride_with_the_first_due(
    sqlite_db: Database, fake: FakeInstantly
) -> None:
    with InstantlyClient(api_key=fake.api_key, base_url=fake.base_url) as client:
        poller = _poller(sqlite_db, fake, client, running=12)
        with sqlite_db.session() as session:
            session.execute(update(JobRow).where(JobRow.id > 2).values(next_poll_at=utcnow() + timedelta(seconds=0.4)))
            # Their first percent took ten minutes: no end in sight brings one forward (bot.cadence), whatever the
            # moments each was written down at.
            session.execute(update(JobRow).values(progress_seen_at=utcnow() - timedelta(minutes=10)))

        assert poller.tick(sweep_only=True) == 12, "two were due; the other ten were due within the interval"
        assert _batches(fake) == [12]
        due = {record.next_poll_at for record in jobs.recent(sqlite_db, limit=20)}
        assert max(due) - min(due) < timedelta(seconds=0.1), "from now on they are due together"

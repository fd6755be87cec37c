"""The poller: claims due jobs from storage, asks Instantly about them in batches, hands each answer to moves.

It follows every unfinished job in the database, so a restart picks up where the last process stopped.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from bot import cadence, logs
from bot.instantly.client import MAX_IDS_PER_REQUEST, InstantlyClient
from bot.instantly.errors import InstantlyError, InstantlyNotFound
from bot.instantly.schemas import BackgroundJob
from bot.moves import InstantlyFor, MoveService
from storage import job_claims, jobs, retention, workspaces
from storage.clock import utcnow
from storage.db import Database
from storage.models import Phase
from storage.records import JobRecord

log = logging.getLogger(__name__)

# Enough for a thousand jobs polled every interval (ten requests), within the default request budget.
MAX_JOBS_PER_TICK = 2000
# How often old data is looked for; forgetting is a small batch each time, so a backlog drains over rounds.
TIDY_EVERY_SECONDS = 600.0


def default_owner() -> str:
    """A name for this poller's leases that differs between replicas and restarts."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Poller:
    def __init__(
        self,
        *,
        db: Database,
        instantly: InstantlyFor,
        moves: MoveService,
        interval: float,
        owner: str | None = None,
        lease_seconds: float | None = None,
        retention: timedelta = timedelta(days=90),
        expire_approvals: Callable[[], int] = lambda: 0,
    ) -> None:
        self._db = db
        self._instantly = instantly
        self._moves = moves
        self.interval = interval
        self.owner = owner or default_owner()
        # A lease covers one round's work; a dead replica's jobs are free again once it runs out.
        self._lease_seconds = lease_seconds if lease_seconds is not None else 60.0
        self._retention = retention
        self._expire_approvals = expire_approvals
        self._next_tidy = 0.0
        self._next_full_round = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_round_ended: float | None = None  # time.monotonic(), for readiness (bot.health)

    def tidy(self) -> retention.Forgotten:
        """Forget what is older than the retention period (see storage.retention)."""
        forgotten = retention.forget_before(self._db, cutoff=utcnow() - self._retention)
        if forgotten != retention.Forgotten(0, 0, 0):
            log.info("forgot data past the %s retention period: %s", self._retention, forgotten)
        return forgotten

    def tick(self, *, sweep_only: bool = False) -> int:
        """One round: expire undecided approvals, recover orphaned requests, poll the due jobs in batches; with
        `sweep_only`, only the polling (the sweeps between full rounds, for jobs about to end).

        Returns how many jobs it handled."""
        claimed: list[int] = []
        logs.bind()
        try:
            if sweep_only:
                return self._poll_due(claimed)
            self._expire_approvals()
            return self._recover_orphans(claimed) + self._poll_due(claimed)
        finally:
            # Whatever this round claimed but could not finish is free for any replica on the next one.
            if claimed:
                job_claims.release_leases(self._db, owner=self.owner, job_ids=claimed)

    def _recover_orphans(self, claimed: list[int]) -> int:
        orphans = job_claims.claim_orphans(self._db, owner=self.owner, lease_seconds=self._lease_seconds)
        claimed.extend(record.id for record in orphans)
        for record in orphans:
            logs.bind(team_id=record.team_id, user_id=record.user_id, job=record.id)
            self._moves.recover(record)
        return len(orphans)

    def _poll_due(self, claimed: list[int]) -> int:
        paused = workspaces.revoked_teams(self._db)
        # A job due before the next sweep rides in this one's request: one request, not two.
        now = utcnow()
        due_by = now + timedelta(seconds=cadence.fast_interval(self.interval))
        next_due = job_claims.next_due_at(self._db)
        if next_due is not None and next_due <= due_by and self._few_running():
            # Every running job fits in one request: once one is due, those due within an interval go with it, so a
            # few jobs poll together from then on instead of one request each.
            due_by = now + timedelta(seconds=self.interval)
        records = job_claims.claim_due(
            self._db,
            owner=self.owner,
            lease_seconds=self._lease_seconds,
            skip_teams=paused,
            limit=MAX_JOBS_PER_TICK,
            due_by=due_by,
        )
        claimed.extend(record.id for record in records)
        handled = 0
        for client, group in self._by_key(records):
            handled += self._poll_group(client, group)
        return handled

    def _few_running(self) -> bool:
        return jobs.count_in_phase(self._db, phase=Phase.RUNNING) <= MAX_IDS_PER_REQUEST

    def _by_key(self, records: list[JobRecord]) -> list[tuple[InstantlyClient, list[JobRecord]]]:
        """The due jobs grouped by the Instantly client (so the key) that may ask about them: a batch never
        carries one workspace's job ids under another's key."""
        groups: dict[int, tuple[InstantlyClient, list[JobRecord]]] = {}
        clients: dict[str, InstantlyClient | None] = {}
        for record in records:
            if record.team_id not in clients:
                try:
                    clients[record.team_id] = self._instantly(record.team_id)
                except InstantlyError as exc:  # no key: the lease is released and the job waits for one
                    log.warning("workspace %s: cannot poll its jobs: %s", record.team_id, exc)
                    clients[record.team_id] = None
            client = clients[record.team_id]
            if client is not None:
                groups.setdefault(id(client), (client, []))[1].append(record)
        return list(groups.values())

    def _poll_group(self, client: InstantlyClient, records: list[JobRecord]) -> int:
        records = self._whole_batches(records)
        if not records:
            return 0
        ids = [r.instantly_job_id for r in records if r.instantly_job_id]
        try:
            found = {job.id: job for job in client.list_jobs(ids=ids)}
        except InstantlyError as exc:
            log.warning("polling %d jobs failed, will retry: %s", len(ids), exc)
            return 0
        seen: list[tuple[JobRecord, BackgroundJob | None]] = []
        for record in records:
            job_id = record.instantly_job_id or ""
            logs.bind(team_id=record.team_id, user_id=record.user_id, job=record.id, instantly_job_id=job_id)
            try:
                seen.append((record, found[job_id] if job_id in found else self._lookup_missing(client, job_id)))
            except InstantlyError as exc:
                # Left due: the next round tries again.
                log.warning("job %s: could not follow it this round: %s", record.id, exc)
        logs.bind(team_id=records[0].team_id if len({r.team_id for r in records}) == 1 else None)
        return self._moves.follow_many(seen)

    def _whole_batches(self, records: list[JobRecord]) -> list[JobRecord]:
        """The due jobs worth a request now: whole batches of a hundred, and a partial one only when it must go.

        A batch costs one request however full it is. With more than a hundred jobs running, the few left over
        wait (at most one more interval) to share the next request, which keeps polling under 0.2 requests per
        job-minute; with fewer, every job is polled every interval. A job about to end never waits: its reply would.
        """
        now = utcnow()
        records = sorted(records, key=lambda record: (not self._ending(record, now), record.next_poll_at))
        whole = len(records) // MAX_IDS_PER_REQUEST * MAX_IDS_PER_REQUEST
        if whole == len(records) or any(self._ending(record, now) for record in records[whole:]):
            return records
        teams = {record.team_id for record in records}
        running = jobs.count_in_phase(self._db, phase=Phase.RUNNING, team_ids=teams)
        if running <= MAX_IDS_PER_REQUEST:
            return records
        overdue = (now - records[whole].next_poll_at).total_seconds()
        return records if overdue >= self.interval else records[:whole]

    def _ending(self, record: JobRecord, now: datetime) -> bool:
        """Its pace says it ends within an interval (or it is overdue): looked at closely (bot.cadence)."""
        ends = record.expected_end_at
        return ends is not None and now >= ends - timedelta(seconds=self.interval)

    @staticmethod
    def _lookup_missing(client: InstantlyClient, job_id: str) -> BackgroundJob | None:
        # Absent from the batch: ask for it alone before deciding Instantly forgot it.
        try:
            return client.get_job(job_id)
        except InstantlyNotFound:
            return None

    def run(self) -> None:
        log.info("poller %s following jobs every %.1fs", self.owner, self.interval)
        while not self._stop.is_set():
            try:
                now = time.monotonic()
                if now >= self._next_tidy:
                    self._next_tidy = now + TIDY_EVERY_SECONDS
                    self.tidy()
                full = now >= self._next_full_round
                if full:
                    self._next_full_round = now + self.interval
                self.tick(sweep_only=not full)
                self.last_round_ended = time.monotonic()
            except Exception:
                # The loop must outlive any one bad round; the traceback goes to the log, never to Slack.
                log.exception("poller round failed")
            self._stop.wait(self._until_next_sweep())
        log.info("poller %s stopped", self.owner)

    def _until_next_sweep(self) -> float:
        """Seconds until the next job is due: at least a fast interval, at most a plain one (orphans and expiring
        approvals are looked for at least that often)."""
        fast = cadence.fast_interval(self.interval)
        try:
            due = job_claims.next_due_at(self._db)
        except Exception:
            log.exception("could not read when the next job is due")
            return self.interval
        if due is None:
            return self.interval
        return min(self.interval, max(fast, (due - utcnow()).total_seconds()))

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="leadmover-poller", daemon=True)
        self._thread.start()

    def stop(self, *, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

"""Watching a workspace (/leads watch): a channel hears of every Instantly background job (or of some types),
announced once and followed to its end like a tracked job.

Instantly sends no webhook for background jobs, so one lister per workspace (a lease, across replicas) reads
`GET /background-jobs` newest-updated first, page by page, down to the high-water mark it kept, at most once per
LEADMOVER_WATCH_SECONDS and on the budget's small discovery share. Each job it finds that the workspace does not
follow yet becomes a followed job (storage.tracked), which the batch poller then follows as any other.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from bot.access import AccessService
from bot.instantly.errors import InstantlyError
from bot.instantly.schemas import BackgroundJob
from bot.job_headlines import JobHeadlines
from bot.moves import InstantlyFor, MoveService, parse_time
from bot.slack.blocks.messages import job_type_words
from bot.workspaces import NotInstalled, Workspaces
from storage import audit, tracked, watches
from storage.clock import utcnow
from storage.db import Database
from storage.watches import Lister, Watch

log = logging.getLogger(__name__)

# The words /leads watch takes, and the Instantly job types each stands for ("all": every type, even new ones).
KINDS: Final[dict[str, tuple[str, ...]]] = {
    "imports": ("import-leads", "import-subscribers-from-crm"),
    "exports": ("export-leads",),
    "moves": ("move-leads",),
    "warmup": ("update-warmup-accounts",),
    "all": (),
}
PAGE: Final = 100
# A round reads at most this many pages: a workspace that made more jobs than that since the last round is caught
# up over the next rounds, newest first, rather than in one long burst.
MAX_PAGES: Final = 20
TICK_SECONDS: Final = 1.0
ADMINS_ONLY: Final = "Only workspace admins may choose which channels hear of every Instantly job."


def _words_of(job_types: tuple[str, ...]) -> str:
    if not job_types:
        return "every Instantly background job"
    return ", ".join(job_type_words(kind).lower() for kind in job_types) + " jobs"


def _started_at(job: BackgroundJob) -> datetime:
    """When Instantly made the job; one without a readable time goes last."""
    return parse_time(job.created_at) or datetime.max


class WatchService:
    def __init__(
        self,
        *,
        db: Database,
        access: AccessService,
        workspaces: Workspaces,
        instantly: InstantlyFor,
        moves: MoveService,
        owner: str,
        every: timedelta,
        follow_limit: timedelta,
        poll_interval: float,
        lease_seconds: float = 60.0,
        notify: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._db = db
        self._access = access
        self._workspaces = workspaces
        self._instantly = instantly
        self._moves = moves
        self._owner = owner
        self._every = every
        self._follow_limit = follow_limit
        self._poll_interval = poll_interval
        self._lease_seconds = lease_seconds
        self._notify = notify
        self._clock = clock
        self._headlines = JobHeadlines(workspaces=workspaces, instantly=instantly)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- what admins do ----------------------------------------------------------------------------------------

    def watch(self, *, team_id: str, user_id: str, channel_id: str, words: str) -> str:
        """`/leads watch [imports exports moves warmup | all]` in a channel: it hears of those jobs from now."""
        if not self._access.is_admin(team_id=team_id, user_id=user_id):
            return ADMINS_ONLY
        asked = [word.strip(",").lower() for word in words.split() if word.strip(",")]
        unknown = [word for word in asked if word not in KINDS]
        if unknown:
            return (
                f"I don't know `{unknown[0][:30]}`. Say which jobs this channel hears of: "
                f"{', '.join(f'`{kind}`' for kind in KINDS)} (the default)."
            )
        job_types: tuple[str, ...] = ()
        if asked and "all" not in asked:
            job_types = tuple(dict.fromkeys(kind for word in asked for kind in KINDS[word]))
        watches.watch(self._db, team_id=team_id, channel_id=channel_id, job_types=job_types, by=user_id)
        self._audit(team_id, user_id, "watch", channel_id, _words_of(job_types))
        return (
            f"<#{channel_id}> now hears of {_words_of(job_types)} in this workspace's Instantly: each is announced "
            "here once, followed, and answered in its thread when it ends. `/leads unwatch` here ends it."
        )

    def unwatch(self, *, team_id: str, user_id: str, channel_id: str) -> str:
        if not self._access.is_admin(team_id=team_id, user_id=user_id):
            return ADMINS_ONLY
        if not watches.unwatch(self._db, team_id=team_id, channel_id=channel_id):
            return f"<#{channel_id}> was not watching Instantly's jobs. `/leads watches` lists the channels that do."
        self._audit(team_id, user_id, "unwatch", channel_id, "stopped")
        return f"<#{channel_id}> no longer hears of new Instantly jobs. Jobs already announced are still followed."

    def listed(self, *, team_id: str) -> list[Watch]:
        return watches.of_team(self._db, team_id=team_id)

    def described(self, watch: Watch) -> str:
        return f"<#{watch.channel_id}>: {_words_of(watch.job_types)}, since <@{watch.set_by}> asked"

    def _audit(self, team_id: str, user_id: str, action: str, channel_id: str, outcome: str) -> None:
        detail = {"channel": channel_id}
        audit.record(self._db, team_id=team_id, user_id=user_id, action=action, detail=detail, outcome=outcome)

    # --- discovery ---------------------------------------------------------------------------------------------

    def tick(self) -> int:
        """One round for each watched workspace whose round is due and that no other process holds; how many."""
        rounds = 0
        now = self._clock()
        for team_id in watches.watched_teams(self._db):
            lister = watches.take_lister(
                self._db, team_id=team_id, owner=self._owner, lease_seconds=self._lease_seconds, now=now
            )
            if lister is None:
                continue
            rounds += 1
            high_water, seen = lister.high_water, lister.seen_at_high_water
            try:
                high_water, seen = self._round(lister)
            except (InstantlyError, NotInstalled) as exc:
                log.warning("discovery of workspace %s's Instantly jobs failed: %s; next round as usual", team_id, exc)
            except Exception:
                log.exception("discovery of workspace %s's Instantly jobs failed", team_id)
            watches.finish_round(
                self._db,
                team_id=team_id,
                owner=self._owner,
                high_water=high_water,
                seen_at_high_water=seen,
                next_round_at=now + self._every,
            )
        return rounds

    def _round(self, lister: Lister) -> tuple[str | None, tuple[str, ...]]:
        """Read the jobs updated since the high-water mark and follow the new ones; the new mark."""
        team_id = lister.team_id
        listening = watches.of_team(self._db, team_id=team_id)
        if not listening:
            return lister.high_water, lister.seen_at_high_water
        # A workspace watched for the first time hears of jobs updated from the moment it was first watched.
        floor = parse_time(lister.high_water or "") or min(w.set_at for w in listening)
        found = self._updated_since(team_id, floor, set(lister.seen_at_high_water))
        if not found:
            return lister.high_water, lister.seen_at_high_water
        newest = found[0].updated_at
        seen = tuple(job.id for job in found if job.updated_at == newest)
        if newest == lister.high_water:
            seen = tuple(dict.fromkeys((*lister.seen_at_high_water, *seen)))
        self._follow_new(team_id, listening, found)
        return newest, seen

    def _updated_since(self, team_id: str, floor: datetime, seen: set[str]) -> list[BackgroundJob]:
        """The jobs updated after `floor` (and those at it not in `seen`), newest first.

        A job updated while the later pages are read moves to the top, past the cursor: so after more than one page
        the first is read once more, and what moved up meanwhile is found in this round rather than the next."""
        client = self._instantly(team_id)
        found: list[BackgroundJob] = []
        after: str | None = None
        pages = 0
        while pages < MAX_PAGES:
            pages += 1
            page = client.jobs_updated_since(starting_after=after, limit=PAGE)
            ended = not page.next_starting_after or not page.items
            for job in page.items:
                updated = parse_time(job.updated_at) or floor
                if updated < floor or (updated == floor and job.id in seen):
                    ended = True
                    break
                found.append(job)
            if ended:
                break
            after = page.next_starting_after
        if pages == 1 or not found:
            return found
        newest = parse_time(found[0].updated_at) or floor
        moved_up = [
            job
            for job in client.jobs_updated_since(starting_after=None, limit=PAGE).items
            if (parse_time(job.updated_at) or floor) > newest
        ]
        ids = {job.id for job in moved_up}
        return moved_up + [job for job in found if job.id not in ids]

    def _follow_new(self, team_id: str, listening: list[Watch], found: list[BackgroundJob]) -> None:
        known = watches.followed_ids(self._db, team_id=team_id, instantly_job_ids=[job.id for job in found])
        oldest = self._clock() - self._follow_limit
        new: list[tuple[Watch, BackgroundJob, str]] = []
        # The oldest first, so that the channel reads them in the order they were started (the listing's order is by
        # update: a job that moved on meanwhile comes first in it).
        for job in sorted(reversed(found), key=_started_at):
            started = parse_time(job.created_at)
            if job.id in known or (started is not None and started < oldest):
                continue
            hearing = next((w for w in listening if w.hears_of(job.type)), None)
            if hearing is None:
                continue
            if job.type == "move-leads" and watches.moves_starting(self._db, team_id=team_id):
                # Maybe leadmover's own, its id not written down yet: it updates again as it runs, and is known then.
                continue
            new.append((hearing, job, self._headlines.headline(team_id, job)))
        # Named first, then written down in one transaction: the writer finds the round's jobs side by side, to
        # share a message when they are many.
        sightings = [
            tracked.Sighting(
                channel_id=hearing.channel_id,
                user_id=hearing.set_by,
                instantly_job_id=job.id,
                job_type=job.type,
                status=job.status,
                progress=round(job.progress),
                next_poll_at=utcnow() + timedelta(seconds=self._poll_interval),
                started_at=parse_time(job.created_at),
                via="watch",
                via_name=headline,
            )
            for hearing, job, headline in new
        ]
        followed = tracked.record_all(self._db, team_id=team_id, sightings=sightings) if sightings else []
        for (_, job, _), result in zip(new, followed, strict=True):
            if job.is_terminal and not result.already:  # ended between two rounds: its reply follows at once
                self._moves.follow(result.record, job)
        if any(not result.already for result in followed):
            self._notify()

    # --- the loop ----------------------------------------------------------------------------------------------

    def run(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            try:
                self.tick()
            except Exception:
                log.exception("watch round failed")
        try:
            watches.release_leases(self._db, owner=self._owner)
        except Exception:
            log.exception("could not release the watcher's leases; they will expire")

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="leadmover-watcher", daemon=True)
        self._thread.start()

    def stop(self, *, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

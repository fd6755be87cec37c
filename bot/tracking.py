"""`/leads track <job-id>`: follow an Instantly background job started elsewhere (an import, an export, a move made in
Instantly's app…) in a thread, with the same progress bar and final reply as a move leadmover started. A job followed
already is shown only to those who may see it: whoever asked for it, admins and the members of its channel."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from bot import job_refs
from bot.access import AccessService
from bot.instantly.errors import InstantlyError, InstantlyForbidden, InstantlyNotFound, Moment, in_words
from bot.moves import InstantlyFor, MoveService, parse_time
from bot.slack.blocks.messages import escape, job_name, job_number, job_type_words
from bot.slack.channel_members import ChannelMembers
from storage import audit, jobs, tracked
from storage.clock import utcnow
from storage.db import Database
from storage.records import JobRecord

log = logging.getLogger(__name__)

# The scope a key needs to read background jobs (REFERENCE.md: with a hyphen).
JOBS_SCOPE = "background-jobs:read"
# A person is waiting for the answer: one quick look, not the poller's patient retries.
LOOKUP_SECONDS = 5.0


@dataclass(frozen=True)
class Tracking:
    """What came of a request to follow a job, and words to answer: `record` when it is followed (now or before) and
    the person may see it; `already` when it was followed before."""

    answer: str
    record: JobRecord | None = None
    already: bool = False


class TrackingService:
    def __init__(
        self,
        *,
        db: Database,
        access: AccessService,
        members: ChannelMembers,
        instantly: InstantlyFor,
        moves: MoveService,
        poll_interval: float,
        notify: Callable[[], None] = lambda: None,
    ) -> None:
        self._db = db
        self._access = access
        self._members = members
        self._instantly = instantly
        self._moves = moves
        self._poll_interval = poll_interval
        self._notify = notify

    def track(self, *, team_id: str, user_id: str, channel_id: str, job_id: str) -> Tracking:
        """Follow Instantly job `job_id` in `channel_id` for `user_id`; a job that has ended is answered at once."""
        job_id = job_id.strip().strip("`<>").lower()
        shown = escape(job_id[:64])
        if not job_id:
            return Tracking("Say which Instantly job to follow: `/leads track` and its id, as Instantly shows it.")
        ref = job_refs.parse(job_id)
        if ref is None:
            return Tracking(
                f"`{shown}` is not a job: name one by its number, like `#12`, or by Instantly's id, 24 characters "
                "of 0-9 and a-f like `66f0c2a1b3d4e5f601234567`."
            )
        refused = self._access.refusal_to_move(team_id=team_id, user_id=user_id)
        if refused is not None:
            return Tracking(refused)
        earlier = jobs.find(self._db, team_id=team_id, reference=ref.lookup)
        if earlier is None and ref.number is not None:  # a number is leadmover's: there is no such job to follow
            return Tracking(f"I found no job {job_number(ref.number)} in this workspace. `/leads jobs` lists yours.")
        if earlier is not None:
            return self._followed_already(earlier, team_id=team_id, user_id=user_id, channel_id=channel_id)
        try:
            job = self._instantly(team_id).get_job(job_id, with_counts=False, timeout=LOOKUP_SECONDS)
        except InstantlyNotFound:
            return Tracking(f"Instantly has no job `{shown}` in this workspace.")
        except InstantlyForbidden:
            return Tracking(f"I could not follow job `{shown}`: leadmover's Instantly API key lacks `{JOBS_SCOPE}`.")
        except InstantlyError as exc:
            log.info("could not look up Instantly job %s for tracking: %s", job_id, exc)
            return Tracking(f"I could not follow job `{shown}`: {escape(in_words(exc, moment=Moment.FOLLOW))}")
        followed = tracked.record_tracked(
            self._db,
            team_id=team_id,
            channel_id=channel_id,
            user_id=user_id,
            instantly_job_id=job.id,
            job_type=job.type,
            status=job.status,
            progress=round(job.progress),
            next_poll_at=utcnow() + timedelta(seconds=self._poll_interval),
            started_at=parse_time(job.created_at),
        )
        if followed.already:  # a concurrent request won the race
            return self._followed_already(followed.record, team_id=team_id, user_id=user_id, channel_id=channel_id)
        record = followed.record
        audit.record(
            self._db,
            team_id=team_id,
            user_id=user_id,
            action="track",
            detail={"job": record.id, "channel": channel_id, "type": job.type},
            instantly_job_id=job.id,
            outcome=f"following: {job.status}",
        )
        if job.is_terminal:
            # Ended before anyone asked: its reply follows its announcement straight away.
            record = self._moves.follow(record, job)
        self._notify()
        kind = job_type_words(record.job_type).lower()
        return Tracking(f"Following that Instantly job ({kind}) in <#{channel_id}> as job #{record.id}.", record=record)

    def _followed_already(self, record: JobRecord, *, team_id: str, user_id: str, channel_id: str) -> Tracking:
        """Where a job is followed and who asked, for those who may see it; to anyone else only that it is."""
        if not self._may_see(record, team_id=team_id, user_id=user_id, channel_id=channel_id):
            return Tracking("That job is already followed, so I did not follow it again.", already=True)
        number = job_number(record.id)
        answer = (
            f"{job_name(record)} is already followed in <#{_where(record)}>, asked by <@{record.user_id}>. "
            f"`/leads status {number}` shows where it stands."
        )
        return Tracking(answer, record=record, already=True)

    def _may_see(self, record: JobRecord, *, team_id: str, user_id: str, channel_id: str) -> bool:
        """Whether the person asked for the job, typed where it is followed, is an admin or is in its channel; when
        Slack cannot say who is in the channel, they may not."""
        if user_id == record.user_id or channel_id == _where(record):
            return True
        if self._access.is_admin(team_id=team_id, user_id=user_id):
            return True
        return self._members.includes(team_id=team_id, channel_id=_where(record), user_id=user_id) is True


def _where(record: JobRecord) -> str:
    """The channel a job's thread is in."""
    return record.announcement_channel or record.channel_id

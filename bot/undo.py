"""Taking a finished move back: the leads Instantly says moved go from the destination back to the source, as one
new move (or a few), started once however often the button is pressed or the confirmation sent."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

from bot.access import AccessService
from bot.instantly.errors import InstantlyError
from bot.moves import InstantlyFor, MoveService, Requester, explain
from bot.slack.blocks.undo_messages import NOT_REPORTED, offers_move_back
from bot.starts import StartQueue
from storage import audit, jobs, undos
from storage.db import Database
from storage.orders import LeadFilters, MoveOrder
from storage.records import JobRecord

log = logging.getLogger(__name__)

# E-mails per move back. Instantly names at most 10,000 moved leads, so this makes at most ten jobs; and no limit on
# `contacts` is documented, so each body stays small (about 30 KB) where proxies and Instantly surely take it, each
# job finishes and reports soon, and one failed chunk leaves the others' leads where they were put back.
CHUNK: Final = 1_000


@dataclass(frozen=True)
class Undone:
    """What confirming came to: `refusal` in words, or the move-back jobs (`repeat` when made by an earlier press)."""

    refusal: str | None = None
    jobs: tuple[JobRecord, ...] = ()
    leads: int = 0
    repeat: bool = False


class UndoService:
    def __init__(
        self, *, db: Database, access: AccessService, moves: MoveService, starts: StartQueue, instantly: InstantlyFor
    ) -> None:
        self._db = db
        self._access = access
        self._moves = moves
        self._starts = starts
        self._instantly = instantly

    def check(self, *, team_id: str, job_id: int, user_id: str) -> JobRecord | str:
        """The move this person may take back, or why they may not, in words."""
        record = jobs.get(self._db, job_id=job_id)
        if record is None or record.team_id != team_id:
            return "I could not find that move."
        if not offers_move_back(record):
            return NOT_REPORTED if record.moved_lead_sample == () else "This job cannot be taken back."
        admin = self._access.is_admin(team_id=team_id, user_id=user_id)
        if not admin and user_id != record.user_id:
            return f"Only <@{record.user_id}>, who asked for this move, or an admin can move these leads back."
        refused = None if admin else self._access.refusal_to_move(team_id=team_id, user_id=user_id)
        if refused is not None:
            return refused
        earlier = undos.moved_back_by(self._db, team_id=team_id, job_id=job_id)
        if earlier is not None:
            return f"These leads were already moved back (job #{earlier}), so nothing more was moved."
        return record

    def confirm(self, *, team_id: str, job_id: int, user_id: str) -> Undone:
        """Ask Instantly afresh which leads moved, write the move(s) back down, then start them."""
        checked = self.check(team_id=team_id, job_id=job_id, user_id=user_id)
        if isinstance(checked, str):
            return Undone(refusal=checked)
        record = checked
        assert record.instantly_job_id is not None  # offers_move_back saw it
        try:
            # The stored sample is a few addresses; only Instantly has the whole list (when asked for it by name).
            job = self._instantly(team_id).get_job(record.instantly_job_id, with_counts=True)
        except InstantlyError as exc:
            reason = explain(exc)
            self._audit(record, user_id, [], 0, f"not started: {reason}")
            return Undone(refusal=f"Nothing was moved back: {reason}")
        emails = list(dict.fromkeys(job.moved_lead_emails or ()))
        if not emails:
            self._audit(record, user_id, [], 0, "not started: Instantly named no moved leads")
            return Undone(refusal=NOT_REPORTED)
        requester = Requester(team_id=team_id, user_id=user_id, channel_id=record.channel_id)
        # Told in the thread of the move it takes back, where the button was; a move told by DM has no such thread.
        in_channel = record.announcement_channel == record.channel_id
        thread_ts = record.reply_thread if in_channel else None
        made = []
        for chunk, start in enumerate(range(0, len(emails), CHUNK)):
            order = MoveOrder(
                source=record.move.destination,
                destination=record.move.source,
                filters=LeadFilters(emails=tuple(emails[start : start + CHUNK])),
                takes_back=record.id,
            )
            submitted = self._moves.accept(
                order=order,
                requester=requester,
                submission_key=undos.submission_key(job_id=record.id, chunk=chunk),
                limit_in_flight=False,
                thread_ts=thread_ts,
            )
            assert submitted is not None  # only the in-flight limit refuses, and it does not apply here
            made.append(submitted)
        fresh = [s.record for s in made if not s.repeat]
        if fresh:
            made_in = f"{len(fresh)} jobs" if len(fresh) > 1 else "one job"
            self._audit(record, user_id, fresh, len(emails), f"started: {len(emails):,} leads in {made_in}")
        for new in fresh:
            self._starts.submit(new, then=lambda _record: None)
        return Undone(jobs=tuple(s.record for s in made), leads=len(emails), repeat=not fresh)

    def _audit(self, record: JobRecord, user_id: str, made: list[JobRecord], leads: int, outcome: str) -> None:
        audit.record(
            self._db,
            team_id=record.team_id,
            user_id=user_id,
            action="undo",
            detail={"job": record.id, "requester": record.user_id, "jobs": [r.id for r in made], "leads": leads},
            instantly_job_id=record.instantly_job_id,
            outcome=outcome,
        )

"""Taking a finished move back: the leads Instantly says moved go from the destination back to the source. It is a
move like any other, asked for through the door (bot.door): approved when big, counted toward the in-flight limit,
sent in parts of 1,000 e-mails, and made once however often the button is pressed or the confirmation sent."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.access import AccessService
from bot.door import Door
from bot.door_terms import (
    NOT_CONNECTED,
    AwaitingApproval,
    MoveRequest,
    NotConnected,
    Outcome,
    Refused,
    Repeat,
    TooMany,
    Via,
    too_many,
)
from bot.instantly.errors import InstantlyError, Moment, in_words
from bot.moves import InstantlyFor, Requester
from bot.slack.blocks import undo_messages
from bot.slack.blocks.messages import escape
from bot.slack.blocks.undo_messages import NOT_REPORTED, offers_move_back
from storage import audit, jobs, undos
from storage.db import Database
from storage.orders import LeadFilters, MoveOrder
from storage.records import JobRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Undone:
    """What confirming came to: `refusal` in words, or what the door made of the move back (the jobs of its parts;
    `waiting` when they wait for an approver, in `approval_channel`; `repeat` when an earlier press made them)."""

    refusal: str | None = None
    jobs: tuple[JobRecord, ...] = ()
    leads: int = 0
    repeat: bool = False
    waiting: bool = False
    approval_channel: str | None = None


class UndoService:
    def __init__(self, *, db: Database, access: AccessService, door: Door, instantly: InstantlyFor) -> None:
        self._db = db
        self._access = access
        self._door = door
        self._instantly = instantly

    def check(self, *, team_id: str, job_id: int, user_id: str) -> JobRecord | str:
        """The move this person may take back, or why they may not, in words. Whether they may move at all is the
        door's to say, when they confirm."""
        record = jobs.get(self._db, job_id=job_id)
        if record is None or record.team_id != team_id:
            return "I could not find that move."
        if record.order is not None and record.order.takes_back is not None:
            return undo_messages.NOT_AGAIN
        if not offers_move_back(record):
            return undo_messages.cannot_move_back(record) or "This job cannot be taken back."
        if user_id != record.user_id and not self._access.is_admin(team_id=team_id, user_id=user_id):
            return f"Only <@{record.user_id}>, who asked for this move, or an admin can move these leads back."
        earlier = undos.moved_back_by(self._db, team_id=team_id, job_id=job_id)
        if earlier is not None:
            return f"These leads were already moved back (job #{earlier}), so nothing more was moved."
        return record

    def confirm(self, *, team_id: str, job_id: int, user_id: str) -> Undone:
        """Ask Instantly afresh which leads moved, then ask the door to move them back, like any move."""
        checked = self.check(team_id=team_id, job_id=job_id, user_id=user_id)
        if isinstance(checked, str):
            return Undone(refusal=checked)
        record = checked
        assert record.instantly_job_id is not None  # offers_move_back saw it
        try:
            # Only Instantly has the list, when asked for it by name: read when someone asks, never when the move ends.
            job = self._instantly(team_id).get_job(record.instantly_job_id, with_counts=True)
        except InstantlyError as exc:
            reason = in_words(exc, moment=Moment.MOVE_BACK)
            self._audit(record, user_id, [], 0, f"not started: {reason}")
            return Undone(refusal=f"Nothing was moved back: {escape(reason)}")
        emails = tuple(dict.fromkeys(job.moved_lead_emails or ()))
        if not emails:
            self._audit(record, user_id, [], 0, "not started: Instantly named no moved leads")
            return Undone(refusal=NOT_REPORTED)
        # Told in the thread of the move it takes back, where the button was; a move told by DM has no such thread.
        in_channel = record.announcement_channel == record.channel_id
        outcome = self._door.submit(
            MoveRequest(
                order=MoveOrder(
                    source=record.move.destination,
                    destination=record.move.source,
                    filters=LeadFilters(emails=emails),
                    takes_back=record.id,
                ),
                requester=Requester(team_id=team_id, user_id=user_id, channel_id=record.channel_id),
                via=Via.MOVE_BACK,
                key=undos.submission_key(job_id=record.id, chunk=0),
                thread_ts=record.reply_thread if in_channel else None,
            )
        )
        return self._undone(record, user_id, outcome, leads=len(emails))

    def _undone(self, record: JobRecord, user_id: str, outcome: Outcome, *, leads: int) -> Undone:
        if isinstance(outcome, Refused):
            return Undone(refusal=outcome.words)
        if isinstance(outcome, NotConnected):
            return Undone(refusal=f"Nothing was moved back: {NOT_CONNECTED}")
        if isinstance(outcome, TooMany):
            return Undone(refusal=f"Nothing was moved back yet: {too_many(outcome.limit, outcome.retry_in)}")
        if isinstance(outcome, Repeat):
            first = outcome.first
            waiting = isinstance(first, AwaitingApproval)
            channel = first.channel_id if isinstance(first, AwaitingApproval) else None
            return Undone(jobs=first.jobs, leads=leads, repeat=True, waiting=waiting, approval_channel=channel)
        made_in = f"{len(outcome.jobs)} jobs" if len(outcome.jobs) > 1 else "one job"
        if isinstance(outcome, AwaitingApproval):
            self._audit(record, user_id, outcome.jobs, leads, f"awaiting approval: {leads:,} leads in {made_in}")
            return Undone(jobs=outcome.jobs, leads=leads, waiting=True, approval_channel=outcome.channel_id)
        self._audit(record, user_id, outcome.jobs, leads, f"started: {leads:,} leads in {made_in}")
        return Undone(jobs=outcome.jobs, leads=leads)

    def _audit(self, record: JobRecord, user_id: str, made: Sequence[JobRecord], leads: int, outcome: str) -> None:
        audit.record(
            self._db,
            team_id=record.team_id,
            user_id=user_id,
            action="undo",
            detail={"job": record.id, "requester": record.user_id, "jobs": [r.id for r in made], "leads": leads},
            instantly_job_id=record.instantly_job_id,
            outcome=outcome,
        )

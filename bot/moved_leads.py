"""Which leads a finished move moved, read from Instantly when someone asks (the Show moved leads button), never when
the move ends: the final reply is not held up for it, and a move no one asks about costs no request."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.access import AccessService
from bot.instantly.errors import InstantlyError, Moment, in_words
from bot.moves import InstantlyFor
from bot.slack.blocks.messages import escape
from bot.slack.blocks.moved_leads_messages import lists_moved_leads
from storage import jobs
from storage.db import Database
from storage.records import JobRecord

log = logging.getLogger(__name__)

# Someone pressed the button and waits: a person's priority in the request budget, and an answer within this.
READ_SECONDS = 10.0


@dataclass(frozen=True)
class MovedLeads:
    """The move and the e-mails Instantly named for it, in its order."""

    record: JobRecord
    emails: list[str]


class MovedLeadsService:
    def __init__(self, *, db: Database, access: AccessService, instantly: InstantlyFor) -> None:
        self._db = db
        self._access = access
        self._instantly = instantly

    def read(self, *, team_id: str, job_id: int, user_id: str) -> MovedLeads | str:
        """The moved e-mails of a move of this workspace, for someone who may see leads; else why not, in words.

        Lead e-mails are for the people who may move leads (the pickers and the preview show them too): a guest,
        someone from another organisation or someone off the workspace's list is told so and nothing is read.
        """
        record = jobs.get(self._db, job_id=job_id)
        if record is None or record.team_id != team_id or not lists_moved_leads(record):
            return "I could not find the leads of that move."
        refusal = self._access.refusal_to_move(team_id=team_id, user_id=user_id)
        if refusal is not None:
            return refusal
        assert record.instantly_job_id is not None  # lists_moved_leads saw it
        try:
            job = self._instantly(team_id).get_job(record.instantly_job_id, with_counts=True, timeout=READ_SECONDS)
        except InstantlyError as exc:
            log.info("job %s: could not read its moved leads: %s", record.id, exc)
            return f"I could not list the moved leads: {escape(in_words(exc, moment=Moment.MOVED_LEADS))}"
        return MovedLeads(record=record, emails=list(dict.fromkeys(e for e in job.moved_lead_emails or () if e)))

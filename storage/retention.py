"""What leadmover keeps, and for how long. Past the retention period a finished job keeps its outcome (where the
leads went, how many, when) but loses what the person typed about leads and its sample of moved e-mails; sent
outbox rows and the keys that recognise repeated submissions go entirely."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from storage.clock import utcnow
from storage.db import Database
from storage.models import JobRow, NotificationRow, NotificationState, Phase, SubmissionRow
from storage.orders import MoveOrder

_ENDED = (Phase.DONE, Phase.START_FAILED, Phase.NOT_APPROVED)


@dataclass(frozen=True)
class Forgotten:
    job_details: int
    outbox_rows: int
    submissions: int


def forget_before(db: Database, *, cutoff: datetime, batch: int = 500) -> Forgotten:
    """Forget what is older than `cutoff`; at most `batch` jobs at a time, so a long backlog never holds a lock."""
    with db.session() as session:
        ended = session.scalars(
            select(JobRow)
            .where(JobRow.phase.in_(_ENDED), JobRow.details_forgotten_at.is_(None), JobRow.updated_at < cutoff)
            .order_by(JobRow.id)
            .limit(batch)
        ).all()
        now = utcnow()
        for row in ended:
            if row.move_order is not None:  # a followed job has no order, and so nothing typed, to forget
                row.move_order = MoveOrder.from_json(row.move_order).without_typed_details().to_json()
            row.moved_lead_sample = None  # e-mails of leads, like what was typed
            row.details_forgotten_at = now
        outbox_rows = session.execute(
            delete(NotificationRow)
            .where(
                NotificationRow.state.in_((NotificationState.SENT, NotificationState.FAILED)),
                NotificationRow.updated_at < cutoff,
            )
            .execution_options(synchronize_session=False)
        )
        submissions = session.execute(
            delete(SubmissionRow).where(SubmissionRow.created_at < cutoff).execution_options(synchronize_session=False)
        )
        return Forgotten(
            job_details=len(ended),
            outbox_rows=int(getattr(outbox_rows, "rowcount", 0) or 0),
            submissions=int(getattr(submissions, "rowcount", 0) or 0),
        )

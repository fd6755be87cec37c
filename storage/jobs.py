"""The jobs repository: every step of a move is written down before and after it talks to the outside."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, and_, func, or_, select, update
from sqlalchemy.orm import Session

from storage import leases, outbox, shared_messages
from storage.clock import utcnow
from storage.db import Database
from storage.models import FINAL_EDIT_PRIORITY, NOTIFICATION_PRIORITY, JobRow, NotificationKind, Phase
from storage.records import JobRecord, job_record

# How many of the numbers in a followed job's `data` it keeps: enough for any job type's tally, never a whole payload.
MAX_COUNTS = 12
SHARED_REPLY_PRIORITY = NOTIFICATION_PRIORITY[NotificationKind.ANNOUNCE] + 1
_JOBS = cast(Table, JobRow.__table__)


def _change(session: Session, job_id: int, values: dict[str, Any]) -> JobRow:
    row = session.get(JobRow, job_id)
    if row is None:
        raise LookupError(f"no job {job_id}")
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    return row


def _update(
    db: Database,
    job_id: int,
    *,
    notify: NotificationKind | None = None,
    detail: str | None = None,
    sent: int | None = None,
    **values: Any,
) -> JobRecord:
    """Change a job and, in the same transaction, queue the Slack write the change calls for, or mark the outbox row
    `sent` whose delivery the change records."""
    # One statement that returns the changed row: every job is changed several times in its life.
    changed = update(_JOBS).where(_JOBS.c.id == job_id).values(updated_at=utcnow(), **values)
    with db.session() as session:
        row = session.execute(changed.returning(*_JOBS.columns)).first()
        if row is None:
            raise LookupError(f"no job {job_id}")
        if notify is not None:
            queue_write(session, row, notify, detail)
        if sent is not None:
            outbox.mark_sent_in(session, notification_id=sent)
        return job_record(row)


def queue_write(
    session: Session,
    row: JobRow | Row[*tuple[Any, ...]],
    kind: NotificationKind,
    detail: str | None,
    priority: int | None = None,
) -> None:
    """Queue the Slack write a change of `row` calls for, in the caller's transaction (storage.outbox).

    A watched job's announcement and reply may share a message with others waiting beside them; a reply in a
    message already shared waits a moment for the replies of the jobs beside it, and gives way to announcements in
    its channel: in a flood of jobs, a job found is told before one that ended (storage.shared_messages)."""
    channel = row.announcement_channel or row.channel_id
    groupable = row.via == "watch" and kind in (NotificationKind.ANNOUNCE, NotificationKind.FINAL)
    gathers = groupable and kind == NotificationKind.FINAL and shared_messages.shares_message(session, row)
    outbox.enqueue(
        session,
        team_id=row.team_id,
        job_id=row.id,
        channel_id=channel,
        kind=kind,
        detail=detail,
        priority=SHARED_REPLY_PRIORITY if gathers and priority is None else priority,
        groupable=groupable,
        delay=shared_messages.REPLY_GATHER_SECONDS if gathers else 0.0,
    )


def queue_announcement(session: Session, row: JobRow) -> None:
    """Queue a job's anchor message in the transaction that starts following it (see storage.tracked)."""
    queue_write(session, row, NotificationKind.ANNOUNCE, None)


def mark_start_attempted(db: Database, *, job_id: int, owner: str) -> JobRecord | None:
    """Written just before POST /leads/move: from here on, a lost answer means "look before resending".

    Only the process that holds the move's lease, and only once: None means another process has taken the move
    over (this one was too slow), or it was sent already, so this one must not send it.
    """
    with db.session() as session:
        row = session.scalars(
            select(JobRow)
            .where(
                JobRow.id == job_id,
                JobRow.phase == Phase.REQUESTED,
                JobRow.start_attempted_at.is_(None),
                JobRow.lease_owner == owner,
            )
            .with_for_update()
        ).first()
        if row is None:
            return None
        row.start_attempted_at = row.updated_at = utcnow()
        session.flush()
        return job_record(row)


def _stopped_meanwhile(db: Database, job_id: int, *, instantly_job_id: str | None = None) -> JobRecord | None:
    """The job, if it stopped being followed (disconnect, uninstall) while Instantly was being asked to start it.

    Such a job stays stopped: only the id Instantly gave is kept, for the record. None if it still waits.
    """
    with db.session() as session:
        row = session.get(JobRow, job_id, with_for_update=True)
        if row is None or row.phase == Phase.REQUESTED:
            return None
        if instantly_job_id and row.instantly_job_id is None:
            row.instantly_job_id = instantly_job_id
            row.updated_at = utcnow()
        session.flush()
        return job_record(row)


def attach_job(
    db: Database, *, job_id: int, instantly_job_id: str, status: str, progress: int, next_poll_at: datetime
) -> JobRecord:
    """Instantly started the job: follow it, and queue its announcement."""
    stopped = _stopped_meanwhile(db, job_id, instantly_job_id=instantly_job_id)
    if stopped is not None:
        return stopped
    return _update(
        db,
        job_id,
        notify=NotificationKind.ANNOUNCE,
        phase=Phase.RUNNING,
        instantly_job_id=instantly_job_id,
        status=status,
        progress=progress,
        next_poll_at=next_poll_at,
        progress_seen_at=utcnow(),
        **leases.FREED,
    )


def mark_start_failed(db: Database, *, job_id: int, error: str) -> JobRecord:
    """Nothing was started: tell the requester why."""
    stopped = _stopped_meanwhile(db, job_id)
    if stopped is not None:
        return stopped
    return _update(
        db,
        job_id,
        notify=NotificationKind.NOTE,
        phase=Phase.START_FAILED,
        error=error,
        **leases.FREED,
    )


def record_announcement(db: Database, *, job_id: int, channel_id: str, ts: str, sent: int | None = None) -> JobRecord:
    """Where the job's announcement is; `sent` is the outbox row that posted it, marked sent with it."""
    return _update(db, job_id, sent=sent, announcement_channel=channel_id, announcement_ts=ts)


def finish(
    db: Database,
    *,
    job_id: int,
    status: str,
    progress: int,
    moved_leads: int | None,
    error: str | None = None,
    counts: Mapping[str, int] | None = None,
    ended_at: datetime | None = None,
) -> JobRecord:
    """Instantly says the job ended (or we stop following it): queue the one final reply, and before it the last
    edit of the announcement above it (storage.outbox_claims: the reply waits for that edit when it can go soon).

    `counts` (a followed job's numbers, by Instantly's names) are kept as given, at most MAX_COUNTS of them;
    `ended_at` is when Instantly says the job ended, for a followed job that may have ended before leadmover heard
    of it.
    """
    values: dict[str, Any] = {"status": status, "progress": progress, "finished_at": ended_at or utcnow()}
    values["error"] = error
    if counts:
        values["job_counts"] = dict(list(counts.items())[:MAX_COUNTS])
    if moved_leads is not None:
        values["moved_leads"] = moved_leads
    with db.session() as session:
        row = _change(session, job_id, {"phase": Phase.FINISHED, **leases.FREED, **values})
        # A held-back announcement that never went out has nothing to edit; one still to go out may be rendered
        # before this change is seen, so it gets its last edit too.
        if row.announcement_ts is not None or row.announcement_held_at is None:
            queue_write(session, row, NotificationKind.PROGRESS, None, priority=FINAL_EDIT_PRIORITY)
        queue_write(session, row, NotificationKind.FINAL, None)
        session.flush()
        return job_record(row)


def record_final_reply(db: Database, *, job_id: int, ts: str, sent: int | None = None) -> JobRecord:
    """The job is done: its reply is out (its announcement's last edit was queued when it ended). `sent` is the
    outbox row that posted it, marked sent with it."""
    return _update(db, job_id, sent=sent, final_reply_ts=ts, phase=Phase.DONE)


def edit_again(db: Database, *, job_id: int) -> None:
    """The job changed while its edit was on its way to Slack: one more, drawn from the job as it is now."""
    with db.session() as session:
        row = session.get(JobRow, job_id)
        if row is not None:
            queue_write(session, row, NotificationKind.PROGRESS, None)


def hold_announcement(db: Database, *, job_id: int) -> JobRecord:
    """The channel hears only of failures: the announcement is not posted now (and maybe never)."""
    return _update(db, job_id, announcement_held_at=utcnow())


def end_quietly(db: Database, *, job_id: int) -> JobRecord:
    """A held-back job succeeded: it is done with nothing posted, so nothing is left to edit either."""
    return _update(db, job_id, phase=Phase.DONE)


def attached_job_ids(db: Database, *, team_id: str, instantly_job_ids: Collection[str]) -> set[str]:
    """Which of these Instantly jobs some leadmover job already follows."""
    query = select(JobRow.instantly_job_id).where(
        JobRow.team_id == team_id, JobRow.instantly_job_id.in_(list(instantly_job_ids))
    )
    with db.reading() as session:
        return {job_id for job_id in session.scalars(query) if job_id is not None}


def get(db: Database, *, job_id: int) -> JobRecord | None:
    with db.reading() as session:
        row = session.get(JobRow, job_id)
        return job_record(row) if row is not None else None


def find(db: Database, *, team_id: str, reference: str, user_id: str | None = None) -> JobRecord | None:
    """A job of this workspace (and of this person, if given) by Instantly's job id or by leadmover's own number."""
    condition = JobRow.instantly_job_id == reference
    if reference.isdecimal() and reference.isascii() and len(reference) < 10:
        condition = or_(condition, JobRow.id == int(reference))
    query = select(JobRow).where(and_(JobRow.team_id == team_id, condition))
    if user_id is not None:
        query = query.where(JobRow.user_id == user_id)
    with db.reading() as session:
        row = session.scalars(query.order_by(JobRow.id.desc()).limit(1)).first()
        return job_record(row) if row is not None else None


def recent_for_user(
    db: Database, *, team_id: str, user_id: str | None, limit: int = 10, phases: Collection[Phase] | None = None
) -> list[JobRecord]:
    """The newest jobs of one person in a workspace, or (user_id None) of everyone in it; only in `phases`, if
    given."""
    query = select(JobRow).where(JobRow.team_id == team_id)
    if user_id is not None:
        query = query.where(JobRow.user_id == user_id)
    if phases is not None:
        query = query.where(JobRow.phase.in_(list(phases)))
    with db.reading() as session:
        rows = session.scalars(query.order_by(JobRow.created_at.desc(), JobRow.id.desc()).limit(limit)).all()
        return [job_record(row) for row in rows]


def count_in_phase(db: Database, *, phase: Phase, team_ids: Collection[str] | None = None) -> int:
    """How many jobs are in `phase`, in the given workspaces or in all."""
    query = select(func.count()).select_from(JobRow).where(JobRow.phase == phase)
    if team_ids is not None:
        query = query.where(JobRow.team_id.in_(list(team_ids)))
    with db.reading() as session:
        return int(session.scalar(query) or 0)


def recent(db: Database, *, limit: int = 20) -> list[JobRecord]:
    with db.reading() as session:
        rows = session.scalars(select(JobRow).order_by(JobRow.id.desc()).limit(limit)).all()
        return [job_record(row) for row in rows]

"""Stopping a workspace's unfinished jobs when it loses what following them needs: its Instantly key
(/leads disconnect: the thread is told) or leadmover itself (uninstalled: nothing can be posted any more)."""

from __future__ import annotations

from sqlalchemy import select, update

from storage import leases, outbox
from storage.clock import utcnow
from storage.db import Database
from storage.models import JobRow, NotificationKind, NotificationRow, NotificationState, Phase

_UNFINISHED = (Phase.REQUESTED, Phase.RUNNING)


def stop_following(db: Database, *, team_id: str, reason: str, tell_threads: bool) -> int:
    """Stop following the workspace's unfinished jobs, recording `reason` on each; returns how many.

    With `tell_threads` each gets its final reply (saying why); without, the job is closed quietly and every
    write still waiting for the workspace is given up, since no token is left to send it with.
    """
    now = utcnow()
    phases = _UNFINISHED if tell_threads else (*_UNFINISHED, Phase.FINISHED)
    with db.session() as session:
        rows = list(
            session.scalars(select(JobRow).where(JobRow.team_id == team_id, JobRow.phase.in_(phases)).with_for_update())
        )
        for row in rows:
            row.error = reason if row.phase != Phase.FINISHED else row.error or reason
            row.finished_at = row.finished_at or now
            row.updated_at = now
            row.lease_owner, row.lease_expires_at = leases.FREED["lease_owner"], leases.FREED["lease_expires_at"]
            if tell_threads:
                row.phase = Phase.FINISHED
                row.status = row.status or "stopped"
                channel = row.announcement_channel or row.channel_id
                outbox.enqueue(session, team_id=team_id, job_id=row.id, channel_id=channel, kind=NotificationKind.FINAL)
            else:
                row.phase = Phase.DONE
        if not tell_threads:
            session.execute(
                update(NotificationRow)
                .where(
                    NotificationRow.team_id == team_id,
                    NotificationRow.state.in_((NotificationState.PENDING, NotificationState.SENDING)),
                )
                .values(state=NotificationState.FAILED, error=reason[:500], updated_at=now, **leases.FREED)
                .execution_options(synchronize_session=False)
            )
        return len(rows)

"""Read-only figures for readiness and metrics: jobs in flight, Slack writes due, approvals waiting, how late polling
runs, and the schema's revision. Each is one grouped query, cheap enough to run at every scrape."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from storage import db_roles
from storage.db import Database
from storage.models import (
    ApprovalRow,
    ApprovalState,
    JobRow,
    NotificationRow,
    NotificationState,
    Phase,
    WorkspaceRow,
)

# A job in one of these phases still has something ahead of it: a start, a poll, a reply, a decision.
IN_FLIGHT = (Phase.REQUESTED, Phase.RUNNING, Phase.FINISHED, Phase.AWAITING_APPROVAL)
_WAITING = (NotificationState.PENDING, NotificationState.SENDING)


@dataclass(frozen=True)
class Figures:
    """What the database says now; each figure is keyed by its labels, team_id "" unless asked per workspace."""

    in_flight: dict[tuple[str, str], int]  # (phase, team) -> jobs
    outbox_due: dict[tuple[str, str], int]  # (kind, team) -> writes due now
    oldest_due: dict[str, datetime]  # team -> when its oldest due write became due
    approvals_waiting: dict[str, int]  # team -> requests not yet decided
    poll_due_since: dict[str, datetime]  # team -> when its most overdue running job was due


def figures(db: Database, *, now: datetime, by_team: bool) -> Figures:
    """Every figure, read in one transaction."""
    with db.reading() as session:
        paused = _revoked(session)
        return Figures(
            in_flight=_in_flight(session, by_team=by_team),
            outbox_due=_outbox_due(session, now=now, by_team=by_team, paused=paused),
            oldest_due=_oldest_due(session, now=now, by_team=by_team, paused=paused),
            approvals_waiting=_approvals_waiting(session, by_team=by_team),
            poll_due_since=_poll_due_since(session, now=now, by_team=by_team),
        )


def oldest_due_write(db: Database, *, now: datetime) -> datetime | None:
    """When the oldest Slack write that is due now became due (writes of paused workspaces wait by design)."""
    with db.reading() as session:
        oldest = _oldest_due(session, now=now, by_team=False, paused=_revoked(session))
    return oldest.get("")


def schema_revision(db: Database) -> str | None:
    """The revision the database records; None when it records none. Raises when the database cannot be read."""
    with db.reading() as session:
        found = session.execute(text(f"SELECT version_num FROM {db_roles.VERSION_TABLE}")).scalars().all()  # noqa: S608
    return found[0] if len(found) == 1 else None


def _revoked(session: Session) -> list[str]:
    return list(session.scalars(select(WorkspaceRow.team_id).where(WorkspaceRow.slack_revoked_at.is_not(None))))


def _grouped(
    session: Session, value: Any, *, where: list[Any], keys: list[Any], team: Any, by_team: bool
) -> dict[tuple[str, ...], Any]:
    """`value` per `keys` (and per `team` when `by_team`, else "" in its place), where `where` holds."""
    columns = [*keys, team] if by_team else keys
    query = select(*columns, value).where(*where)
    if columns:
        query = query.group_by(*columns)
    found: dict[tuple[str, ...], Any] = {}
    for row in session.execute(query):
        *labels, figure = row
        if figure is not None:
            found[tuple(str(label) for label in labels) + (() if by_team else ("",))] = figure
    return found


def _in_flight(session: Session, *, by_team: bool) -> dict[tuple[str, str], int]:
    found = _grouped(
        session,
        func.count(),
        where=[JobRow.phase.in_(IN_FLIGHT)],
        keys=[JobRow.phase],
        team=JobRow.team_id,
        by_team=by_team,
    )
    return {(phase, team): int(count) for (phase, team), count in found.items()}


def _due_writes(now: datetime, paused: list[str]) -> list[Any]:
    return [
        NotificationRow.state.in_(_WAITING),
        NotificationRow.not_before <= now,
        NotificationRow.team_id.not_in(paused),
    ]


def _outbox_due(session: Session, *, now: datetime, by_team: bool, paused: list[str]) -> dict[tuple[str, str], int]:
    found = _grouped(
        session,
        func.count(),
        where=_due_writes(now, paused),
        keys=[NotificationRow.kind],
        team=NotificationRow.team_id,
        by_team=by_team,
    )
    return {(kind, team): int(count) for (kind, team), count in found.items()}


def _oldest_due(session: Session, *, now: datetime, by_team: bool, paused: list[str]) -> dict[str, datetime]:
    found = _grouped(
        session,
        func.min(NotificationRow.not_before),
        where=_due_writes(now, paused),
        keys=[],
        team=NotificationRow.team_id,
        by_team=by_team,
    )
    return {team: oldest for (team,), oldest in found.items()}


def _approvals_waiting(session: Session, *, by_team: bool) -> dict[str, int]:
    found = _grouped(
        session,
        func.count(),
        where=[ApprovalRow.state == ApprovalState.PENDING],
        keys=[],
        team=ApprovalRow.team_id,
        by_team=by_team,
    )
    return {team: int(count) for (team,), count in found.items()}


def _poll_due_since(session: Session, *, now: datetime, by_team: bool) -> dict[str, datetime]:
    found = _grouped(
        session,
        func.min(JobRow.next_poll_at),
        where=[JobRow.phase == Phase.RUNNING, JobRow.next_poll_at <= now],
        keys=[],
        team=JobRow.team_id,
        by_team=by_team,
    )
    return {team: due for (team,), due in found.items()}

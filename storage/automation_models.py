"""SQLAlchemy 2.0 typed tables of the moves asked for without anyone at the form: runs of the Workflow Builder
step, schedules, and channels watching a workspace's Instantly jobs with their listers. storage.schema holds them
with the rest."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, Leased


class StepState(StrEnum):
    """Where a run of leadmover's Workflow Builder step stands (bot.workflow_steps)."""

    OPEN = "open"  # its move runs, waits for an approver, or its refusal waits to be told to Slack
    COMPLETED = "completed"  # Slack was told how it ended
    LOST = "lost"  # Slack could not be told (the run's token stopped working): recorded, never retried


class WorkflowStepRow(Leased, Base):
    """One run of the "Move Instantly leads" workflow step, from Slack's function_executed to its completion.

    It is the step's outbox row as well: a run whose move ended (or that was refused, `error`) is due, and the
    Slack writer tells Slack under a lease, once. The run's token is sealed here while the run is open, and erased
    when it ends."""

    __tablename__ = "workflow_steps"
    __table_args__ = (
        UniqueConstraint("team_id", "execution_id", name="uq_workflow_steps_execution"),
        Index("ix_workflow_steps_due", "state", "not_before"),
        Index("ix_workflow_steps_job", "job_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    execution_id: Mapped[str] = mapped_column(String(64))  # Slack's function_execution_id
    workflow_execution_id: Mapped[str | None] = mapped_column(String(64), default=None)
    user_id: Mapped[str] = mapped_column(String(32))  # whom it runs for
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"), default=None)
    sealed_token: Mapped[str | None] = mapped_column(Text, default=None)
    state: Mapped[str] = mapped_column(String(16), default=StepState.OPEN)
    # Why it fails, when leadmover refused it before any job (set: the run is due at once).
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # The step's inputs as the workflow gave them, to ask for the move again while it waits.
    inputs: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # Why its move could not be asked for yet, for a reason that may pass: it is asked again from `not_before` on.
    waiting_reason: Mapped[str | None] = mapped_column(Text, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(DateTime)
    outcome: Mapped[str | None] = mapped_column(Text, default=None)  # what Slack was told, for the record
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


class ScheduleState(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"  # by a person, or by itself when its owner may no longer move
    AWAITING_APPROVAL = "pending_approval"  # its move needs approval: it runs once an approver approves it
    REJECTED = "rejected"  # an approver did not approve it: it never runs; kept so its owner sees why


class ScheduleRow(Leased, Base):
    """A move that runs by itself on a recurrence (/leads schedule): each run goes through the door under the key
    `schedule:<id>:<occurrence>`. The scheduler takes a due schedule under a lease, runs or skips the occurrence,
    and writes the next one."""

    __tablename__ = "schedules"
    __table_args__ = (
        Index("ix_schedules_due", "state", "next_run_at"),
        Index("ix_schedules_team", "team_id", "owner_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))  # where it was made: it hears of every run
    owner_id: Mapped[str] = mapped_column(String(32))  # whom each run is made for
    move_order: Mapped[dict[str, Any]] = mapped_column(JSON)
    frequency: Mapped[str] = mapped_column(String(16))  # bot.recurrence.Frequency
    at: Mapped[str] = mapped_column(String(5))  # "HH:MM", local time
    timezone: Mapped[str] = mapped_column(String(64))
    weekday: Mapped[int | None] = mapped_column(Integer, default=None)
    month_day: Mapped[int | None] = mapped_column(Integer, default=None)
    state: Mapped[str] = mapped_column(String(16), default=ScheduleState.ACTIVE)
    paused_reason: Mapped[str | None] = mapped_column(Text, default=None)
    next_run_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)  # the occurrence last handled
    last_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"), default=None)
    last_outcome: Mapped[str | None] = mapped_column(Text, default=None)
    # Why the due run has not started yet, for a reason that may pass: it is tried again until the grace runs out.
    put_off_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # The job whose overlap the channel was last told of, so a long run is reported once, not at every skip.
    overlap_told_job_id: Mapped[int | None] = mapped_column(Integer, default=None)
    # Who approved its move, once, when it was made or its move last changed: its runs then ask no one again.
    approved_by: Mapped[str | None] = mapped_column(String(32), default=None)
    # The request for approval, where it was posted, so that the decision replaces its buttons.
    approval_channel: Mapped[str | None] = mapped_column(String(32), default=None)
    approval_ts: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class WatchRow(Base):
    """A channel that hears of its workspace's Instantly background jobs (/leads watch), of every type or of some."""

    __tablename__ = "watches"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # Instantly's job types it hears of ("import-leads", …); empty for every type.
    job_types: Mapped[list[str]] = mapped_column(JSON)
    set_by: Mapped[str] = mapped_column(String(32))
    set_at: Mapped[datetime] = mapped_column(DateTime)


class WatchListerRow(Leased, Base):
    """Discovery of one workspace's background jobs: held by one process at a time (its lease), at most one round
    per LEADMOVER_WATCH_SECONDS, and how far it has read (the high-water mark: the newest `updated_at` seen, and
    the jobs seen at that very instant, so that one updated again in the same second is not missed)."""

    __tablename__ = "watch_listers"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    high_water: Mapped[str | None] = mapped_column(String(40), default=None)  # Instantly's updated_at, as given
    seen_at_high_water: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    next_round_at: Mapped[datetime] = mapped_column(DateTime)
    last_round_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)

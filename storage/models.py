"""SQLAlchemy 2.0 typed tables of jobs, their Slack writes and the workspaces they serve. Every row carries the Slack
team id: one database serves many workspaces. The tables of moves asked for without the form (workflow steps,
schedules, watched channels) are storage.automation_models'; storage.schema holds them all."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Phase(StrEnum):
    """Where a job stands in leadmover's own life cycle (Instantly's status is kept apart)."""

    REQUESTED = "requested"  # saved before Instantly was called; start_attempted_at says if the POST went out
    START_FAILED = "start_failed"  # Instantly refused it or could not be reached; nothing was started
    RUNNING = "running"  # Instantly gave a job id: polled until Instantly says it ended
    FINISHED = "finished"  # Instantly says it ended; the final reply waits in the outbox
    DONE = "done"  # final reply posted, nothing more to do
    AWAITING_APPROVAL = "pending_approval"  # a big move waiting for an approver (storage.approvals)
    NOT_APPROVED = "not_approved"  # rejected, expired or cancelled before approval; nothing was started


class Leased:
    """Columns of a row that one process at a time may work on (see storage.leases)."""

    lease_owner: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


class JobRow(Leased, Base):
    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("team_id", "instantly_job_id", name="uq_jobs_team_instantly_job"),
        Index("ix_jobs_due", "phase", "next_poll_at"),
        Index("ix_jobs_requester", "team_id", "user_id", "created_at"),
        Index("ix_jobs_part_of", "part_of"),
        Index("ix_jobs_announcement", "announcement_channel", "announcement_ts"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    # The order as the person gave it: storage.orders.MoveOrder as JSON. None for a job leadmover only follows
    # (`/leads track`): it was started elsewhere, by whatever means, and leadmover never knew its order.
    move_order: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    # Instantly's job type ("move-leads", "import-leads", …, or one added since), once Instantly has named it.
    job_type: Mapped[str | None] = mapped_column(String(32), default=None)
    # The counts Instantly gave in the job's `data` when it ended (e.g. success_count), for a job that has no
    # move order to say what it did.
    job_counts: Mapped[dict[str, int] | None] = mapped_column(JSON, default=None)
    # When Instantly says a followed job began: it may have run long before anyone asked leadmover to follow it.
    started_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # How the move was asked for (bot.door.Via: form, move_back, approval…); None for jobs from before the door.
    via: Mapped[str | None] = mapped_column(String(16), default=None)
    # What the channel is told it came from, beside `via`: a workflow's name; None when there is nothing to name.
    via_name: Mapped[str | None] = mapped_column(String(200), default=None)
    # How many leads the move takes as counted when it was asked for: Instantly's count of the source's leads, or
    # every e-mail of a Move back (all its parts); None when Instantly could not count.
    lead_count: Mapped[int | None] = mapped_column(Integer, default=None)
    # How many of the source's leads the move's filters take, as counted when it was asked for (POST /leads/list
    # paged, up to a cap); None with no filter or no count. With `matching_more`, counting stopped first (at the cap,
    # or when its time ran out): more than that many match.
    matching_count: Mapped[int | None] = mapped_column(Integer, default=None)
    matching_more: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The first job of a move sent in parts (a Move back of over 1,000 leads): approved or refused with it.
    part_of: Mapped[int | None] = mapped_column(Integer, default=None)

    phase: Mapped[str] = mapped_column(String(16), default=Phase.REQUESTED)
    instantly_job_id: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str | None] = mapped_column(String(32), default=None)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    moved_leads: Mapped[int | None] = mapped_column(Integer, default=None)
    # A few moved e-mails that builds before revision 0015 kept; no longer written, and forgotten with the typed
    # details once the retention period has passed.
    moved_lead_sample: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    start_attempted_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)

    announcement_channel: Mapped[str | None] = mapped_column(String(32), default=None)
    announcement_ts: Mapped[str | None] = mapped_column(String(32), default=None)
    # The thread this job is told in, when it is not its own: its announcement is then a reply there, and its final
    # reply goes to the same thread (a move back lives in the thread of the move it takes back).
    thread_ts: Mapped[str | None] = mapped_column(String(32), default=None)
    # Set when the channel announces only failures and the announcement was held back (marked sent unposted): a
    # success then posts nothing, a failure posts the announcement at the end (bot.slack.reporter).
    announcement_held_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    final_reply_ts: Mapped[str | None] = mapped_column(String(32), default=None)

    next_poll_at: Mapped[datetime] = mapped_column(DateTime)
    # When the job's progress was first seen at its current value, and when its pace so far says it ends: the
    # poller looks more often around that moment (bot.cadence).
    progress_seen_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    expected_end_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)

    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # When what the person typed (search text, email lists) was removed, once the retention period had passed.
    details_forgotten_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


class NotificationKind(StrEnum):
    """What an outbox row asks the Slack writer to do; each is rendered from the job's state when it is sent."""

    FINAL = "final"  # the one reply in the job's thread
    ANNOUNCE = "announce"  # the job's anchor message
    NOTE = "note"  # a word to the requester alone (a move that did not start)
    PROGRESS = "progress"  # an edit of the anchor message
    APPROVAL = "approval"  # the request for approval, with Approve and Reject buttons
    APPROVAL_EDIT = "approval_edit"  # the request once decided: the buttons give way to the decision
    APPROVAL_REPLY = "approval_reply"  # the requester told, in the request's thread, that it was not approved


# Lower goes first: a finished job's reply matters more than the newest percentage of a running one.
# An ended job's last edit of its announcement: after the replies and posts, before the edits of running jobs.
FINAL_EDIT_PRIORITY = 2
NOTIFICATION_PRIORITY: dict[NotificationKind, int] = {
    NotificationKind.FINAL: 0,
    NotificationKind.ANNOUNCE: 1,
    NotificationKind.NOTE: 1,
    NotificationKind.PROGRESS: 3,
    NotificationKind.APPROVAL: 1,
    NotificationKind.APPROVAL_EDIT: 2,
    NotificationKind.APPROVAL_REPLY: 1,
}


class NotificationState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # the call may have reached Slack: look before sending again
    SENT = "sent"
    FAILED = "failed"


class NotificationRow(Leased, Base):
    """The outbox: every Slack write waits here, so none is lost or repeated across restarts."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_due", "state", "priority", "not_before"),
        Index("ix_notifications_job", "job_id", "kind", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    channel_id: Mapped[str] = mapped_column(String(32))  # where it lands, for per-channel pacing
    priority: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default=NotificationState.PENDING)
    detail: Mapped[str | None] = mapped_column(Text, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(DateTime)
    attempted_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # Where the last attempt went (a channel, or a user id for a DM): the one place to look after a crash.
    sent_to: Mapped[str | None] = mapped_column(String(32), default=None)
    sent_ts: Mapped[str | None] = mapped_column(String(32), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # A watched job's announcement or reply: it may go in one message with others of its kind waiting in its channel
    # (bot.slack.shared_messages), which is how a flood of jobs stays within Slack's post a second per channel.
    groupable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class SubmissionRow(Base):
    """A submission or button press that changes something, written down once: a repeat delivery is recognised.

    `key` names the interaction as Slack identifies it, e.g. a view submission by its view id and hash.
    """

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("team_id", "key", name="uq_submissions_team_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(32))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ProcessRow(Base):
    """A running leadmover process: the leases it holds stand only while it keeps beating (storage.processes)."""

    __tablename__ = "processes"

    owner: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    beat_at: Mapped[datetime] = mapped_column(DateTime)


class WorkspaceRow(Base):
    """A Slack workspace's standing: a revoked token stops its work until a working token is seen again."""

    __tablename__ = "workspaces"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    slack_revoked_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    slack_revoked_reason: Mapped[str | None] = mapped_column(String(64), default=None)
    # The Enterprise Grid org the workspace belongs to: an org-wide install's token is found through it.
    enterprise_id: Mapped[str | None] = mapped_column(String(32), default=None)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class InstallationRow(Base):
    """The newest install of the app in a workspace or, with team_id "", across an Enterprise Grid org.

    `sealed` is the whole installation (tokens included) sealed by bot.secrets; only when its token must be
    refreshed is kept in the clear, so refreshing can be planned without opening anything.
    """

    __tablename__ = "installations"
    __table_args__ = (UniqueConstraint("enterprise_id", "team_id", name="uq_installations_org_team"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(String(32), default="")
    team_id: Mapped[str] = mapped_column(String(32), default="")
    is_enterprise_install: Mapped[bool] = mapped_column(Boolean, default=False)
    installer_user_id: Mapped[str] = mapped_column(String(32))
    sealed: Mapped[str] = mapped_column(Text)
    token_expires_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    installed_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class OAuthStateRow(Base):
    """An OAuth state an installer came back with, kept until it expires so it is used once (the state itself is
    signed, not stored, when it is handed out: bot.slack.installations.DatabaseStateStore)."""

    __tablename__ = "oauth_states"

    state: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class ConnectionRow(Base):
    """A Slack workspace's Instantly connection: its API key, sealed, and the Instantly workspace it reaches."""

    __tablename__ = "instantly_connections"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # New for every connect, so a process holding a client for an older key knows to drop it.
    connection_id: Mapped[str] = mapped_column(String(32))
    sealed_key: Mapped[str] = mapped_column(Text)
    instantly_workspace_id: Mapped[str] = mapped_column(String(64))
    instantly_workspace_name: Mapped[str] = mapped_column(String(255))
    connected_by: Mapped[str] = mapped_column(String(32))
    connected_at: Mapped[datetime] = mapped_column(DateTime)


class BudgetRow(Base):
    """One Instantly workspace's request budget, shared by every replica: a 429 slows all of them."""

    __tablename__ = "request_budgets"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    factor: Mapped[float] = mapped_column(Float, default=1.0)
    factor_until: Mapped[float] = mapped_column(Float, default=0.0)  # seconds since the epoch


class BudgetGrantRow(Base):
    """One request's place in a shared budget, from when it was granted until it ended (epoch seconds)."""

    __tablename__ = "request_grants"
    __table_args__ = (Index("ix_request_grants_key", "key", "started"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64))
    priority: Mapped[str] = mapped_column(String(16))
    started: Mapped[float] = mapped_column(Float)
    ended: Mapped[float | None] = mapped_column(Float, default=None)


class ApprovalState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"  # the requester lost access before anyone decided


class ApprovalRow(Base):
    """A big move's request for approval; its job waits in AWAITING_APPROVAL until one approver decides."""

    __tablename__ = "approvals"
    __table_args__ = (Index("ix_approvals_pending", "state", "expires_at"),)

    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))  # where the request is posted
    message_ts: Mapped[str | None] = mapped_column(String(32), default=None)
    state: Mapped[str] = mapped_column(String(16), default=ApprovalState.PENDING)
    decided_by: Mapped[str | None] = mapped_column(String(32), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AccessRuleRow(Base):
    """Who may move leads in a workspace: a person or a user group, allowed or denied by an admin."""

    __tablename__ = "access_rules"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(32), primary_key=True)  # U…/W… a person, S… a user group
    effect: Mapped[str] = mapped_column(String(8))  # "allow" or "deny"
    set_by: Mapped[str] = mapped_column(String(32))
    set_at: Mapped[datetime] = mapped_column(DateTime)


class AuditRow(Base):
    """The audit log: one row per thing done, never changed or removed (triggers refuse both)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_team_at", "team_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    instantly_job_id: Mapped[str | None] = mapped_column(String(64), default=None)
    outcome: Mapped[str] = mapped_column(Text)


class AnnounceMode(StrEnum):
    EVERY_JOB = "every_job"
    FAILURES = "failures"  # a successful job posts nothing in the channel


class ChannelSettingsRow(Base):
    """How leadmover speaks in one channel, set with `/leads settings`; a channel without a row gets the defaults."""

    __tablename__ = "channel_settings"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    announce: Mapped[str] = mapped_column(String(16))
    broadcast_failures: Mapped[bool] = mapped_column(Boolean)
    mention_on_success: Mapped[bool] = mapped_column(Boolean)
    default_mode: Mapped[str] = mapped_column(String(8))  # storage.orders.MoveMode: what the move modal starts with
    show_sample: Mapped[bool] = mapped_column(Boolean, default=True)  # Show moved leads under the final reply
    # A watched job (/leads watch) that fails mentions whoever set the channel's watch.
    mention_watchers: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    set_by: Mapped[str] = mapped_column(String(32))
    set_at: Mapped[datetime] = mapped_column(DateTime)

"""Approval of big moves: a move or copy with no limit, or a limit above LEADMOVER_APPROVAL_THRESHOLD, waits for an
approver. The first decision wins and the move starts exactly once, however many people press Approve at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.access import AccessService
from bot.starts import StartQueue
from storage import approvals, audit, jobs
from storage.approvals import Approval
from storage.clock import utcnow
from storage.db import Database
from storage.models import ApprovalState, Phase
from storage.records import JobRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    """What pressing a button came to: `refusal` or `already` (someone decided first) in words, else the job."""

    refusal: str | None = None
    already: Approval | None = None
    job: JobRecord | None = None


class ApprovalService:
    def __init__(
        self,
        *,
        db: Database,
        access: AccessService,
        starts: StartQueue,
        owner: str,
        threshold: int,
        hours: float,
        enabled: bool = True,
        channel_id: str | None = None,
        lease_seconds: float = 30.0,
        notify: Callable[[], None] = lambda: None,
        release: Callable[[JobRecord], str | None] = lambda record: None,
    ) -> None:
        self._db = db
        # The door's check of a parked move's requester when it is approved (bot.door.Door.release).
        self._release = release
        self._access = access
        self._starts = starts
        self._owner = owner
        self.threshold = threshold
        self.enabled = enabled
        self._lifetime = timedelta(hours=hours)
        self._channel_id = channel_id
        self._lease_seconds = lease_seconds
        self._notify = notify

    def needs_approval(self, *, leads: int | None) -> bool:
        """A move of every lead (`leads` None), or of more leads than the threshold (exactly at it needs none),
        unless approvals are off."""
        return self.enabled and (leads is None or leads > self.threshold)

    def request_for(self, *, origin_channel: str) -> approvals.ApprovalRequest:
        """Where and until when a request for approval made now stands."""
        return approvals.ApprovalRequest(
            channel_id=self._channel_id or origin_channel, expires_at=utcnow() + self._lifetime
        )

    def channel_of(self, record: JobRecord) -> str:
        """Where the request for approval of this parked move was posted."""
        found = approvals.get(self._db, job_id=record.id)
        return found.channel_id if found is not None else self._channel_id or record.channel_id

    def approve(self, *, team_id: str, job_id: int, approver: str) -> Decision:
        """Approve and start the move, once; a second press (or a second approver) changes nothing. The requester
        is checked again first (bot.door): one who may no longer move gets nothing sent, and both are told why."""
        refused = self._refusal(team_id, job_id, approver)
        if refused is not None:
            return refused
        job = jobs.get(self._db, job_id=job_id)
        assert job is not None  # _refusal found it
        if job.phase == Phase.AWAITING_APPROVAL:
            stopped = self._release(job)
            if stopped is not None:
                if not self._end(job_id, ApprovalState.CANCELLED, stopped, by=approver, outcome="cancelled"):
                    return self._already(job_id)
                return Decision(refusal=f"Nothing was started: {stopped} The request is closed and the requester told.")
        decided = approvals.decide(
            self._db,
            job_id=job_id,
            state=ApprovalState.APPROVED,
            decided_by=approver,
            owner=self._owner,
            lease_seconds=self._lease_seconds,
        )
        if decided is None:
            return self._already(job_id)
        self._audit(decided.job, approver, "approve", "approved")
        self._notify()
        for approved in (decided.job, *decided.parts):
            self._starts.submit(approved, then=lambda _record: None)
        return Decision(job=decided.job)

    def _already(self, job_id: int) -> Decision:
        return Decision(already=self._settled(job_id))

    def _end(self, job_id: int, state: ApprovalState, reason: str, *, by: str, outcome: str) -> bool:
        """leadmover settles the request itself (the requester can no longer move); False if it was settled first."""
        decided = approvals.decide(self._db, job_id=job_id, state=state, decided_by="leadmover", reason=reason)
        if decided is None:
            return False
        self._audit(decided.job, by, "cancel", f"{outcome}: {reason}")
        self._notify()
        return True

    def reject(self, *, team_id: str, job_id: int, approver: str, reason: str | None) -> Decision:
        refused = self._refusal(team_id, job_id, approver)
        if refused is not None:
            return refused
        decided = approvals.decide(
            self._db, job_id=job_id, state=ApprovalState.REJECTED, decided_by=approver, reason=reason or None
        )
        if decided is None:
            return self._already(job_id)
        self._audit(decided.job, approver, "reject", reason or "rejected")
        self._notify()
        return Decision(job=decided.job)

    def refusal(self, *, team_id: str, job_id: int, approver: str) -> Decision | None:
        """Why this person may not decide this request (or that it was decided already); None if they may."""
        refused = self._refusal(team_id, job_id, approver)
        if refused is not None:
            return refused
        approval = approvals.get(self._db, job_id=job_id)
        if approval is not None and approval.state != ApprovalState.PENDING:
            return Decision(already=approval)
        return None

    def _refusal(self, team_id: str, job_id: int, approver: str) -> Decision | None:
        job = jobs.get(self._db, job_id=job_id)
        if job is None or job.team_id != team_id:
            return Decision(refusal="I could not find that request for approval.")
        refused = self._access.refusal_to_approve(team_id=team_id, user_id=approver, requester_id=job.user_id)
        return Decision(refusal=refused) if refused is not None else None

    def _settled(self, job_id: int) -> Approval | None:
        """The request as someone else settled it; one still pending past its deadline is expired now."""
        found = approvals.get(self._db, job_id=job_id)
        if found is not None and found.state == ApprovalState.PENDING:
            self.expire_due()
            found = approvals.get(self._db, job_id=job_id)
        return found

    def expire_due(self) -> int:
        """Settle every request left undecided past LEADMOVER_APPROVAL_HOURS; returns how many."""
        hours = self._lifetime.total_seconds() / 3600
        reason = f"Nobody decided within {hours:g} hours, so the request expired and nothing was moved."
        return self._settle(approvals.expired(self._db), ApprovalState.EXPIRED, reason, outcome="expired")

    def cancel_pending_of(self, team_id: str, user_ids: set[str]) -> int:
        """The people lost access: their requests still waiting for approval are cancelled."""
        reason = "The requester's access was removed before anyone approved it, so nothing was moved."
        waiting = [
            job_id
            for user_id in user_ids
            for job_id in approvals.pending_of(self._db, team_id=team_id, user_id=user_id)
        ]
        return self._settle(waiting, ApprovalState.CANCELLED, reason, outcome="cancelled: requester denied")

    def _settle(self, job_ids: list[int], state: ApprovalState, reason: str, *, outcome: str) -> int:
        """leadmover itself decides these requests (expired, or cancelled); returns how many it settled."""
        count = 0
        for job_id in job_ids:
            decided = approvals.decide(self._db, job_id=job_id, state=state, decided_by="leadmover", reason=reason)
            if decided is not None:
                self._audit(decided.job, "leadmover", "expire" if state == ApprovalState.EXPIRED else "cancel", outcome)
                count += 1
        if count:
            self._notify()
        return count

    def _audit(self, job: JobRecord, user_id: str, action: str, outcome: str) -> None:
        audit.record(
            self._db,
            team_id=job.team_id,
            user_id=user_id,
            action=action,
            detail={"job": job.id, "requester": job.user_id, "order": job.move.without_typed_details().to_json()},
            outcome=outcome,
        )

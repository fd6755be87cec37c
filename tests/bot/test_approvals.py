"""Approval of big moves (bot.approvals.ApprovalService over a real SQLite database, the real AccessService and the
Slack stand-in): which moves need approval and where the request goes; an approver's Approve starts the move once
(through the start queue, however many press), the requester and other people are refused; Reject with or without
a reason; undecided requests expire; a denied person's pending requests are cancelled; every decision is audited."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import httpx
import pytest

from bot.access import AccessService
from bot.approvals import ApprovalService, Decision
from bot.moves import MoveService
from bot.starts import StartQueue
from storage import approvals, audit, jobs
from storage.clock import utcnow
from storage.db import Database
from storage.models import ApprovalState, Phase
from storage.orders import LeadFilters
from storage.records import JobRecord
from tests.factories import awaiting_job, for_every_team
from tests.stand_ins import RecordingStarts, SlackStandIn, instantly_client, instantly_job

THRESHOLD = 1000


@dataclass
class Rig:
    db: Database
    slack: SlackStandIn
    access: AccessService
    starts: RecordingStarts
    service: ApprovalService
    wakes: list[int]

    def awaiting(
        self,
        key: str = "k-1",
        *,
        user: str = "U1",
        team: str = "T1",
        expires_at: datetime | None = None,
        filters: LeadFilters | None = None,
    ) -> JobRecord:
        """A big move submitted by `user`, waiting for approval."""
        return awaiting_job(self.db, key, user=user, team=team, expires_at=expires_at, filters=filters)

    def audited(self) -> list[tuple[str, str, str]]:
        return [(entry.user_id, entry.action, entry.outcome) for entry in audit.entries(self.db)]


def _rig(db: Database, **service: Any) -> Rig:
    slack = SlackStandIn(team_id="T1")
    slack.people["UBOSS"] = {"is_admin": True}
    holder: dict[str, ApprovalService] = {}
    access = AccessService(
        db=db,
        slack=lambda _team_id: slack,
        approvers=["UAPP", "UAPP2"],
        on_denied=lambda team_id, user_ids: holder["service"].cancel_pending_of(team_id, user_ids),
    )
    starts = RecordingStarts()
    wakes: list[int] = []
    settings: dict[str, Any] = {"threshold": THRESHOLD, "hours": 24.0, "owner": "web-1", **service}
    approval_service = ApprovalService(
        db=db, access=access, starts=cast(StartQueue, starts), notify=lambda: wakes.append(1), **settings
    )
    holder["service"] = approval_service
    return Rig(db, slack, access, starts, approval_service, wakes)


@pytest.fixture
def rig(sqlite_db: Database) -> Rig:
    return _rig(sqlite_db)


def _approval(rig: Rig, job_id: int) -> approvals.Approval:
    approval = approvals.get(rig.db, job_id=job_id)
    assert approval is not None
    return approval


# --- which moves need approval, and where the request goes ---------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "needs"),
    [(None, True), (THRESHOLD + 1, True), (THRESHOLD, False), (1, False)],
    ids=["no limit", "above the threshold", "at the threshold", "small"],
)
def test_a_move_needs_approval_without_a_limit_or_above_the_threshold(rig: Rig, limit: int | None, needs: bool) -> None:
    assert rig.service.needs_approval(leads=limit) is needs


@pytest.mark.parametrize("limit", [None, THRESHOLD + 1, 10**9])
def test_with_approvals_off_no_move_needs_approval(sqlite_db: Database, limit: int | None) -> None:
    service = _rig(sqlite_db, enabled=False).service

    assert not service.needs_approval(leads=limit)


def test_the_request_goes_to_the_channel_the_move_was_asked_in_until_the_deadline(sqlite_db: Database) -> None:
    service = _rig(sqlite_db, hours=6.0).service
    before = utcnow()

    request = service.request_for(origin_channel="CORIGIN")

    assert request.channel_id == "CORIGIN"
    assert before + timedelta(hours=6) <= request.expires_at <= utcnow() + timedelta(hours=6)


def test_the_approvals_channel_setting_wins_over_where_the_move_was_asked(sqlite_db: Database) -> None:
    service = _rig(sqlite_db, channel_id="CAPPROVALS").service

    request = service.request_for(origin_channel="CORIGIN")

    assert request.channel_id == "CAPPROVALS"


# --- approving ---------------------------------------------------------------------------------------------------


def test_an_approver_starts_the_move_once(rig: Rig) -> None:
    record = rig.awaiting()

    decision = rig.service.approve(team_id="T1", job_id=record.id, approver="UAPP")

    assert decision.refusal is None
    assert decision.already is None
    assert decision.job is not None
    assert (decision.job.id, decision.job.phase) == (record.id, Phase.REQUESTED)
    assert [started.id for started in rig.starts.started] == [record.id]
    approval = _approval(rig, record.id)
    assert (approval.state, approval.decided_by) == (ApprovalState.APPROVED, "UAPP")
    assert rig.wakes, "the writer is woken to edit the request"


def test_a_second_approve_changes_nothing_and_says_who_decided(rig: Rig) -> None:
    record = rig.awaiting()
    rig.service.approve(team_id="T1", job_id=record.id, approver="UAPP")

    again = rig.service.approve(team_id="T1", job_id=record.id, approver="UAPP2")
    same_again = rig.service.approve(team_id="T1", job_id=record.id, approver="UAPP")

    for decision in (again, same_again):
        assert decision.job is None
        assert decision.refusal is None
        assert decision.already is not None
        assert (decision.already.state, decision.already.decided_by) == (ApprovalState.APPROVED, "UAPP")
    assert len(rig.starts.started) == 1
    assert [action for _user, action, _outcome in rig.audited()] == ["approve"]


@pytest.mark.parametrize("approver", ["UAPP", "UBOSS"], ids=["approver", "slack admin"])
def test_the_requester_may_not_approve_their_own_move(sqlite_db: Database, approver: str) -> None:
    rig = _rig(sqlite_db)
    record = rig.awaiting(user=approver)

    decision = rig.service.approve(team_id="T1", job_id=record.id, approver=approver)

    assert decision.refusal is not None
    assert "someone else must approve" in decision.refusal
    assert decision.job is None
    assert rig.starts.started == []
    assert _approval(rig, record.id).state == ApprovalState.PENDING
    assert rig.audited() == []


def test_someone_neither_approver_nor_admin_is_refused(rig: Rig) -> None:
    record = rig.awaiting()

    for decision in (
        rig.service.approve(team_id="T1", job_id=record.id, approver="U2"),
        rig.service.reject(team_id="T1", job_id=record.id, approver="U2", reason="no"),
    ):
        assert decision.refusal is not None
        assert "Only workspace admins and the approvers" in decision.refusal
    assert rig.starts.started == []
    assert _approval(rig, record.id).state == ApprovalState.PENDING


def test_a_slack_admin_may_approve(rig: Rig) -> None:
    record = rig.awaiting()

    assert rig.service.approve(team_id="T1", job_id=record.id, approver="UBOSS").job is not None


def test_a_request_of_another_workspace_or_none_at_all_is_not_found(rig: Rig) -> None:
    record = rig.awaiting(team="T2")

    for team, job_id in (("T1", record.id), ("T1", 9999)):
        decision = rig.service.approve(team_id=team, job_id=job_id, approver="UAPP")
        assert decision.refusal == "I could not find that request for approval."
    assert rig.starts.started == []
    assert _approval(rig, record.id).state == ApprovalState.PENDING


def test_refusal_says_whether_this_person_may_still_decide(rig: Rig) -> None:
    record = rig.awaiting()

    assert rig.service.refusal(team_id="T1", job_id=record.id, approver="UAPP") is None
    refused = rig.service.refusal(team_id="T1", job_id=record.id, approver="U1")
    assert refused is not None
    assert refused.refusal is not None

    rig.service.reject(team_id="T1", job_id=record.id, approver="UAPP", reason=None)
    decided = rig.service.refusal(team_id="T1", job_id=record.id, approver="UAPP2")
    assert decided is not None
    assert decided.already is not None
    assert decided.already.state == ApprovalState.REJECTED


def test_two_approvers_pressing_at_once_start_the_move_once(sqlite_db: Database) -> None:
    rig = _rig(sqlite_db)
    barrier = threading.Barrier(2, timeout=10)

    def press(job_id: int, approver: str) -> Decision:
        barrier.wait()
        return rig.service.approve(team_id="T1", job_id=job_id, approver=approver)

    with ThreadPoolExecutor(max_workers=2) as pool:
        for n in range(5):
            record = rig.awaiting(f"k-{n}")
            decisions = list(pool.map(press, [record.id, record.id], ["UAPP", "UAPP2"]))

            assert sorted(d.job is not None for d in decisions) == [False, True], f"round {n}"
            assert sorted(d.already is not None for d in decisions) == [False, True], f"round {n}"
    assert len(rig.starts.started) == 5
    assert len({record.id for record in rig.starts.started}) == 5


def test_an_approved_move_is_sent_to_instantly_once_through_the_start_queue(sqlite_db: Database) -> None:
    posted: list[httpx.Request] = []

    def instantly(request: httpx.Request) -> httpx.Response:
        posted.append(request)
        return httpx.Response(200, json=instantly_job("b" * 24))

    moves = MoveService(
        db=sqlite_db, instantly=for_every_team(instantly_client(instantly)), owner="web-1", poll_interval=3
    )
    queue = StartQueue(moves=moves, db=sqlite_db, owner="web-1", lease_seconds=30, nominal_per_second=9, workers=2)
    rig = _rig(sqlite_db)
    service = ApprovalService(
        db=sqlite_db, access=rig.access, starts=queue, owner="web-1", threshold=THRESHOLD, hours=24.0
    )
    record = rig.awaiting()
    try:
        first = service.approve(team_id="T1", job_id=record.id, approver="UAPP")
        second = service.approve(team_id="T1", job_id=record.id, approver="UAPP2")
        assert queue.wait_idle(timeout=5)
    finally:
        queue.close()

    assert first.job is not None
    assert second.already is not None
    assert [request.url.path for request in posted] == ["/api/v2/leads/move"]
    started = jobs.get(sqlite_db, job_id=record.id)
    assert started is not None
    assert (started.phase, started.instantly_job_id) == (Phase.RUNNING, "b" * 24)


def test_a_request_past_its_deadline_can_no_longer_be_approved(rig: Rig) -> None:
    record = rig.awaiting(expires_at=utcnow() - timedelta(minutes=5))

    decision = rig.service.approve(team_id="T1", job_id=record.id, approver="UAPP")

    assert decision.job is None
    assert rig.starts.started == []


# --- rejecting ---------------------------------------------------------------------------------------------------


def test_a_rejection_with_a_reason_ends_the_move_with_that_reason(rig: Rig) -> None:
    record = rig.awaiting()

    decision = rig.service.reject(team_id="T1", job_id=record.id, approver="UAPP", reason="Too many at once")

    assert decision.job is not None
    assert (decision.job.phase, decision.job.error) == (Phase.NOT_APPROVED, "Too many at once")
    approval = _approval(rig, record.id)
    assert (approval.state, approval.decided_by, approval.reason) == (
        ApprovalState.REJECTED,
        "UAPP",
        "Too many at once",
    )
    assert rig.starts.started == []
    assert rig.audited() == [("UAPP", "reject", "Too many at once")]
    assert rig.wakes


@pytest.mark.parametrize("reason", [None, ""])
def test_a_rejection_without_a_reason_records_none(rig: Rig, reason: str | None) -> None:
    record = rig.awaiting()

    decision = rig.service.reject(team_id="T1", job_id=record.id, approver="UAPP", reason=reason)

    assert decision.job is not None
    assert decision.job.phase == Phase.NOT_APPROVED
    assert _approval(rig, record.id).reason is None
    assert rig.audited() == [("UAPP", "reject", "rejected")]


def test_a_rejection_after_an_approval_changes_nothing(rig: Rig) -> None:
    record = rig.awaiting()
    rig.service.approve(team_id="T1", job_id=record.id, approver="UAPP")

    decision = rig.service.reject(team_id="T1", job_id=record.id, approver="UAPP2", reason="late")

    assert decision.already is not None
    assert decision.already.state == ApprovalState.APPROVED
    current = jobs.get(rig.db, job_id=record.id)
    assert current is not None
    assert current.phase == Phase.REQUESTED


# --- expiring and cancelling -----------------------------------------------------------------------------------


def test_requests_left_undecided_past_their_deadline_expire(rig: Rig) -> None:
    late = rig.awaiting("late", expires_at=utcnow() - timedelta(seconds=1))
    in_time = rig.awaiting("in-time", expires_at=utcnow() + timedelta(hours=1))

    assert rig.service.expire_due() == 1

    expired = _approval(rig, late.id)
    assert (expired.state, expired.decided_by) == (ApprovalState.EXPIRED, "leadmover")
    assert expired.reason is not None
    assert "24 hours" in expired.reason
    job = jobs.get(rig.db, job_id=late.id)
    assert job is not None
    assert (job.phase, job.error) == (Phase.NOT_APPROVED, expired.reason)
    assert _approval(rig, in_time.id).state == ApprovalState.PENDING
    assert rig.audited() == [("leadmover", "expire", "expired")]
    assert rig.wakes
    assert rig.service.expire_due() == 0, "expired once"


def test_with_nothing_to_expire_the_writer_is_not_woken(rig: Rig) -> None:
    rig.awaiting(expires_at=utcnow() + timedelta(hours=1))

    assert rig.service.expire_due() == 0
    assert rig.wakes == []


def test_cancel_pending_of_ends_only_those_peoples_waiting_requests(rig: Rig) -> None:
    mine = [rig.awaiting("a", user="U1"), rig.awaiting("b", user="U1")]
    theirs = rig.awaiting("c", user="U2")
    elsewhere = rig.awaiting("d", user="U1", team="T2")
    approved = rig.awaiting("e", user="U1")
    rig.service.approve(team_id="T1", job_id=approved.id, approver="UAPP")

    assert rig.service.cancel_pending_of("T1", {"U1"}) == 2

    for record in mine:
        approval = _approval(rig, record.id)
        assert (approval.state, approval.decided_by) == (ApprovalState.CANCELLED, "leadmover")
    assert _approval(rig, theirs.id).state == ApprovalState.PENDING
    assert _approval(rig, elsewhere.id).state == ApprovalState.PENDING
    assert _approval(rig, approved.id).state == ApprovalState.APPROVED
    assert [action for _user, action, _outcome in rig.audited()].count("cancel") == 2


def test_denying_a_person_cancels_their_waiting_requests(rig: Rig) -> None:
    record = rig.awaiting(user="U1")

    rig.access.deny(team_id="T1", subject_id="U1", by="UBOSS")

    approval = _approval(rig, record.id)
    assert approval.state == ApprovalState.CANCELLED
    job = jobs.get(rig.db, job_id=record.id)
    assert job is not None
    assert job.phase == Phase.NOT_APPROVED
    assert ("leadmover", "cancel", "cancelled: requester denied") in rig.audited()


# --- the audit log ------------------------------------------------------------------------------------------------


def test_every_decision_is_audited_with_the_job_the_requester_and_the_order_less_typed_details(rig: Rig) -> None:
    typed = LeadFilters(search="jane@acme.com", emails=("jane@acme.com",), lead_status="FILTER_VAL_ACTIVE")
    approved = rig.awaiting("a", filters=typed)
    rejected = rig.awaiting("b", filters=typed)
    expired = rig.awaiting("c", filters=typed, expires_at=utcnow() - timedelta(seconds=1))
    cancelled = rig.awaiting("d", user="U9", filters=typed)

    rig.service.approve(team_id="T1", job_id=approved.id, approver="UAPP")
    rig.service.reject(team_id="T1", job_id=rejected.id, approver="UAPP2", reason="no")
    rig.service.expire_due()
    rig.service.cancel_pending_of("T1", {"U9"})

    entries = audit.entries(rig.db)
    assert [(e.action, e.user_id, e.detail["job"], e.detail["requester"]) for e in entries] == [
        ("approve", "UAPP", approved.id, "U1"),
        ("reject", "UAPP2", rejected.id, "U1"),
        ("expire", "leadmover", expired.id, "U1"),
        ("cancel", "leadmover", cancelled.id, "U9"),
    ]
    for entry in entries:
        assert entry.team_id == "T1"
        filters = entry.detail["order"]["filters"]
        assert (filters["search"], filters["emails"]) == (None, [])
        assert filters["lead_status"] == "FILTER_VAL_ACTIVE"

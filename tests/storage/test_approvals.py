"""Big moves waiting for approval (storage.approvals, and storage.submissions.record_submitted with an
ApprovalRequest): a submission that needs approval waits unleased with its request queued for posting; the first
decision moves the job on (to a requested move leased to its sender, or to NOT_APPROVED with the reason) and queues
the edits and replies; later decisions, even at the same instant from another thread, change nothing; expired and
per-person listings; the outbox holds a decision's edit and reply back until the request itself is out."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from storage import approvals, job_claims, jobs, outbox, outbox_claims, retention
from storage.approvals import Decided
from storage.clock import utcnow
from storage.db import Database
from storage.models import ApprovalRow, ApprovalState, JobRow, NotificationKind, Phase
from storage.orders import LeadFilters
from storage.records import JobRecord
from tests.factories import an_order, awaiting_job, outbox_notifications, requested_job, submitted_job

APPROVERS_CHANNEL = "CAPPROVE"


Awaiting = Callable[..., JobRecord]


@pytest.fixture
def awaiting(db: Database) -> Awaiting:
    """Makes big moves waiting for an approver."""
    return functools.partial(awaiting_job, db, approvers=APPROVERS_CHANNEL)


def _pending_request(db: Database) -> JobRecord:
    """A pending request written straight to the approvals table, beside a requested job: how deciding behaves
    does not depend on the job's phase column, so this exercises it on PostgreSQL too."""
    record = requested_job(db)
    with db.session() as session:
        session.add(
            ApprovalRow(
                job_id=record.id,
                team_id=record.team_id,
                channel_id=APPROVERS_CHANNEL,
                state=ApprovalState.PENDING,
                expires_at=utcnow() + timedelta(hours=1),
                created_at=utcnow(),
            )
        )
    return record


def _job_row(db: Database, job_id: int) -> JobRow:
    with db.reading() as session:
        row = session.get(JobRow, job_id)
        assert row is not None
        session.expunge(row)
        return row


def _writes(db: Database, job_id: int) -> list[tuple[NotificationKind, str, str]]:
    """The job's queued Slack writes as (kind, channel, state), in the order they were queued."""
    return [(n.kind, n.channel_id, n.state) for n in outbox_notifications(db, job_id=job_id)]


def _kinds(db: Database, job_id: int) -> list[NotificationKind]:
    return [kind for kind, _channel, _state in _writes(db, job_id)]


def test_every_phase_fits_the_jobs_phase_column() -> None:
    width = JobRow.__table__.c.phase.type.length
    assert [phase for phase in Phase if len(phase) > width] == []


# --- the request --------------------------------------------------------------------------------------------------


def test_a_submission_that_needs_approval_waits_unleased_with_its_request_queued(
    db: Database, awaiting: Awaiting
) -> None:
    deadline = utcnow().replace(microsecond=0) + timedelta(hours=24)
    record = awaiting(expires_at=deadline)

    assert record.phase == Phase.AWAITING_APPROVAL
    row = _job_row(db, record.id)
    assert (row.lease_owner, row.lease_expires_at) == (None, None), "nobody sends it before it is approved"
    approval = approvals.get(db, job_id=record.id)
    assert approval is not None
    assert (approval.team_id, approval.channel_id, approval.state) == ("T1", APPROVERS_CHANNEL, ApprovalState.PENDING)
    assert (approval.decided_by, approval.decided_at, approval.reason, approval.message_ts) == (None, None, None, None)
    assert approval.expires_at == deadline
    assert _writes(db, record.id) == [(NotificationKind.APPROVAL, APPROVERS_CHANNEL, "pending")]


def test_a_move_waiting_for_approval_is_neither_recovered_nor_polled(db: Database, awaiting: Awaiting) -> None:
    awaiting()

    assert job_claims.claim_orphans(db, owner="poller", lease_seconds=30) == []
    assert job_claims.claim_due(db, owner="poller", lease_seconds=30) == []


def test_a_submission_delivered_twice_asks_for_approval_once(db: Database, awaiting: Awaiting) -> None:
    first = awaiting("k-1")
    again = awaiting("k-1")

    assert again.id == first.id
    with db.reading() as session:
        assert session.scalars(select(ApprovalRow.job_id)).all() == [first.id]
    assert _kinds(db, first.id) == [NotificationKind.APPROVAL]


def test_a_submission_without_approval_asks_for_none(db: Database) -> None:
    submitted = submitted_job(db, "k-2", order=an_order(limit=10))

    assert submitted is not None
    assert submitted.record.phase == Phase.REQUESTED
    assert approvals.get(db, job_id=submitted.record.id) is None
    assert _writes(db, submitted.record.id) == []


def test_the_posted_request_remembers_its_message(db: Database, awaiting: Awaiting) -> None:
    record = awaiting()

    approvals.record_message(db, job_id=record.id, ts="1700000000.000042")

    approval = approvals.get(db, job_id=record.id)
    assert approval is not None
    assert approval.message_ts == "1700000000.000042"


# --- deciding -----------------------------------------------------------------------------------------------------


def test_approving_makes_it_a_requested_move_leased_to_the_one_who_sends_it(db: Database, awaiting: Awaiting) -> None:
    record = awaiting()
    before = utcnow()

    decided = approvals.decide(
        db, job_id=record.id, state=ApprovalState.APPROVED, decided_by="UBOSS", owner="web-2", lease_seconds=45
    )

    assert decided is not None
    assert decided.approval.state == ApprovalState.APPROVED
    assert (decided.approval.decided_by, decided.approval.reason) == ("UBOSS", None)
    assert decided.approval.decided_at is not None
    assert decided.approval.decided_at >= before
    assert (decided.job.id, decided.job.phase, decided.job.error) == (record.id, Phase.REQUESTED, None)
    row = _job_row(db, record.id)
    assert row.phase == Phase.REQUESTED
    assert row.lease_owner == "web-2"
    assert row.lease_expires_at is not None
    assert before + timedelta(seconds=44) <= row.lease_expires_at <= utcnow() + timedelta(seconds=46)
    assert jobs.mark_start_attempted(db, job_id=record.id, owner="web-2") is not None, "the owner may send it now"
    assert _writes(db, record.id) == [
        (NotificationKind.APPROVAL, APPROVERS_CHANNEL, "pending"),
        (NotificationKind.APPROVAL_EDIT, APPROVERS_CHANNEL, "pending"),
    ]


def test_an_approved_move_is_not_taken_over_while_its_sender_holds_the_lease(db: Database, awaiting: Awaiting) -> None:
    record = awaiting()
    approvals.decide(db, job_id=record.id, state=ApprovalState.APPROVED, decided_by="UBOSS", owner="web-2")

    assert job_claims.claim_orphans(db, owner="poller", lease_seconds=30) == []
    assert jobs.mark_start_attempted(db, job_id=record.id, owner="poller") is None


@pytest.mark.parametrize("state", [ApprovalState.REJECTED, ApprovalState.EXPIRED, ApprovalState.CANCELLED])
def test_a_move_not_approved_ends_with_the_reason_as_its_error_and_the_requester_is_told(
    db: Database, awaiting: Awaiting, state: ApprovalState
) -> None:
    record = awaiting()

    decided = approvals.decide(db, job_id=record.id, state=state, decided_by="UBOSS", reason="too many leads")

    assert decided is not None
    assert (decided.approval.state, decided.approval.reason) == (state, "too many leads")
    assert (decided.job.phase, decided.job.error) == (Phase.NOT_APPROVED, "too many leads")
    assert decided.job.finished_at is not None
    stored = jobs.get(db, job_id=record.id)
    assert stored is not None
    assert (stored.phase, stored.error) == (Phase.NOT_APPROVED, "too many leads")
    row = _job_row(db, record.id)
    assert row.lease_owner is None, "nothing is left to send"
    assert sorted(_writes(db, record.id)) == sorted(
        [
            (NotificationKind.APPROVAL, APPROVERS_CHANNEL, "pending"),
            (NotificationKind.APPROVAL_EDIT, APPROVERS_CHANNEL, "pending"),
            (NotificationKind.APPROVAL_REPLY, APPROVERS_CHANNEL, "pending"),
        ]
    )


def test_a_rejection_without_a_reason_still_says_why_the_move_ended(db: Database, awaiting: Awaiting) -> None:
    record = awaiting()

    decided = approvals.decide(db, job_id=record.id, state=ApprovalState.REJECTED, decided_by="UBOSS")

    assert decided is not None
    assert decided.approval.reason is None
    assert decided.job.error == "not approved (rejected)"


@pytest.mark.parametrize("first", [ApprovalState.APPROVED, ApprovalState.REJECTED, ApprovalState.EXPIRED])
def test_a_decided_request_cannot_be_decided_again(db: Database, awaiting: Awaiting, first: ApprovalState) -> None:
    record = awaiting()
    approvals.decide(db, job_id=record.id, state=first, decided_by="UFIRST", reason="first", owner="web-1")
    approval_before = approvals.get(db, job_id=record.id)
    job_before = jobs.get(db, job_id=record.id)
    writes_before = _writes(db, record.id)

    for state in ApprovalState:
        assert (
            approvals.decide(db, job_id=record.id, state=state, decided_by="ULATE", reason="late", owner="w9") is None
        )

    assert approvals.get(db, job_id=record.id) == approval_before
    assert jobs.get(db, job_id=record.id) == job_before
    assert _writes(db, record.id) == writes_before


def test_deciding_a_job_that_asked_for_no_approval_does_nothing(db: Database) -> None:
    submitted = submitted_job(db, "k-3", order=an_order(limit=10))
    assert submitted is not None

    assert approvals.decide(db, job_id=submitted.record.id, state=ApprovalState.REJECTED, decided_by="U2") is None
    assert approvals.decide(db, job_id=9999, state=ApprovalState.APPROVED, decided_by="U2") is None
    assert jobs.get(db, job_id=submitted.record.id) == submitted.record


def _race(db: Database, make: Callable[[int], JobRecord], *, rounds: int = 6) -> None:
    """Two threads decide each of `rounds` requests at the same instant: exactly one decision takes effect."""
    barrier = threading.Barrier(2, timeout=20)

    def decide(job_id: int, state: ApprovalState, who: str) -> Decided | None:
        barrier.wait()
        return approvals.decide(db, job_id=job_id, state=state, decided_by=who, reason=who, owner=f"web-{who}")

    with ThreadPoolExecutor(max_workers=2) as pool:
        for n in range(rounds):
            record = make(n)
            # Even rounds: approve against reject; odd rounds: two approvers press Approve together.
            second = ApprovalState.REJECTED if n % 2 == 0 else ApprovalState.APPROVED
            futures = [
                pool.submit(decide, record.id, ApprovalState.APPROVED, "UA"),
                pool.submit(decide, record.id, second, "UB"),
            ]
            results = [future.result(timeout=30) for future in futures]

            winners = [result for result in results if result is not None]
            assert len(winners) == 1, f"round {n}: {results}"
            [won] = winners
            approval = approvals.get(db, job_id=record.id)
            assert approval == won.approval, "what is stored is what the winner was told"
            job = jobs.get(db, job_id=record.id)
            assert job is not None
            expected = Phase.REQUESTED if won.approval.state == ApprovalState.APPROVED else Phase.NOT_APPROVED
            assert job.phase == expected
            assert _kinds(db, record.id).count(NotificationKind.APPROVAL_EDIT) == 1
            assert _kinds(db, record.id).count(NotificationKind.APPROVAL_REPLY) == (
                0 if expected == Phase.REQUESTED else 1
            )
            if expected == Phase.REQUESTED:
                assert _job_row(db, record.id).lease_owner == f"web-{won.approval.decided_by}"


def test_two_people_deciding_at_the_same_moment_make_exactly_one_decision(db: Database) -> None:
    _race(db, lambda _n: _pending_request(db))


def test_two_people_deciding_a_submitted_request_at_the_same_moment_make_exactly_one_decision(
    db: Database, awaiting: Awaiting
) -> None:
    _race(db, lambda n: awaiting(f"race-{n}"))


# --- finding requests ---------------------------------------------------------------------------------------------


def test_expired_lists_only_pending_requests_past_their_deadline_soonest_first(
    db: Database, awaiting: Awaiting
) -> None:
    now = utcnow()
    later_past = awaiting("a", expires_at=now - timedelta(minutes=1))
    earlier_past = awaiting("b", expires_at=now - timedelta(hours=2))
    awaiting("c", expires_at=now + timedelta(hours=1))
    cancelled_past = awaiting("d", expires_at=now - timedelta(hours=3))
    approvals.decide(db, job_id=cancelled_past.id, state=ApprovalState.CANCELLED, decided_by="leadmover")

    assert approvals.expired(db) == [earlier_past.id, later_past.id]
    assert approvals.expired(db, limit=1) == [earlier_past.id]


def test_past_its_deadline_a_request_can_only_expire(db: Database, awaiting: Awaiting) -> None:
    late = awaiting("late", expires_at=utcnow() - timedelta(seconds=1))
    for state in (ApprovalState.APPROVED, ApprovalState.REJECTED):
        assert approvals.decide(db, job_id=late.id, state=state, decided_by="UBOSS", owner="web-1") is None
    expired = approvals.decide(db, job_id=late.id, state=ApprovalState.EXPIRED, decided_by="leadmover")
    assert expired is not None
    assert expired.job.phase == Phase.NOT_APPROVED


def test_pending_of_lists_one_persons_waiting_requests_in_one_workspace(db: Database, awaiting: Awaiting) -> None:
    mine = [awaiting("m1", user="U1"), awaiting("m2", user="U1")]
    awaiting("o1", user="U2")
    awaiting("x1", team="T2", user="U1")
    decided = awaiting("m3", user="U1")
    approvals.decide(db, job_id=decided.id, state=ApprovalState.APPROVED, decided_by="UBOSS", owner="web-1")

    assert sorted(approvals.pending_of(db, team_id="T1", user_id="U1")) == [record.id for record in mine]
    assert len(approvals.pending_of(db, team_id="T1", user_id="U2")) == 1
    assert len(approvals.pending_of(db, team_id="T2", user_id="U1")) == 1
    assert approvals.pending_of(db, team_id="T2", user_id="U2") == []


# --- the outbox -----------------------------------------------------------------------------------------------------


def test_a_decisions_edit_and_reply_wait_until_the_request_itself_is_posted(db: Database, awaiting: Awaiting) -> None:
    record = awaiting()
    approvals.decide(db, job_id=record.id, state=ApprovalState.REJECTED, decided_by="UBOSS", reason="no")

    [request] = outbox_claims.claim_due(db, owner="w1", lease_seconds=30)
    assert request.kind == NotificationKind.APPROVAL
    outbox.mark_sending(db, notification_id=request.id, sent_to=APPROVERS_CHANNEL)
    assert outbox_claims.claim_due(db, owner="w2", lease_seconds=30) == [], "the request is still on its way"

    outbox.mark_sent(db, notification_id=request.id, ts="1.1")

    claimed = outbox_claims.claim_due(db, owner="w2", lease_seconds=30)
    assert sorted(n.kind for n in claimed) == sorted([NotificationKind.APPROVAL_EDIT, NotificationKind.APPROVAL_REPLY])
    assert {n.channel_id for n in claimed} == {APPROVERS_CHANNEL}


def test_a_decision_on_a_request_whose_post_was_retried_still_waits_for_it(db: Database, awaiting: Awaiting) -> None:
    record = awaiting()
    [request] = outbox_claims.claim_due(db, owner="w1", lease_seconds=30)
    outbox.retry_later(db, notification_id=request.id, attempts=1, delay=0, error="ratelimited")
    approvals.decide(db, job_id=record.id, state=ApprovalState.APPROVED, decided_by="UBOSS", owner="web-1")

    assert [n.kind for n in outbox_claims.claim_due(db, owner="w2", lease_seconds=30)] == [NotificationKind.APPROVAL]


def test_another_jobs_pending_request_does_not_hold_back_a_decision(db: Database, awaiting: Awaiting) -> None:
    decided = awaiting("k-a")
    waiting = awaiting("k-b")
    [first, second] = outbox_claims.claim_due(db, owner="w1", lease_seconds=30)
    sent = first if first.job_id == decided.id else second
    outbox.mark_sent(db, notification_id=sent.id, ts="1.1")
    approvals.decide(db, job_id=decided.id, state=ApprovalState.APPROVED, decided_by="UBOSS", owner="web-1")

    [edit] = outbox_claims.claim_due(db, owner="w2", lease_seconds=30)
    assert (edit.kind, edit.job_id) == (NotificationKind.APPROVAL_EDIT, decided.id)
    assert waiting.id != decided.id


# --- retention --------------------------------------------------------------------------------------------------


def test_a_move_not_approved_long_ago_forgets_what_was_typed(db: Database, awaiting: Awaiting) -> None:
    typed = LeadFilters(search="jane@acme.com", emails=("jane@acme.com",))
    record = awaiting(filters=typed)
    approvals.decide(db, job_id=record.id, state=ApprovalState.REJECTED, decided_by="UBOSS", reason="no")

    forgotten = retention.forget_before(db, cutoff=utcnow() + timedelta(days=1))

    kept = jobs.get(db, job_id=record.id)
    assert kept is not None
    assert (kept.order.filters.search, kept.order.filters.emails) == (None, ())
    assert forgotten.job_details == 1

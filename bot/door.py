"""The one door every move passes, however it was asked for: the same checks in the same order, then the move written
down under its idempotency key, all before anyone is told it is starting. Listeners, Move back, Approve, a workflow
step and a schedule call it; none of them decides on its own whether a move may happen. What goes in and what comes
out are in bot.door_terms."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Final

from bot.access import AccessService
from bot.approvals import ApprovalService
from bot.door_terms import (
    NAMES_UNKNOWN,
    AwaitingApproval,
    MoveRequest,
    NotConnected,
    Outcome,
    Refused,
    Repeat,
    Starting,
    TooMany,
)
from bot.instantly.errors import InstantlyError
from bot.moves import MoveService, Requester
from bot.preview import PreviewService
from bot.preview_counts import Taken
from bot.starts import StartQueue, Then
from bot.workspaces import NotInstalled, Workspaces
from storage import jobs
from storage.db import Database
from storage.models import Phase
from storage.orders import Endpoint, MoveOrder
from storage.records import JobRecord

log = logging.getLogger(__name__)

# E-mails per part of a move that names its leads (a Move back): Instantly names at most 10,000 moved leads, and no
# limit on `contacts` is documented, so each body stays small (about 30 KB) where proxies and Instantly surely take
# it, each job finishes and reports soon, and one failed part leaves the others' leads where they were put back.
PART_SIZE: Final = 1_000
# How long the door may ask Instantly for names and the count: it answers before Slack's 3 s run out.
LOOKUP_SECONDS: Final = 1.5
# A schedule's run has no one waiting on Slack's 3 s, and a slow answer would skip it until its next occurrence.
UNATTENDED_LOOKUP_SECONDS: Final = 10.0


def parts_of(order: MoveOrder) -> tuple[MoveOrder, ...]:
    """The order as Instantly is sent it: one part, or one per PART_SIZE e-mails of an order that names its leads."""
    emails = order.filters.emails
    if len(emails) <= PART_SIZE:
        return (order,)
    return tuple(
        order.model_copy(
            update={"filters": order.filters.model_copy(update={"emails": emails[start : start + PART_SIZE]})}
        )
        for start in range(0, len(emails), PART_SIZE)
    )


class Door:
    def __init__(
        self,
        *,
        db: Database,
        access: AccessService,
        workspaces: Workspaces,
        preview: PreviewService,
        approvals: ApprovalService,
        moves: MoveService,
        starts: StartQueue,
        lookup_seconds: float = LOOKUP_SECONDS,
    ) -> None:
        self._db = db
        self._access = access
        self._workspaces = workspaces
        self._preview = preview
        self._approvals = approvals
        self._moves = moves
        self._starts = starts
        self._lookup_seconds = lookup_seconds
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="leadmover-door")

    def submit(self, request: MoveRequest, *, then: Then | None = None) -> Outcome:
        """Check, in order: access, the connection, Instantly's names, the approval rule, the in-flight limit; then
        write the move down under `request.key` and queue its start (`then` gets the start's outcome)."""
        requester, order = request.requester, request.order
        # A key seen before is answered as it was the first time, whoever asks again and whatever changed since.
        earlier = self._moves.submitted(team_id=requester.team_id, submission_key=request.key)
        if earlier is not None:
            return self._repeat(earlier.records)
        refused = self.may_move(requester)
        if refused is not None:
            return refused
        lookup = self._lookup_seconds if request.via.attended else max(self._lookup_seconds, UNATTENDED_LOOKUP_SECONDS)
        looked_up = self._named(requester.team_id, order, timeout=lookup)
        if isinstance(looked_up, Refused):
            return looked_up
        order, lead_count, taken = looked_up
        parts = parts_of(order)
        if order.takes_back is not None:
            lead_count, taken = len(order.filters.emails), None
        approval = (
            self._approvals.request_for(origin_channel=requester.channel_id)
            if not request.approved_beforehand and self._approvals.needs_approval(leads=self._leads_asked(order))
            else None
        )
        submitted = self._moves.accept(
            order=parts[0],
            parts=parts[1:],
            requester=requester,
            submission_key=request.key,
            approval=approval,
            thread_ts=request.thread_ts,
            via=request.via,
            via_name=request.via_name,
            lead_count=lead_count,
            matching=(taken.leads, taken.more) if taken is not None else None,
        )
        if submitted is None:
            place = self._starts.place_of_next(team_id=requester.team_id, user_id=requester.user_id)
            return TooMany(self._moves.max_starting_per_user or 0, retry_in=place.starts_in)
        records = submitted.records
        if submitted.repeat:  # delivered twice at the same moment: the other delivery wrote it down
            return self._repeat(records)
        if approval is not None:
            return AwaitingApproval(records, approval.channel_id)
        return Starting(records, starts_in=self._start(records, then=then))

    def _repeat(self, records: tuple[JobRecord, ...]) -> Repeat:
        first = records[0]
        if first.phase == Phase.AWAITING_APPROVAL:
            return Repeat(AwaitingApproval(records, self._approvals.channel_of(first)))
        return Repeat(Starting(records))

    def release(self, record: JobRecord) -> str | None:
        """Approve's way in: why the parked move may no longer start (its requester may no longer move, or the
        workspace lost its Instantly connection), in words for the channel; None when it may start."""
        requester = Requester(team_id=record.team_id, user_id=record.user_id, channel_id=record.channel_id)
        stopped = self.may_move(requester, fresh=True)
        if isinstance(stopped, Refused):
            log.info("job %s: its requester may no longer move (%s)", record.id, stopped.words)
            return f"<@{record.user_id}> may no longer move leads in this workspace, so nothing was moved."
        if isinstance(stopped, NotConnected):
            return "This workspace's Instantly connection was removed, so nothing was moved."
        return None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # --- the checks --------------------------------------------------------------------------------------------

    def may_move(self, requester: Requester, *, fresh: bool = False) -> Refused | NotConnected | None:
        """The first two checks: may this person move here, and is the workspace connected? A form asks before it
        opens; `fresh` asks Slack who the person is now rather than trust a recent answer."""
        refused = self._access.refusal_to_move(team_id=requester.team_id, user_id=requester.user_id, fresh=fresh)
        if refused is not None:
            return Refused(refused)
        if not self._workspaces.is_connected(requester.team_id):
            return NotConnected()
        return None

    def _named(
        self, team_id: str, order: MoveOrder, *, timeout: float
    ) -> tuple[MoveOrder, int | None, Taken | None] | Refused:
        """The order with Instantly's names for its places and assignee, the source's lead count and how many leads
        the filters take (each None when Instantly could not count in time; the preview's, when it counted them);
        Refused when Instantly does not know a place or could not name it."""
        count = self._pool.submit(
            self._preview.count, team_id=team_id, source=order.source, timeout=timeout, stale_ok=True
        )
        matching = None
        if order.takes_back is None:
            matching = self._pool.submit(
                self._preview.taken,
                team_id=team_id,
                source=order.source,
                filters=order.filters,
                timeout=timeout,
                stale_ok=True,
            )
        assignee = order.options.assign_to
        values = [_value(order.source), _value(order.destination)]
        values += [f"member:{assignee}"] if assignee is not None else []
        try:
            names = self._workspaces.pickers(team_id).names(values, timeout=timeout)
        except (InstantlyError, TimeoutError, NotInstalled) as exc:
            log.info("names of a move in %s unknown: %s", team_id, exc)
            count.cancel()
            if matching is not None:
                matching.cancel()
            return Refused(NAMES_UNKNOWN)
        for about, place in (("source", order.source), ("destination", order.destination)):
            if names[_value(place)] is None:
                return Refused(
                    f"Instantly has no {place.kind.value} `{place.id[:40]}` any more (it may have been deleted), "
                    "so nothing was started. Pick it again.",
                    about=about,
                )
        try:
            counted = count.result(timeout=timeout)
        except FutureTimeout:
            counted = None
        try:
            taken = matching.result(timeout=timeout) if matching is not None else None
        except FutureTimeout:
            taken = None
        options = order.options
        if assignee is not None:
            options = options.model_copy(update={"assign_to_name": names[f"member:{assignee}"]})
        named = order.model_copy(
            update={
                "source": _renamed(order.source, names[_value(order.source)]),
                "destination": _renamed(order.destination, names[_value(order.destination)]),
                "options": options,
            }
        )
        return named, counted, taken

    def _leads_asked(self, order: MoveOrder) -> int | None:
        """How many leads the approval rule weighs: the limit, or None for every lead. A Move back takes the leads
        Instantly named, so it weighs their number, and counts as every lead when the move it takes back had no
        limit."""
        if order.takes_back is None:
            return order.limit
        taken_back = jobs.get(self._db, job_id=order.takes_back)
        unbounded = taken_back is None or taken_back.order is None or taken_back.order.limit is None
        return None if unbounded else len(order.filters.emails)

    def _start(self, records: Sequence[JobRecord], *, then: Then | None) -> float:
        """Queue every part; about how many seconds until the first starts."""
        queued = [
            self._starts.submit(record, then=then if then is not None and number == 0 else _nothing)
            for number, record in enumerate(records)
        ]
        return queued[0].starts_in if queued and queued[0] is not None else 0.0


def _value(place: Endpoint) -> str:
    return f"{place.kind.value}:{place.id}"


def _renamed(place: Endpoint, name: str | None) -> Endpoint:
    return place if name is None else place.model_copy(update={"name": name})


def _nothing(_record: JobRecord) -> None:
    """A start whose outcome nobody waits for: the channel hears of it."""

"""The move modal's view_submission: field errors inline, or the move written down, "starting" acked, then sent. In
schedule mode the same form makes a schedule instead (handlers/schedules.py).

A move with no limit and no filter takes every lead of the source: it is not sent but answered with a pushed
confirmation that states the count, and the confirmation's own submission starts it, down the same path.

Slack may deliver one submission more than once (a retry after a slow ack), and a captured signed request can be
replayed: each is keyed by its view id and hash and recorded before the ack, so a repeat sends and posts nothing.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Final, Protocol

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.door_terms import (
    NOT_CONNECTED,
    AwaitingApproval,
    MoveRequest,
    NotConnected,
    Refused,
    Repeat,
    Starting,
    TooMany,
    Via,
    too_many,
)
from bot.moves import Requester
from bot.services import Services
from handlers import ids, move_form, move_notices_view, preview_view, schedule_form, schedules
from handlers.context import services_of, team_and_user
from storage.orders import MoveOrder
from storage.records import JobRecord

log = logging.getLogger(__name__)

VIEW_SETTLE_SECONDS: Final = 1.0
# How long the submission may ask Instantly for the count it confirms, when no recent preview left it: Slack
# wants the push within 3 s.
CONFIRM_COUNT_SECONDS: Final = 1.5
UNREADABLE: Final = "leadmover could not read this confirmation, so nothing was started. Go back and press Start again."


class Refuse(Protocol):
    """Says why a submission did not start, beside the field at fault (`about`) when the form has one."""

    def __call__(self, text: str, about: str | None = None) -> None: ...


def register(app: App) -> None:
    app.view(ids.MOVE_MODAL)(handle_move_submission)
    app.view(ids.CONFIRM_MODAL)(handle_confirmation)


def submission_key(view: dict[str, Any]) -> str:
    """What identifies one submission of one view: Slack gives each rendering of a view a new hash."""
    return f"view:{view.get('id', '')}:{view.get('hash', '')}"


def handle_move_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    scheduling = schedule_form.scheduling_of(view)
    if scheduling is not None:  # the schedule modal: the same form, saved as a schedule rather than started
        schedules.handle_submission(ack, body, view, context, client, scheduling=scheduling)
        return
    order = move_form.parse(view)
    if isinstance(order, dict):
        ack(response_action="errors", errors=order)
        return
    services = services_of(context)
    team_id, user_id = team_and_user(body, context)
    requester = Requester(team_id=team_id, user_id=user_id, channel_id=move_form.channel_of(view) or user_id)

    def refuse(text: str, about: str | None = None) -> None:
        ack(response_action="errors", errors={about if about in (ids.SOURCE, ids.DESTINATION) else ids.SOURCE: text})

    if move_form.takes_everything(order):
        _confirm(ack, refuse, services=services, order=order, requester=requester)
        return
    via = Via.RUN_AGAIN if move_form.run_again(view) else Via.FORM
    _submit(ack, refuse, services=services, view=view, request=_request(order, requester, via, view))


def handle_confirmation(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    """The confirmation's submit: the order it carries goes through the door as any submission does, keyed by this
    view."""
    services = services_of(context)
    team_id, user_id = team_and_user(body, context)
    carried = preview_view.confirmed(view)

    def refuse(text: str, about: str | None = None) -> None:
        # The confirmation has no input to put an error beside: a notice says it, and Back returns to the form.
        ack(response_action="update", view=move_notices_view.refused_view(text))

    if carried is None:
        refuse(UNREADABLE)
        return
    channel_id, order = carried
    requester = Requester(team_id=team_id, user_id=user_id, channel_id=channel_id)
    _submit(ack, refuse, services=services, view=view, request=_request(order, requester, Via.CONFIRMATION, view))


def _request(order: MoveOrder, requester: Requester, via: Via, view: dict[str, Any]) -> MoveRequest:
    return MoveRequest(order=order, requester=requester, via=via, key=submission_key(view))


def _confirm(ack: Ack, refuse: Refuse, *, services: Services, order: MoveOrder, requester: Requester) -> None:
    """Push the confirmation of a move of every lead, stating the count; nothing is recorded yet. The door checks
    everything again when it is confirmed: this only spares the person a confirmation that could not start."""
    try:
        stopped = services.door.may_move(requester)
    except Exception:
        log.exception("could not check a move of every lead before confirming it; nothing was sent")
        ack(response_action="update", view=move_notices_view.not_saved_view())
        return
    if stopped is not None:
        refuse(_words(stopped))
        return
    count = services.preview.count(team_id=requester.team_id, source=order.source, timeout=CONFIRM_COUNT_SECONDS)
    view = preview_view.confirm_view(order=order, count=count, channel_id=requester.channel_id)
    ack(response_action="push", view=view)


def _submit(ack: Ack, refuse: Refuse, *, services: Services, view: dict[str, Any], request: MoveRequest) -> None:
    """The door decides; this only acks what it came to. Written down before the ack: once the person is told it is
    starting, the move cannot be forgotten."""
    team_id, view_id, acked_at = request.requester.team_id, str(view.get("id", "")), time.monotonic()

    def show_outcome(record: JobRecord) -> None:
        # Slack applies the ack's view a moment after it gets the answer; an update that overtook it would be lost.
        services.reporter.update_view(
            team_id=team_id,
            view_id=view_id,
            view=move_notices_view.result_view(record),
            not_before=acked_at + VIEW_SETTLE_SECONDS,
        )

    try:
        outcome = services.door.submit(request, then=show_outcome)
    except Exception:
        log.exception("could not write a submitted move down; nothing was sent")
        ack(response_action="update", view=move_notices_view.not_saved_view())
        return
    if isinstance(outcome, Repeat):
        log.info("job %s: submission delivered again; nothing more to do", outcome.record.id)
        outcome = outcome.first
    if isinstance(outcome, AwaitingApproval):
        ack(response_action="update", view=move_notices_view.awaiting_approval_view(outcome.record, outcome.channel_id))
    elif isinstance(outcome, Starting):
        # Instantly may take longer than Slack's 3 s: the person sees "starting" now, the outcome when it comes.
        ack(
            response_action="update",
            view=move_notices_view.starting_view(outcome.record.move, starts_in=outcome.starts_in),
        )
    else:
        # The form stays open with everything filled in, so pressing Start again later is all it takes.
        refuse(_words(outcome), outcome.about if isinstance(outcome, Refused) else None)


def _words(outcome: Refused | NotConnected | TooMany) -> str:
    if isinstance(outcome, Refused):
        return outcome.words
    if isinstance(outcome, NotConnected):
        return NOT_CONNECTED
    return too_many(outcome.limit, outcome.retry_in)

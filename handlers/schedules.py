"""/leads schedules, each schedule's buttons (in that list and in App Home) and the schedule modal's submission. Who
may do what is the schedule service's to say, and a refusal is shown in its words; buttons ack before anything."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Final

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.moves import Requester
from bot.pickers import Choice
from bot.schedules import Denied, ScheduleService, recurrence_of, slack_time
from bot.services import Services
from bot.slack.blocks import schedule_messages
from bot.slack.errors import slack_error
from handlers import home, home_view, ids, move_form, move_view, preview, preview_view, schedule_form, schedules_view
from handlers.context import services_of, team_and_user
from handlers.entered import State
from handlers.prefill import Fill
from handlers.verbs import Audience, Help, Invocation, Verb
from storage.orders import MoveOrder
from storage.schedules import ScheduleRecord

log = logging.getLogger(__name__)

Change = Callable[..., ScheduleRecord | Denied]


def register(app: App) -> None:
    app.action(ids.SCHEDULE_ACTION)(handle_button)


def their_zone(services: Services, *, team_id: str, user_id: str) -> str:
    """The person's time zone as Slack has it (users.info's `tz`, read with who they are); UTC when Slack cannot
    say."""
    return schedule_form.known_zone(services.access.person(team_id=team_id, user_id=user_id).timezone)


def new_schedule(services: Services, *, team_id: str, user_id: str) -> schedule_form.Scheduling:
    """The schedule modal's mode for a new schedule: in the person's own time zone unless they pick another."""
    return schedule_form.Scheduling(their_zone=their_zone(services, team_id=team_id, user_id=user_id))


# --- /leads schedules --------------------------------------------------------------------------------------------


def _list(call: Invocation) -> None:
    records = call.services.schedules.visible_to(team_id=call.team_id, user_id=call.user_id)
    text, blocks = schedules_view.schedule_list(records, viewer=call.user_id)
    call.ack(response_type="ephemeral", text=text, blocks=blocks)


VERBS: Final = (
    Verb(
        name=ids.SCHEDULES,
        audience=Audience.MOVERS,
        help=(
            Help(
                says="your schedules: pause, resume, run now, edit or delete them",
                to_admins="your schedules (the workspace's, for an admin): pause, resume, run now, edit or delete them",
            ),
        ),
        handle=_list,
    ),
)


# --- the buttons -------------------------------------------------------------------------------------------------


def _changes(schedules: ScheduleService) -> dict[str, Change]:
    return {
        ids.SCHEDULE_PAUSE: schedules.pause,
        ids.SCHEDULE_RESUME: schedules.resume,
        ids.SCHEDULE_RUN_NOW: schedules.run_now,
        ids.SCHEDULE_DELETE: schedules.delete,
    }


def _done(kind: str, record: ScheduleRecord) -> str:
    """What a button did, said above the list it leaves."""
    if kind == ids.SCHEDULE_PAUSE:
        return f":double_vertical_bar: Paused schedule #{record.id}: it does not run until it is resumed."
    if kind == ids.SCHEDULE_RESUME:
        return f":arrow_forward: Resumed schedule #{record.id}. Next run: {slack_time(record.next_run_at)}."
    if kind == ids.SCHEDULE_RUN_NOW:
        where = schedules_view.where_runs_go(record.channel_id)
        return f":arrow_forward: Schedule #{record.id} runs once now, besides its usual times: {where} hears how."
    return f":wastebasket: Deleted schedule #{record.id}, which would {schedule_messages.what(record.order)}."


def handle_button(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext) -> None:
    ack()
    action = (body.get("actions") or [{}])[0]
    found = ids.SCHEDULE_ACTION.match(str(action.get("action_id") or ""))
    if found is None:
        return
    kind, schedule_id = found.group(1), int(found.group(2))
    services = services_of(context)
    team_id, user_id = team_and_user(body, context)
    in_home = (body.get("view") or {}).get("type") == "home"

    def tell(words: str) -> None:
        if in_home:
            _open(client, body, home_view.notice(title=f"Schedule #{schedule_id}", text=f":no_entry: {words}"))
        else:
            respond(response_type="ephemeral", replace_original=False, text=f":no_entry: {words}")

    if kind == ids.SCHEDULE_EDIT:
        _edit(services, client, body, team_id=team_id, user_id=user_id, schedule_id=schedule_id, tell=tell)
        return
    changed = _changes(services.schedules)[kind](team_id=team_id, user_id=user_id, schedule_id=schedule_id)
    if isinstance(changed, Denied):
        tell(changed.words)
    elif in_home:
        home.publish(services=services, client=client, team_id=team_id, user_id=user_id)
    else:
        records = services.schedules.visible_to(team_id=team_id, user_id=user_id)
        text, blocks = schedules_view.schedule_list(records, viewer=user_id, note=_done(kind, changed))
        respond(replace_original=True, text=text, blocks=blocks)


def _open(client: WebClient, body: dict[str, Any], view: dict[str, Any]) -> dict[str, Any] | None:
    try:
        opened: dict[str, Any] = client.views_open(trigger_id=body["trigger_id"], view=view)["view"]
    except SlackApiError as exc:
        log.warning("views.open of %s failed: %s", view.get("callback_id") or "a notice", slack_error(exc))
        return None
    return opened


def _filled(order: MoveOrder) -> tuple[Fill, State]:
    """The move form's fields as `order` has them, as Run again fills them in."""
    options = order.options
    assignee = None
    if options.assign_to is not None and options.assign_to_name is not None:
        assignee = Choice(f"member:{options.assign_to}", options.assign_to_name)
    note = home_view.ASSIGNEE_UNCHECKED if options.assign_to is not None and assignee is None else None
    return home_view.run_again_fill(order, assignee_note=note), home_view.run_again_entered(order, assignee=assignee)


def _edit_view(
    record: ScheduleRecord, scheduling: schedule_form.Scheduling, *, shown: str = preview_view.WAITING
) -> move_view.View:
    """The schedule modal filled in with the schedule's move and When; `shown` the preview, once made."""
    fill, entered = _filled(record.order)
    return move_view.build(
        channel_id=record.channel_id,
        copy_leads=record.order.copies,
        fill=fill,
        entered=entered,
        preview=shown,
        scheduling=scheduling,
    )


def _edit(
    services: Services,
    client: WebClient,
    body: dict[str, Any],
    *,
    team_id: str,
    user_id: str,
    schedule_id: int,
    tell: Callable[[str], None],
) -> None:
    """Edit: the schedule modal, filled in; its preview follows with views.update (the trigger lives 3 s)."""
    record = services.schedules.managed(team_id=team_id, user_id=user_id, schedule_id=schedule_id)
    if isinstance(record, Denied):
        tell(record.words)
        return
    when = recurrence_of(record.when)
    zone = their_zone(services, team_id=team_id, user_id=user_id)
    scheduling = schedule_form.Scheduling(their_zone=zone, editing=record.id, when=when)
    opened = _open(client, body, _edit_view(record, scheduling))
    if opened is None:
        tell("Slack did not open the form in time. Press Edit again.")
        return
    fill, entered = _filled(record.order)
    shown = preview.filled_preview(services=services, fill=fill, entered=entered, team_id=team_id, user_id=user_id)
    try:
        # The hash makes Slack refuse the update if the person changed the form meanwhile.
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=_edit_view(record, scheduling, shown=shown))
    except SlackApiError as exc:
        log.info("views.update of a schedule's Edit form failed: %s", slack_error(exc))


# --- the schedule modal's submission -----------------------------------------------------------------------------


def handle_submission(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    *,
    scheduling: schedule_form.Scheduling,
) -> None:
    """Field errors inline, or the schedule made (or changed) through the schedule service and the modal turned
    into a notice of it. No confirmation of a move of every lead: the notice says so instead."""
    order, when = move_form.parse(view), schedule_form.parse(view)
    if isinstance(order, dict) or isinstance(when, dict):
        errors = (order if isinstance(order, dict) else {}) | (when if isinstance(when, dict) else {})
        ack(response_action="errors", errors=errors)
        return
    services = services_of(context)
    team_id, user_id = team_and_user(body, context)
    editing = scheduling.editing
    try:
        if editing is None:
            requester = Requester(team_id=team_id, user_id=user_id, channel_id=move_form.channel_of(view) or user_id)
            saved = services.schedules.create(requester=requester, order=order, recurrence=when)
        else:
            saved = services.schedules.edit(
                team_id=team_id, user_id=user_id, schedule_id=editing, order=order, recurrence=when
            )
    except Exception:
        log.exception("could not write a schedule down; nothing was scheduled")
        ack(response_action="update", view=schedules_view.not_saved_view())
        return
    if isinstance(saved, Denied):
        ack(response_action="errors", errors={ids.SOURCE: saved.words})
        return
    ack(response_action="update", view=schedules_view.saved_view(saved, edited=editing is not None))
    if editing is not None:  # an Edit pressed in App Home leaves the tab showing the schedule as it was
        home.publish(services=services, client=client, team_id=team_id, user_id=user_id)

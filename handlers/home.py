"""The App Home tab: opening it publishes the person's recent jobs and schedules (and, for admins, the workspace's
running jobs and every schedule; the schedules' buttons are handlers/schedules.py's). "Run again" opens the move
modal filled in as that job was, and "New move" an empty one for the channel of the person's latest job. Both start
in the default mode of their channel (`/leads settings`): a person switches it in the form.

Every listener acks first: Slack's permalinks and views.publish come after, so the tab never keeps Slack waiting.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.door_terms import NotConnected, Refused
from bot.instantly.errors import InstantlyError
from bot.moves import Requester
from bot.pickers import Choice, Suggestions
from bot.services import Services
from bot.slack.errors import slack_error
from handlers import connect, home_view, ids, move_view, preview, schedules_view
from handlers.context import services_of, team_and_user
from storage.orders import MoveMode
from storage.records import JobRecord

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.event("app_home_opened")(handle_home_opened)
    app.action(ids.HOME_RUN_AGAIN_ACTION)(handle_run_again)
    app.action(ids.HOME_OPEN_INSTANTLY)(handle_open_instantly)
    app.action(ids.HOME_NEW_MOVE)(handle_new_move)


def handle_home_opened(
    ack: Ack, body: dict[str, Any], event: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    if event.get("tab") != "home":
        return  # the Messages tab: nothing to publish
    team_id = str(context.team_id or "")  # the authorized workspace (handlers.context), never the payload's
    user_id = str(event.get("user") or "")
    if team_id and user_id:
        publish(services=services_of(context), client=client, team_id=team_id, user_id=user_id)


def publish(*, services: Services, client: WebClient, team_id: str, user_id: str) -> None:
    """Build this person's Home tab as it stands now and publish it."""
    admin = services.access.is_admin(team_id=team_id, user_id=user_id)
    refusal = None if admin else services.access.refusal_to_move(team_id=team_id, user_id=user_id)
    mine = services.moves.recent_jobs(team_id=team_id, user_id=user_id, limit=home_view.MAX_JOBS)
    running: list[JobRecord] | None = None
    if admin:
        everyone = services.moves.recent_jobs(
            team_id=team_id,
            user_id=None,
            limit=home_view.MAX_RUNNING + home_view.MAX_JOBS,
            phases=home_view.RUNNING_PHASES,
        )
        running = [r for r in everyone if r.user_id != user_id]
    shown = mine + (running or [])[: home_view.MAX_RUNNING]
    links = {r.id: link for r in shown if (link := _permalink(client, r)) is not None}
    copies = _copies_by_default(services, team_id=team_id, channel_id=mine[0].channel_id) if mine else None
    schedules = schedules_view.home_section(
        services.schedules.visible_to(team_id=team_id, user_id=user_id), viewer=user_id
    )
    watched = [services.watching.described(w) for w in services.watching.listed(team_id=team_id)] if admin else None
    view = home_view.build(
        jobs=mine,
        links=links,
        refusal=refusal,
        running=running,
        new_move_copies=copies,
        schedules=schedules,
        watched=watched,
    )
    try:
        client.views_publish(user_id=user_id, view=view)
    except SlackApiError as exc:
        log.warning("views.publish for %s in %s failed: %s", user_id, team_id, slack_error(exc))


def _copies_by_default(services: Services, *, team_id: str, channel_id: str) -> bool:
    return services.channel_settings.of(team_id=team_id, channel_id=channel_id).default_mode == MoveMode.COPY


def handle_new_move(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """The form, for the channel of the person's latest job (read here, never from the button), in its default mode."""
    ack()
    services = services_of(context)
    team_id, user_id = team_and_user(body, context)
    latest = services.moves.recent_jobs(team_id=team_id, user_id=user_id, limit=1)
    if not latest:
        view = home_view.notice(title="New move", text=f"Type `{ids.COMMAND} move` in a channel to start.")
    else:
        channel_id = latest[0].channel_id
        stopped = services.door.may_move(Requester(team_id=team_id, user_id=user_id, channel_id=channel_id))
        if isinstance(stopped, Refused):
            view = home_view.notice(title="New move", text=stopped.words)
        elif isinstance(stopped, NotConnected):
            view = home_view.notice(title="New move", text=connect.not_connected_line(ids.COMMAND))
        else:
            copies = _copies_by_default(services, team_id=team_id, channel_id=channel_id)
            view = move_view.build(channel_id=channel_id, copy_leads=copies)
    try:
        client.views_open(trigger_id=body["trigger_id"], view=view)
    except SlackApiError as exc:
        log.warning("views.open for New move failed: %s", slack_error(exc))


def _permalink(client: WebClient, record: JobRecord) -> str | None:
    """The link to a job's thread; None before its announcement is posted or when Slack cannot give one (the job is
    then shown without a link)."""
    if not record.announcement_channel or not record.announcement_ts:
        return None
    try:
        answer = client.chat_getPermalink(channel=record.announcement_channel, message_ts=record.announcement_ts)
    except SlackApiError as exc:
        log.info("no permalink for job %s: %s", record.id, slack_error(exc))
        return None
    link = answer.get("permalink")
    return str(link) if isinstance(link, str) and link.startswith("https://") else None


def handle_run_again(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    services = services_of(context)
    team_id, user_id = team_and_user(body, context)
    value = str(((body.get("actions") or [{}])[0]).get("value") or "")
    stopped = services.door.may_move(Requester(team_id=team_id, user_id=user_id, channel_id=user_id))
    if isinstance(stopped, Refused):
        # Access changed since the tab was drawn: showing it again replaces the buttons with the reason.
        publish(services=services, client=client, team_id=team_id, user_id=user_id)
        return
    # Only the person's own jobs: a job number from someone else's tab never opens their order.
    record = services.moves.find_job(team_id=team_id, reference=value, user_id=user_id) if value.isdigit() else None
    why_not = home_view.cannot_run_again(record) if record is not None else "I could not find that job any more."
    copies = False
    if record is None or record.order is None or why_not is not None:
        view = home_view.notice(title="Run again", text=why_not or "I could not find that job any more.")
    elif isinstance(stopped, NotConnected):
        view = home_view.notice(title="Run again", text=connect.not_connected_line(ids.COMMAND))
    else:
        # The job's channel's default mode, as New move: the form says which, and the person may switch it.
        copies = _copies_by_default(services, team_id=team_id, channel_id=record.channel_id)
        view = move_view.build(
            channel_id=record.channel_id,
            copy_leads=copies,
            fill=home_view.run_again_fill(record.order),
            entered=home_view.run_again_entered(record.order),
            run_again_of=record.id,
        )
    try:
        opened = client.views_open(trigger_id=body["trigger_id"], view=view)
    except SlackApiError as exc:
        log.warning("views.open for Run again failed: %s", slack_error(exc))
        return
    if record is not None and record.order is not None and view.get("callback_id") == ids.MOVE_MODAL:
        _fill_in(services=services, client=client, opened=opened["view"], record=record, user_id=user_id, copies=copies)


def _fill_in(
    *, services: Services, client: WebClient, opened: dict[str, Any], record: JobRecord, user_id: str, copies: bool
) -> None:
    """What needs Instantly comes after views.open (its trigger lives 3 s): the assignee's name and the preview."""
    order = record.move
    assignee, note = None, None
    if order.options.assign_to is not None and order.options.assign_to_name is not None:
        assignee = Choice(f"member:{order.options.assign_to}", order.options.assign_to_name)
    elif order.options.assign_to is not None:  # an order kept before the name was kept with it
        wanted = f"member:{order.options.assign_to}"
        try:
            found = services.workspaces.pickers(record.team_id).members("", person=user_id)
        except InstantlyError:  # disconnected a moment ago: the form still opens, without the assignee
            found = Suggestions(problem="not connected")
        assignee = next((choice for choice in found.members if choice.value == wanted), None)
        if assignee is None:
            note = home_view.ASSIGNEE_UNCHECKED if found.problem else home_view.ASSIGNEE_NOT_FOUND
    fill = home_view.run_again_fill(order, assignee_note=note)
    entered = home_view.run_again_entered(order, assignee=assignee)
    shown = preview.filled_preview(
        services=services, fill=fill, entered=entered, team_id=record.team_id, user_id=user_id
    )
    filled = move_view.build(
        channel_id=record.channel_id,
        copy_leads=copies,
        fill=fill,
        entered=entered,
        preview=shown,
        run_again_of=record.id,
    )
    try:
        # The hash makes Slack refuse the update if the person changed the form meanwhile.
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=filled)
    except SlackApiError as exc:
        log.info("views.update of a Run again form failed: %s", slack_error(exc))


def handle_open_instantly(ack: Ack) -> None:
    ack()  # a link button: Slack opens the URL itself and only needs to hear the click was received

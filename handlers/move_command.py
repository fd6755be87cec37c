"""`/leads move`, `/leads copy` and `/leads schedule`: the door's first checks, then the move modal opened at once,
filled in with what `from:… to:… limit:…` named once Instantly has looked the names up."""

from __future__ import annotations

import logging
from typing import Final

from slack_sdk.errors import SlackApiError

from bot.door_terms import NotConnected, Refused
from bot.instantly.errors import InstantlyNotConnected
from bot.moves import Requester
from bot.pickers import Resolution
from bot.services import Services
from bot.slack.errors import slack_error
from handlers import connect, ids, move_view, prefill, preview, schedules
from handlers.modals import open_modal
from handlers.verbs import Audience, Help, Invocation, Verb

log = logging.getLogger(__name__)


def _move_or_copy(call: Invocation) -> None:
    # Who is asking may take Slack a moment to say: the answer follows by response_url.
    call.ack()
    _open_move_modal(call)


def _schedule(call: Invocation) -> None:
    call.ack()
    _open_move_modal(call, schedule=True)


def _open_move_modal(call: Invocation, *, schedule: bool = False) -> None:
    services, client, respond = call.services, call.client, call.respond
    team_id = call.team_id
    # The door's first checks, so nobody fills in a form that could not start; it checks again at submission.
    stopped = services.door.may_move(Requester(team_id=team_id, user_id=call.user_id, channel_id=call.channel_id))
    if isinstance(stopped, Refused):
        respond(response_type="ephemeral", text=stopped.words)
        return
    if isinstance(stopped, NotConnected):
        respond(response_type="ephemeral", text=connect.not_connected_line(call.name))
        return
    try:
        wanted = prefill.parse(call.after_verb)
    except prefill.PrefillError as exc:
        respond(response_type="ephemeral", text=exc.message)
        return
    channel_id = call.channel_id
    copy_leads = call.verb == ids.MODE_COPY
    scheduling = schedules.new_schedule(services, team_id=team_id, user_id=call.user_id) if schedule else None
    # The trigger_id lives 3 s: views.open comes straight after the checks, with what needs no Instantly call;
    # names are looked up after it and filled in with views.update.
    fill = prefill.looking_up(wanted)
    view = move_view.build(channel_id=channel_id, copy_leads=copy_leads, fill=fill, scheduling=scheduling)
    again = f"Please run `{call.name} {call.verb}` again."
    opened = open_modal(client=client, respond=respond, trigger_id=call.command["trigger_id"], view=view, again=again)
    if opened is None:
        return
    if wanted.named:
        fill = prefill.resolved(wanted, _resolve(services, team_id=team_id, wanted=wanted))
        shown = preview.filled_preview(services=services, fill=fill, team_id=team_id, user_id=call.user_id)
        filled = move_view.build(
            channel_id=channel_id, copy_leads=copy_leads, fill=fill, preview=shown, scheduling=scheduling
        )
        try:
            # The hash makes Slack refuse the update if the modal changed meanwhile (the person moved on).
            client.views_update(view_id=opened["id"], hash=opened["hash"], view=filled)
        except SlackApiError as exc:
            log.info("views.update of a prefilled modal failed: %s", slack_error(exc))


def _resolve(services: Services, *, team_id: str, wanted: prefill.Prefill) -> dict[str, Resolution]:
    names = {block: (w.name, w.kind.value if w.kind else None) for block, w in wanted.named.items()}
    try:
        return services.workspaces.pickers(team_id).resolve(names)
    except InstantlyNotConnected:  # disconnected since the check a moment ago
        return dict.fromkeys(names, Resolution(problem="This workspace is not connected to Instantly."))


VERBS: Final = (
    Verb(
        name=ids.MODE_MOVE,
        audience=Audience.MOVERS,
        help=(
            Help(says="move leads between campaigns and lead lists"),
            Help(says="the form, filled in", args=prefill.EXAMPLE_WORDS),
        ),
        handle=_move_or_copy,
    ),
    Verb(
        name=ids.MODE_COPY,
        audience=Audience.MOVERS,
        help=(Help(says="copy leads, leaving the originals where they are"),),
        handle=_move_or_copy,
    ),
    Verb(
        name=ids.SCHEDULE,
        audience=Audience.MOVERS,
        help=(
            Help(
                says="a move or copy that runs by itself every day, weekday, week or month; `from:`, `to:` and "
                "`limit:` fill in its form as they do for move"
            ),
        ),
        handle=_schedule,
    ),
)

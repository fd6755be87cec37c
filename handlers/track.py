"""`/leads track <job-id>`: acknowledged at once; the answer, in words only the person sees, follows by response_url
once Instantly has said whether it knows the job (bot.tracking)."""

from __future__ import annotations

import logging
from typing import Any, Final

from slack_bolt import Ack, Respond

from bot.services import Services
from handlers.verbs import Audience, Help, Invocation, Verb

log = logging.getLogger(__name__)

VERB: Final = "track"
FAILED: Final = (
    "I could not follow that job because of a problem on leadmover's side; it has been logged. Nothing changed in "
    "Instantly. Please try again in a moment."
)


def not_connected_line(name: str) -> str:
    return (
        "This workspace is not connected to Instantly yet, so there is no job to follow. "
        f"A Slack workspace admin or owner can connect it with `{name} connect`."
    )


def handle_track(
    *, ack: Ack, respond: Respond, services: Services, command: dict[str, Any], name: str, team_id: str
) -> None:
    """`team_id`: the workspace Bolt authorized the command for, never the one its payload names."""
    if not services.workspaces.is_connected(team_id):
        ack(response_type="ephemeral", text=not_connected_line(name))
        return
    ack()  # access may ask Slack and the job Instantly: both can take longer than Slack waits for the ack
    words = str(command.get("text") or "").split()
    channel_id = str(command.get("channel_id", ""))
    try:
        tracking = services.tracking.track(
            team_id=team_id,
            user_id=str(command.get("user_id", "")),
            channel_id=channel_id,
            job_id=words[1] if len(words) > 1 else "",
        )
        answer = tracking.answer
        fresh = tracking.record is not None and not tracking.already
        if fresh and services.channel_settings.of(team_id=team_id, channel_id=channel_id).only_failures:
            answer += " This channel hears only of failures (`/leads settings`), so a job that succeeds ends quietly."
    except Exception:  # after the ack nothing else would answer: the person hears of it, the log has the rest
        log.exception("/leads track failed")
        answer = FAILED
    respond(response_type="ephemeral", replace_original=False, text=answer)


def _track(call: Invocation) -> None:
    handle_track(
        ack=call.ack,
        respond=call.respond,
        services=call.services,
        command=call.command,
        name=call.name,
        team_id=call.team_id,
    )


# Not acked first: handle_track acks, with the answer when the workspace is not connected.
VERBS: Final = (
    Verb(
        name=VERB,
        audience=Audience.MOVERS,
        help=(
            Help(
                says="follow an Instantly job started elsewhere (an import, an export…) in a thread here",
                args="<Instantly's job id>",
            ),
        ),
        handle=_track,
    ),
)

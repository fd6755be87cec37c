"""`/leads watch`, `/leads unwatch` and `/leads watches` (admins): which channels hear of every Instantly background
job of the workspace. Who may is decided in bot/watching.py; each answer is for the person who typed it."""

from __future__ import annotations

from typing import Final

from handlers.verbs import Invocation, admins_verb


def watch(call: Invocation) -> None:
    said = call.services.watching.watch(
        team_id=call.team_id, user_id=call.user_id, channel_id=call.channel_id, words=call.after_verb
    )
    call.respond(response_type="ephemeral", text=said)


def unwatch(call: Invocation) -> None:
    said = call.services.watching.unwatch(team_id=call.team_id, user_id=call.user_id, channel_id=call.channel_id)
    call.respond(response_type="ephemeral", text=said)


def watches(call: Invocation) -> None:
    listed = call.services.watching.listed(team_id=call.team_id)
    if not listed:
        text = "No channel hears of this workspace's Instantly jobs. `/leads watch` in a channel starts it."
    else:
        lines = [f"• {call.services.watching.described(watch)}" for watch in listed]
        text = "Channels that hear of this workspace's Instantly jobs:\n" + "\n".join(lines)
    call.respond(response_type="ephemeral", text=text)


VERBS: Final = (
    admins_verb(
        "watch",
        says="this channel hears of every Instantly job of the workspace (or only some kinds)",
        args="[imports exports moves warmup | all]",
        handle=watch,
    ),
    admins_verb("unwatch", says="this channel no longer hears of Instantly's jobs", handle=unwatch),
    admins_verb("watches", says="the channels that hear of Instantly's jobs", handle=watches),
)

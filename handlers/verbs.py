"""What a `/leads` verb is: the word that calls it, its lines in `/leads help`, who it is for, when it is acked and
its handler. Each verb's module declares its own; handlers/commands.py gathers them into the one table it uses."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.services import Services


class Audience(StrEnum):
    """Who a verb is for. Help shows admins' verbs to admins only; whether someone may really do something is
    decided where it always is (bot/access.py), never from this."""

    EVERYONE = "everyone"
    MOVERS = "movers"  # people who may move leads in the workspace
    ADMINS = "admins"  # Slack workspace admins and owners, and LEADMOVER_ADMINS


@dataclass(frozen=True, kw_only=True)
class Help:
    """One line of `/leads help`: `says` what the verb does (mrkdwn), `args` what is typed after it (plain text,
    escaped when shown), `to_admins` what an admin reads instead of `says`."""

    says: str
    args: str = ""
    to_admins: str | None = None


@dataclass(frozen=True, kw_only=True)
class Invocation:
    """One `/leads` command as its verb's handler gets it."""

    ack: Ack
    respond: Respond
    client: WebClient
    services: Services
    command: dict[str, Any]  # the payload Slack sent
    name: str  # the slash command as Slack named it, e.g. "/leads"
    verb: str  # lower case
    words: tuple[str, ...]  # the command's text split on spaces, the verb first
    team_id: str
    user_id: str

    @property
    def channel_id(self) -> str:
        return str(self.command.get("channel_id", ""))

    @property
    def after_verb(self) -> str:
        """The text after the verb, as typed."""
        parts = str(self.command.get("text") or "").strip().split(maxsplit=1)
        return parts[1] if len(parts) > 1 else ""


Handler = Callable[[Invocation], None]


@dataclass(frozen=True, kw_only=True)
class Verb:
    """A `/leads` verb. With `acked_first` the command is acked before `handle` runs, which then answers by
    response_url: for work that may take longer than the 3 s Slack waits. Otherwise `handle` acks, with its answer
    or after a quick check of its own."""

    name: str
    audience: Audience
    help: tuple[Help, ...]
    handle: Handler
    acked_first: bool = False


def admins_verb(name: str, *, says: str, handle: Handler, args: str = "") -> Verb:
    """A verb for admins: acked first, because who is an admin may take Slack a moment to say, and answered by
    response_url."""
    help_line = Help(says=says, args=args)
    return Verb(name=name, audience=Audience.ADMINS, help=(help_line,), handle=handle, acked_first=True)


def index(table: Iterable[Verb]) -> dict[str, Verb]:
    """The table by verb, refusing two verbs of one name (the later would silently win)."""
    found: dict[str, Verb] = {}
    for verb in table:
        if verb.name in found:
            raise ValueError(f"/leads {verb.name} is declared twice")
        found[verb.name] = verb
    return found


def help_lines(table: Sequence[Verb], *, command: str, admin: bool) -> list[tuple[str, str]]:
    """(what is typed, what it does) for each help line of the table, in its order; admins' verbs for admins only."""
    return [
        (" ".join(word for word in (command, verb.name, line.args) if word), _says(line, admin=admin))
        for verb in table
        if admin or verb.audience != Audience.ADMINS
        for line in verb.help
    ]


def _says(line: Help, *, admin: bool) -> str:
    return line.to_admins if admin and line.to_admins is not None else line.says

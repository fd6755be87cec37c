"""`/leads move from:"Acme Q4" to:list:"Cold storage" limit:200`: the words after the verb, read into a Prefill,
and what the modal then says beside each named field.

Pure: no Slack, no Instantly. A word it cannot read raises PrefillError, whose message is mrkdwn, escaped, for the
person who typed it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from bot.pickers import Choice, Resolution
from bot.slack.blocks import messages
from handlers import ids
from storage.orders import EndpointKind

MAX_NAME: Final = 200
MAX_LIMIT: Final = 10_000_000  # the form's own bound (move_form)
_SHOWN: Final = 80  # how much of a name a hint or an error repeats
EXAMPLE_WORDS: Final = 'from:"Acme Q4" to:list:"Cold storage" limit:200'  # also in `/leads help`
EXAMPLE: Final = f"`/leads move {EXAMPLE_WORDS}`"

# Slack's own tokens in an escaping command's text (should_escape: true), back to what the person typed: a name
# that contained "@sales" or "#deals" is searched for as typed, never as an id.
_SLACK_TOKEN: Final = re.compile(r"<([^<>]*)>")
_KEY: Final = re.compile(r"([A-Za-z_]+):")
_WORD: Final = re.compile(r"\S*")
_KIND: Final = re.compile(r"(campaign|list):", re.IGNORECASE)
_OPEN_QUOTES: Final = {'"': '"', "\u201c": "\u201d", "\u201d": "\u201d", "\u201e": "\u201c"}
_QUOTES: Final = frozenset('"\u201c\u201d\u201e')
_KEYS: Final = {"from": ids.SOURCE, "to": ids.DESTINATION, "limit": ids.LIMIT}
_WORDS: Final = {block: word for word, block in _KEYS.items()}


class PrefillError(ValueError):
    """Words that cannot be read; `message` is mrkdwn, with whatever the person typed escaped."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Wanted:
    """A campaign or list named in the command; `kind` is set when the person said `campaign:` or `list:`."""

    name: str
    kind: EndpointKind | None = None


@dataclass(frozen=True)
class Prefill:
    """What the command says about the move, keyed like the modal (block ids)."""

    limit: int | None = None
    named: dict[str, Wanted] = field(default_factory=dict)  # ids.SOURCE / ids.DESTINATION -> Wanted


@dataclass(frozen=True)
class Fill:
    """What the modal shows already filled in: options as the pickers give them, and a note beside fields."""

    limit: int | None = None
    picked: dict[str, Choice] = field(default_factory=dict)  # block_id -> the option chosen
    notes: dict[str, str] = field(default_factory=dict)  # block_id -> plain text shown as the input's hint


def _shown(text: str) -> str:
    return messages.escape(text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…")


def _plain(text: str) -> str:
    """Command text as the person typed it: Slack's mention and link tokens and its &, <, > entities undone."""

    def typed(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target[:1] in ("@", "#"):
            return target[0] + (label or target[1:])
        if target[:1] == "!":  # <!subteam^S…|@handle>, <!channel>, <!date^…|fallback>
            return label or "@" + target[1:]
        return label or target  # a link

    # Tokens before entities: a "<!channel>" the person typed arrives as "&lt;!channel&gt;" and stays text.
    untokened = _SLACK_TOKEN.sub(typed, text)
    # Slack escapes only these three; html.unescape would also turn a typed "&amp;copy" into "©".
    return untokened.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _usage(problem: str) -> PrefillError:
    return PrefillError(
        f"{problem} Name where the leads come from and go with `from:` and `to:` (quote names with spaces, and add "
        f"`campaign:` or `list:` when both are called that), and how many with `limit:`, e.g. {EXAMPLE}."
    )


def _value(text: str, pos: int, key: str) -> tuple[str, int]:
    """(the value starting at `pos`, where it ends): a quoted name, or one word."""
    if pos < len(text) and text[pos] in _OPEN_QUOTES:
        close = text.find(_OPEN_QUOTES[text[pos]], pos + 1)
        # A person may type "…" and get “…” or the reverse from autocorrect: any closing quote will do.
        if close < 0:
            close = min((i for q in _QUOTES if (i := text.find(q, pos + 1)) >= 0), default=-1)
        if close < 0:
            raise _usage(f"The quote after `{key}:` is never closed.")
        end = close + 1
        if end < len(text) and not text[end].isspace():
            raise _usage(f"Leave a space after the closing quote of `{key}:`.")
        return text[pos + 1 : close].strip(), end
    match = _WORD.match(text, pos)
    word = match.group(0) if match else ""
    if any(q in word for q in _QUOTES):
        raise _usage(f"I could not read `{_shown(key + ':' + word)}`: put the whole name in quotes.")
    return word, pos + len(word)


def parse(text: str) -> Prefill:
    """The Prefill that the words after `move` or `copy` ask for; PrefillError saying what is wrong otherwise."""
    text = _plain(text)
    named: dict[str, Wanted] = {}
    limit: int | None = None
    seen: set[str] = set()
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        match = _KEY.match(text, pos)
        if match is None or match.group(1).lower() not in _KEYS:
            word = text[pos:].split(maxsplit=1)[0]
            what = f"`{_shown(match.group(0))}`" if match else f"`{_shown(word)}`"
            raise _usage(f"I don't know {what}.")
        key = match.group(1).lower()
        if key in seen:
            raise _usage(f"`{key}:` is given twice.")
        seen.add(key)
        pos = match.end()
        kind_match = _KIND.match(text, pos) if key != "limit" else None
        kind = EndpointKind(kind_match.group(1).lower()) if kind_match else None
        pos = kind_match.end() if kind_match else pos
        value, pos = _value(text, pos, key)
        if key == "limit":
            limit = _limit(value)
            continue
        if not value:
            raise _usage(f"`{key}:` needs the name of a campaign or list.")
        if len(value) > MAX_NAME:
            raise _usage(f"The name after `{key}:` is longer than {MAX_NAME} characters.")
        named[_KEYS[key]] = Wanted(name=value, kind=kind)
    return Prefill(limit=limit, named=named)


def _limit(value: str) -> int:
    if not re.fullmatch(r"\+?\d{1,9}", value) or not 1 <= int(value) <= MAX_LIMIT:
        shown = f"`limit:{_shown(value)}`" if value else "`limit:` with nothing after it"
        raise _usage(f"I could not read {shown}: it takes a whole number of leads from 1 to {MAX_LIMIT:,}.")
    return int(value)


# --- what the modal says ---------------------------------------------------------------------------------------


def _quoted(name: str) -> str:
    """A name in a plain_text hint: Slack shows plain text as written, so only its length needs care."""
    return "\u201c" + (name if len(name) <= _SHOWN else name[: _SHOWN - 1] + "…") + "\u201d"


def _what(kind: EndpointKind | None) -> str:
    return kind.value if kind is not None else "campaign or list"


def looking_up(prefill: Prefill) -> Fill:
    """What the modal shows at once, before Instantly is asked: the limit, and a note beside each named field."""
    notes = {block: f"Looking up {_quoted(w.name)} in Instantly…" for block, w in prefill.named.items()}
    return Fill(limit=prefill.limit, notes=notes)


def resolved(prefill: Prefill, found: dict[str, Resolution]) -> Fill:
    """What the modal shows once Instantly answered: each name found as the option a picker gives, or a note."""
    picked: dict[str, Choice] = {}
    notes: dict[str, str] = {}
    for block, wanted in prefill.named.items():
        resolution = found.get(block, Resolution(problem="Instantly was not asked."))
        if resolution.choice is not None:
            picked[block] = resolution.choice
        else:
            notes[block] = _note(_WORDS[block], wanted, resolution)
    return Fill(limit=prefill.limit, picked=picked, notes=notes)


def _count(number: int, word: str, more: bool) -> str:
    return f"{'at least ' if more else ''}{number} {word}{'' if number == 1 else 's'}"


def _note(word: str, wanted: Wanted, resolution: Resolution) -> str:
    name = _quoted(wanted.name)
    if resolution.problem is not None:
        return f"Could not look up {name}: {resolution.problem} Pick it here instead."
    campaigns, lists, more = resolution.campaigns, resolution.lists, resolution.more
    if not campaigns and not lists:
        return f"No {_what(wanted.kind)} is called {name}. Pick one here."
    counted = " and ".join(_count(n, w, more) for n, w in ((campaigns, "campaign"), (lists, "list")) if n)
    if campaigns and lists and wanted.kind is None:
        return f"{name} matches {counted}: pick one, or say {word}:campaign:{name} or {word}:list:{name}."
    return f"{name} matches {counted}: pick one."

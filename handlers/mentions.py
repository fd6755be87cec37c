"""People and user groups named in a command's text. With `should_escape: true` Slack sends a mention of a person
as `<@U123|name>` and of a user group as `<!subteam^S123|@handle>`; bare ids are accepted too."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

_PERSON: Final = re.compile(r"^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$")
_GROUP: Final = re.compile(r"^<!subteam\^(S[A-Z0-9]{2,})(?:\|[^>]*)?>$")
# A bare id has a digit, as every Slack id does, so words such as SALES or USA are not taken for one.
_BARE: Final = re.compile(r"^[UWS](?=[A-Z0-9]*[0-9])[A-Z0-9]{2,}$")


@dataclass(frozen=True)
class Mentions:
    ids: tuple[str, ...]  # people (U…, W…) and user groups (S…), in the order given
    unreadable: tuple[str, ...]  # words that name no one Slack could have linked


def parse(words: list[str]) -> Mentions:
    ids: list[str] = []
    unreadable: list[str] = []
    for word in words:
        found = _PERSON.match(word) or _GROUP.match(word) or _BARE.match(word)
        if found is None:
            unreadable.append(word)
            continue
        subject = found.group(1) if found.re is not _BARE else word
        if subject not in ids:
            ids.append(subject)
    return Mentions(tuple(ids), tuple(unreadable))


def mention(subject_id: str) -> str:
    """How Slack shows a person or a user group in a message."""
    return f"<!subteam^{subject_id}>" if subject_id.startswith("S") else f"<@{subject_id}>"

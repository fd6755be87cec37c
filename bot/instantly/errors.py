"""What can go wrong talking to Instantly, as typed exceptions that carry Instantly's own message.

Every failure of the client in bot.instantly.client is an InstantlyError:

    InstantlyError
    ├── InstantlyTransportError      the request never got an answer (network, timeout)
    │   └── InstantlyTimeout
    ├── InstantlyBudgetExhausted     leadmover's own request budget had no room in time: nothing was sent
    ├── InstantlyNotConnected        the Slack workspace has no Instantly key (/leads connect): nothing was sent
    ├── InstantlyProtocolError       an answer we cannot read (not JSON, not the documented shape)
    └── InstantlyAPIError            Instantly answered {statusCode, error, message}
        ├── InstantlyBadRequest          400
        ├── InstantlyUnauthorized        401: the key is missing, invalid or revoked
        ├── InstantlyPaymentRequired     402: the workspace has no paid plan
        ├── InstantlyForbidden           403: the key lacks a scope
        ├── InstantlyNotFound            404
        ├── InstantlyRateLimited         429
        └── InstantlyServerError         5xx

and `in_words` is the one place that puts such an error into words for a person, with one wording per moment
(Moment: a move that did not start, the form's preview, a picker's search, a key being checked, a Move back, a job
being followed). The words are plain text: Instantly's own message is quoted in them as Instantly sent it (on one
line, clipped), so a caller that puts them into mrkdwn escapes them (bot.slack.blocks.messages.escape), as every
renderer of a job's error already does; escaping here as well would show those callers `&amp;` for `&`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

import httpx
from pydantic import ValidationError

from bot.instantly.schemas import InstantlyErrorBody


class InstantlyError(Exception):
    """Base of every error the client raises."""


class InstantlyTransportError(InstantlyError):
    pass


class InstantlyTimeout(InstantlyTransportError):
    pass


class InstantlyBudgetExhausted(InstantlyError):
    pass


class InstantlyProtocolError(InstantlyError):
    pass


class InstantlyNotConnected(InstantlyError):
    """Raised before any request: no key is connected for the Slack workspace (or it was just disconnected)."""

    def __init__(self, team_id: str) -> None:
        self.team_id = team_id
        super().__init__(f"Slack workspace {team_id} has no Instantly connection")


class InstantlyAPIError(InstantlyError):
    def __init__(self, *, status_code: int, error: str, message: str, retry_after: float | None = None) -> None:
        self.status_code = status_code
        self.error = error
        self.message = message
        self.retry_after = retry_after
        super().__init__(f"Instantly answered {status_code} {error}: {message}")


class InstantlyBadRequest(InstantlyAPIError):
    pass


class InstantlyUnauthorized(InstantlyAPIError):
    pass


class InstantlyPaymentRequired(InstantlyAPIError):
    pass


class InstantlyForbidden(InstantlyAPIError):
    pass


class InstantlyNotFound(InstantlyAPIError):
    pass


class InstantlyRateLimited(InstantlyAPIError):
    pass


class InstantlyServerError(InstantlyAPIError):
    pass


_ERRORS_BY_STATUS: Final[dict[int, type[InstantlyAPIError]]] = {
    400: InstantlyBadRequest,
    401: InstantlyUnauthorized,
    402: InstantlyPaymentRequired,
    403: InstantlyForbidden,
    404: InstantlyNotFound,
    429: InstantlyRateLimited,
}


def _retry_after_seconds(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None


def api_error(response: httpx.Response) -> InstantlyAPIError:
    try:
        body = InstantlyErrorBody.model_validate(response.json())
    except (ValueError, ValidationError):
        body = InstantlyErrorBody()
    status = response.status_code
    cls = _ERRORS_BY_STATUS.get(status, InstantlyServerError if status >= 500 else InstantlyAPIError)
    return cls(
        status_code=status,
        error=body.error or response.reason_phrase,
        message=body.message or response.text[:200] or response.reason_phrase,
        retry_after=_retry_after_seconds(response),
    )


# --- in words --------------------------------------------------------------------------------------------------


class Moment(StrEnum):
    """What leadmover was doing when Instantly failed: it decides what the person is told."""

    START = "start"  # a move or copy did not start (the form, Run again, an approval)
    PREVIEW = "preview"  # the form's preview of the source: its count and a few leads
    SEARCH = "search"  # a picker's search, or a name in `/leads move from:… to:…` looked up
    CONNECT = "connect"  # a key checked before it is kept (/leads connect)
    MOVE_BACK = "move back"  # reading which leads a move moved, to take them back
    MOVED_LEADS = "moved leads"  # reading which leads a move moved, to show them
    FOLLOW = "follow"  # /leads track of a job started elsewhere


# Instantly's own message, where a wording quotes it, is at most this long.
_SAID_CHARS: Final = 200
# Said at every moment that has no words of its own for the error; most specific kind first. A wording reads on
# its own or after a colon ("did not start: …"), and `{said}` is Instantly's message, `{needs}` the moment's scope.
_SHARED: Final[tuple[tuple[type[InstantlyError], str], ...]] = (
    (InstantlyNotConnected, "this Slack workspace is not connected to Instantly. An admin can run `/leads connect`."),
    (
        InstantlyUnauthorized,
        "Instantly rejected leadmover's API key (it is invalid or was revoked). Ask an admin to set a new one.",
    ),
    (InstantlyPaymentRequired, "the Instantly workspace has no active paid plan, which the API needs."),
    (InstantlyForbidden, "leadmover's Instantly API key lacks a scope this needs (Instantly said: “{said}”). {needs}"),
    (InstantlyNotFound, "Instantly could not find it (“{said}”). It may have been deleted."),
    (InstantlyRateLimited, "Instantly is rate limiting this workspace right now. Try again in a minute."),
    (
        InstantlyBudgetExhausted,
        "leadmover is holding back to stay within Instantly's rate limits. Try again in a minute.",
    ),
    (InstantlyTimeout, "Instantly did not answer in time."),
    (InstantlyTransportError, "Instantly could not be reached."),
    (InstantlyServerError, "Instantly had a problem on its side."),
    (InstantlyProtocolError, "Instantly gave an answer leadmover could not read."),
    (InstantlyAPIError, "Instantly refused it: “{said}”."),
    (InstantlyError, "Instantly could not be asked just now."),
)
# What a moment says instead of the shared words; a moment whose table ends with InstantlyError says nothing shared.
_OWN: Final[dict[Moment, tuple[tuple[type[InstantlyError], str], ...]]] = {
    Moment.PREVIEW: ((InstantlyNotFound, "Instantly no longer knows this campaign or list."),),
    # An option's text holds 75 characters, and the picker adds what to do next.
    Moment.SEARCH: (
        (InstantlyTimeout, "Instantly was too slow to answer."),
        (InstantlyError, "Instantly could not be searched just now."),
    ),
    # Said beside the key's field: the person who pasted it can act on it at once.
    Moment.CONNECT: (
        (
            InstantlyUnauthorized,
            "Instantly does not accept this key. Check that you pasted all of it and that it is an API v2 key.",
        ),
        (InstantlyForbidden, "This key lacks a scope leadmover needs (Instantly said: “{said}”)."),
        (InstantlyPaymentRequired, "Instantly says this workspace has no paid plan, which its API needs."),
        (InstantlyTimeout, "Instantly did not answer in time. Please try again in a moment."),
        (InstantlyError, "Instantly could not check this key just now. Please try again in a moment."),
    ),
}
# The scope each moment's requests need, said when Instantly refuses the key one.
_NEEDS: Final[dict[Moment, str]] = {
    Moment.START: "Moving leads needs `leads:update`.",
    Moment.PREVIEW: "The preview needs `leads:read`, and `campaigns:read` or `lead_lists:read` for the count.",
    Moment.MOVE_BACK: "Taking a move back reads its job, which needs `background-jobs:read`.",
    Moment.MOVED_LEADS: "Listing the moved leads reads their job, which needs `background-jobs:read`.",
    Moment.FOLLOW: "Following a job needs `background-jobs:read`.",
}


def in_words(exc: InstantlyError, *, moment: Moment) -> str:
    """Instantly's failure in plain words for the person, as this moment says it (escape it for mrkdwn)."""
    for kind, words in (*_OWN.get(moment, ()), *_SHARED):
        if isinstance(exc, kind):
            return words.format(said=_said(exc), needs=_NEEDS.get(moment, "")).strip()
    raise AssertionError("_SHARED ends with InstantlyError")  # pragma: no cover


def _said(exc: InstantlyError) -> str:
    """Instantly's message on one line and clipped: it is quoted inside a sentence."""
    said = " ".join((exc.message if isinstance(exc, InstantlyAPIError) else str(exc)).split())
    return said if len(said) <= _SAID_CHARS else said[: _SAID_CHARS - 1] + "…"

"""Instantly's error answers become typed exceptions that keep Instantly's own words and its Retry-After; each is
put into words for a person one way per moment (a move that did not start, the preview, a search, a key checked, a
Move back, a job followed)."""

from __future__ import annotations

import httpx
import pytest

from bot.instantly.errors import (
    InstantlyAPIError,
    InstantlyBadRequest,
    InstantlyBudgetExhausted,
    InstantlyError,
    InstantlyForbidden,
    InstantlyNotConnected,
    InstantlyNotFound,
    InstantlyPaymentRequired,
    InstantlyProtocolError,
    InstantlyRateLimited,
    InstantlyServerError,
    InstantlyTimeout,
    InstantlyTransportError,
    InstantlyUnauthorized,
    Moment,
    api_error,
    in_words,
)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, InstantlyBadRequest),
        (401, InstantlyUnauthorized),
        (402, InstantlyPaymentRequired),
        (403, InstantlyForbidden),
        (404, InstantlyNotFound),
        (429, InstantlyRateLimited),
        (500, InstantlyServerError),
        (503, InstantlyServerError),
        (409, InstantlyAPIError),
    ],
)
def test_each_status_has_its_own_error(status: int, kind: type[InstantlyAPIError]) -> None:
    body = {"statusCode": status, "error": "Some Error", "message": "what Instantly said"}

    error = api_error(httpx.Response(status, json=body))

    assert type(error) is kind
    assert (error.status_code, error.error, error.message) == (status, "Some Error", "what Instantly said")


def test_retry_after_is_read_in_seconds_and_nonsense_is_ignored() -> None:
    assert api_error(httpx.Response(429, json={}, headers={"Retry-After": "12"})).retry_after == 12.0
    assert api_error(httpx.Response(429, json={}, headers={"Retry-After": "soon"})).retry_after is None
    assert api_error(httpx.Response(429, json={})).retry_after is None


def test_an_answer_that_is_not_instantlys_shape_still_says_something() -> None:
    error = api_error(httpx.Response(502, text="<html>Bad gateway</html>"))

    assert isinstance(error, InstantlyServerError)
    assert error.error == "Bad Gateway"
    assert error.message == "<html>Bad gateway</html>"


def test_an_empty_error_body_falls_back_to_the_reason_phrase() -> None:
    error = api_error(httpx.Response(404, content=b""))

    assert error.message == "Not Found"
    assert "404" in str(error)


# --- in words --------------------------------------------------------------------------------------------------

DISGUISED_LINK = "Session expired: <https://evil.example|click> to re-authenticate"


def _answer(status: int, message: str = "what Instantly said") -> InstantlyAPIError:
    return api_error(httpx.Response(status, json={"statusCode": status, "error": "Some Error", "message": message}))


@pytest.mark.parametrize(
    ("moment", "error", "words"),
    [
        (
            Moment.START,
            _answer(403, "Missing scope leads:update"),
            "leadmover's Instantly API key lacks a scope this needs (Instantly said: “Missing scope leads:update”). "
            "Moving leads needs `leads:update`.",
        ),
        (
            Moment.START,
            _answer(400, "body/limit must be <= 1000000"),
            "Instantly refused it: “body/limit must be <= 1000000”.",
        ),
        (Moment.START, _answer(402), "the Instantly workspace has no active paid plan, which the API needs."),
        (Moment.PREVIEW, _answer(404), "Instantly no longer knows this campaign or list."),
        (Moment.PREVIEW, _answer(503), "Instantly had a problem on its side."),
        (
            Moment.PREVIEW,
            InstantlyNotConnected("T1"),
            "this Slack workspace is not connected to Instantly. An admin can run `/leads connect`.",
        ),
        (Moment.SEARCH, InstantlyTimeout("GET /campaigns timed out"), "Instantly was too slow to answer."),
        (Moment.SEARCH, _answer(401), "Instantly could not be searched just now."),
        (
            Moment.CONNECT,
            _answer(401),
            "Instantly does not accept this key. Check that you pasted all of it and that it is an API v2 key.",
        ),
        (Moment.CONNECT, _answer(429), "Instantly could not check this key just now. Please try again in a moment."),
        (
            Moment.MOVE_BACK,
            _answer(404, "Background job not found"),
            "Instantly could not find it (“Background job not found”). It may have been deleted.",
        ),
        (
            Moment.MOVE_BACK,
            _answer(403, "no"),
            "leadmover's Instantly API key lacks a scope this needs (Instantly said: “no”). "
            "Taking a move back reads its job, which needs `background-jobs:read`.",
        ),
        (
            Moment.FOLLOW,
            _answer(403, "no"),
            "leadmover's Instantly API key lacks a scope this needs (Instantly said: “no”). "
            "Following a job needs `background-jobs:read`.",
        ),
        (
            Moment.FOLLOW,
            _answer(429),
            "Instantly is rate limiting this workspace right now. Try again in a minute.",
        ),
    ],
)
def test_each_moment_says_it_in_its_own_words(moment: Moment, error: InstantlyError, words: str) -> None:
    assert in_words(error, moment=moment) == words


EVERY_KIND: list[InstantlyError] = [
    InstantlyNotConnected("T1"),
    InstantlyTimeout("slow"),
    InstantlyTransportError("refused"),
    InstantlyBudgetExhausted("full"),
    InstantlyProtocolError("not JSON"),
    InstantlyError("unknown"),
    *(_answer(status) for status in (400, 401, 402, 403, 404, 409, 429, 500)),
]


@pytest.mark.parametrize("moment", list(Moment))
def test_every_moment_has_words_for_every_error(moment: Moment) -> None:
    for error in EVERY_KIND:
        words = in_words(error, moment=moment)
        assert words.endswith((".", "`")), (error, words)
        assert "{" not in words, (error, words)


def test_instantlys_message_is_quoted_as_plain_text_on_one_line_and_clipped() -> None:
    # Plain text: the caller escapes it where it becomes mrkdwn (see test_markup in tests/e2e).
    words = in_words(_answer(404, DISGUISED_LINK + "\n<!channel>"), moment=Moment.START)
    assert words == f"Instantly could not find it (“{DISGUISED_LINK} <!channel>”). It may have been deleted."
    long = in_words(_answer(400, "x" * 1000), moment=Moment.START)
    assert long == f"Instantly refused it: “{'x' * 199}…”."

"""Instantly's error answers become typed exceptions that keep Instantly's own words and its Retry-After."""

from __future__ import annotations

import httpx
import pytest

from bot.instantly.errors import (
    InstantlyAPIError,
    InstantlyBadRequest,
    InstantlyForbidden,
    InstantlyNotFound,
    InstantlyPaymentRequired,
    InstantlyRateLimited,
    InstantlyServerError,
    InstantlyUnauthorized,
    api_error,
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

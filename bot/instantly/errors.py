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
"""

from __future__ import annotations

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

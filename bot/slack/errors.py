"""Slack's refusals read one way: the error code a Web API call answered with, whether it means the token no longer
works, and how long a rate limit asks to wait."""

from __future__ import annotations

from typing import Any, Final

from slack_sdk.errors import SlackApiError

# The token no longer works: the workspace's work stops until it does.
REVOKED: Final = frozenset({"invalid_auth", "token_revoked", "account_inactive", "not_authed", "token_expired"})


def slack_error(exc: SlackApiError) -> str:
    """Slack's error code ("channel_not_found", "ratelimited", …), or "unknown_error" when its answer named none."""
    # A SlackResponse keeps the body in .data; stand-ins and older callers may hand a plain dict.
    data: Any = getattr(exc.response, "data", exc.response)
    code = data.get("error") if isinstance(data, dict) else None
    return str(code) if code else "unknown_error"


def retry_after(exc: SlackApiError) -> float:
    """The seconds a 429 asks to wait (Retry-After), at least one; 30 when Slack named none."""
    headers: Any = getattr(exc.response, "headers", None) or {}
    raw = headers.get("Retry-After") or headers.get("retry-after") if hasattr(headers, "get") else None
    try:
        return max(1.0, float(raw)) if raw is not None else 30.0
    except (TypeError, ValueError):
        return 30.0

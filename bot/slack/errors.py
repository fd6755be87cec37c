"""Slack's refusal read one way: the error code a Web API call answered with, for logs and for decisions."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError


def slack_error(exc: SlackApiError) -> str:
    """Slack's error code ("channel_not_found", "ratelimited", …), or "unknown_error" when its answer named none."""
    # A SlackResponse keeps the body in .data; stand-ins and older callers may hand a plain dict.
    data: Any = getattr(exc.response, "data", exc.response)
    code = data.get("error") if isinstance(data, dict) else None
    return str(code) if code else "unknown_error"

"""A Slack WebClient that counts each Web API call by method and result (leadmover_slack_calls_total)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot import metrics


class MeteredWebClient(WebClient):
    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        try:
            response = super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            metrics.slack_call(method=api_method, result=str(exc.response.get("error") or "error"))
            raise
        except OSError:
            metrics.slack_call(method=api_method, result="network")
            raise
        metrics.slack_call(method=api_method, result="ok")
        return response

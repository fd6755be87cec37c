"""What the fake Slack's parts share: a workspace's ids, the error a Web API method answers with, decoding args."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]


@dataclass(frozen=True)
class Workspace:
    """The ids the fake puts into every payload it sends and every answer it gives."""

    team_id: str
    team_domain: str
    app_id: str
    bot_id: str
    bot_user_id: str
    verification_token: str  # the deprecated `token` field of payloads
    team_name: str = "LeadMover Test"
    enterprise_id: str | None = None  # set for a workspace inside an Enterprise Grid organization
    enterprise_name: str | None = None

    @property
    def url(self) -> str:
        """The workspace's address, as auth.test answers it."""
        return f"https://{self.team_domain}.slack.com/"


class ApiError(Exception):
    """A Web API error answer; `violation`, when given, is also recorded as an app bug. `fields` go into the answer
    beside the error (missing_scope's `needed` and `provided`)."""

    def __init__(
        self,
        error: str,
        *,
        messages: list[str] | None = None,
        violation: str | None = None,
        status: int = 200,
        retry_after: int | None = None,
        fields: JSON | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []
        self.violation = violation
        self.status = status
        self.retry_after = retry_after
        self.fields = fields or {}


def decode_arg(args: JSON, key: str, *, error: str) -> Any:
    """Form-encoded calls carry blocks/view/metadata as JSON strings; JSON calls as objects."""
    value = args.get(key)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise ApiError(error) from None
    return value


def truthy(value: Any) -> bool:
    """A boolean argument as Slack reads it (true, 1, "true", "1")."""
    return value is True or value == 1 or str(value).lower() in {"1", "true"}


def is_id(value: str, prefixes: str) -> bool:
    """Whether `value` looks like a Slack id starting with one of `prefixes` (e.g. "UW" for users)."""
    return len(value) > 2 and value[0] in prefixes and value.isalnum() and value.isupper()

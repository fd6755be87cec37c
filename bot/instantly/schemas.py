"""Pydantic models of Instantly API v2's wire format, following its OpenAPI spec.

Answers ignore unknown fields and keep unknown enum values as plain strings, so a new job status or type
that Instantly adds tomorrow never crashes anything. What we send is strict: a typo fails here, not there.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, Final, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, RootModel


class JobStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in-progress"
    SUCCESS = "success"
    FAILED = "failed"
    DRAINING = "draining"
    PAUSED = "paused"
    CANCELLED = "cancelled"


TERMINAL_STATUSES: Final = frozenset({JobStatus.SUCCESS, JobStatus.FAILED, JobStatus.CANCELLED})


_JOB_ID: Final = re.compile(r"[0-9a-f]{24}")


def is_job_id(value: str) -> bool:
    """True for an id of Instantly's shape (24 hex characters); checked before an id goes into a URL path."""
    return _JOB_ID.fullmatch(value) is not None


def is_terminal(status: str) -> bool:
    """True for a status after which a job never changes; unknown statuses are not terminal."""
    return status in TERMINAL_STATUSES


# The `filter` values of POST /leads/move and what each selects; Instantly silently matches nothing on a typo.
LEAD_FILTERS: Final[dict[str, str]] = {
    "FILTER_VAL_CONTACTED": "Contacted",
    "FILTER_VAL_NOT_CONTACTED": "Not contacted",
    "FILTER_VAL_COMPLETED": "Completed",
    "FILTER_VAL_UNSUBSCRIBED": "Unsubscribed",
    "FILTER_VAL_ACTIVE": "Active",
    "FILTER_LEAD_INTERESTED": "Interested",
    "FILTER_LEAD_NOT_INTERESTED": "Not interested",
    "FILTER_LEAD_MEETING_BOOKED": "Meeting booked",
    "FILTER_LEAD_MEETING_COMPLETED": "Meeting completed",
    "FILTER_LEAD_CLOSED": "Closed",
    "FILTER_LEAD_OUT_OF_OFFICE": "Out of office",
    "FILTER_LEAD_WRONG_PERSON": "Wrong person",
    "FILTER_LEAD_LOST": "Lost",
    "FILTER_LEAD_NO_SHOW": "No show",
    "FILTER_LEAD_CUSTOM_LABEL_POSITIVE": "Custom label: positive",
    "FILTER_LEAD_CUSTOM_LABEL_NEGATIVE": "Custom label: negative",
    "FILTER_VAL_BOUNCED": "Bounced",
    "FILTER_VAL_SKIPPED": "Skipped",
    "FILTER_VAL_RISKY": "Risky",
    "FILTER_VAL_INVALID": "Invalid",
    "FILTER_VAL_VALID": "Valid",
    "FILTER_VAL_IN_SUBSEQUENCE": "In a subsequence",
    "FILTER_VAL_OPENED_NO_REPLY": "Opened, no reply",
    "FILTER_VAL_COMPLETED_NO_REPLY": "Sequence completed, no reply",
    "FILTER_VAL_NO_OPENS": "No opens",
    "FILTER_VAL_REPLIED": "Replied",
    "FILTER_VAL_LINK_CLICKED": "Clicked a link",
}

# esp_code is a number on the wire, esg_code a string: the spec says so and Instantly checks it.
# Instantly's words for them (x-enumDescriptions) made plain: "In Queue" is a lead whose provider or gateway Instantly
# has not detected yet, and each list says so in its own words, so that no option reads like another's.
ESP_CODES: Final[dict[int, str]] = {
    0: "Provider not detected yet",
    1: "Google",
    2: "Microsoft",
    3: "Zoho",
    8: "AirMail",
    9: "Yahoo",
    10: "Yandex",
    12: "Web.de",
    13: "Libero.it",
    999: "Another provider",
    1000: "No provider found",
}
ESG_CODES: Final[dict[str, str]] = {
    "0": "Gateway not detected yet",
    "1": "Barracuda",
    "2": "Mimecast",
    "3": "Proofpoint",
    "4": "Cisco",
    "all": "Any gateway",
    "none": "No gateway",
}
# "all" is what leaving the gateway unset means already: the form does not offer it beside its "Any gateway".
ESG_OFFERED: Final[tuple[str, ...]] = tuple(code for code in ESG_CODES if code != "all")


class MoveLeadsRequest(BaseModel):
    """The body of POST /leads/move. Only set fields are sent (`to_body`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    search: str | None = None
    filter: str | None = None
    campaign: str | None = None
    list_id: str | None = None
    in_campaign: bool | None = None
    in_list: bool | None = None
    ids: list[str] | None = None
    excluded_ids: list[str] | None = None
    contacts: list[str] | None = None
    to_campaign_id: str | None = None
    to_list_id: str | None = None
    ignore_resource_filter_clauses: bool | None = None
    check_duplicates_in_campaigns: bool | None = None
    skip_leads_in_verification: bool | None = None
    limit: int | None = Field(default=None, ge=1)
    assigned_to: str | None = None
    esp_code: int | None = None
    esg_code: str | None = None
    copy_leads: bool | None = None
    check_duplicates: bool | None = None
    reset_interest_status: bool | None = None

    def to_body(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class ListLeadsRequest(BaseModel):
    """The body of POST /leads/list, as much of it as a preview needs: the move's source and the filters that
    endpoint takes too (it has no esp_code). Only set fields are sent (`to_body`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    campaign: str | None = None
    list_id: str | None = None
    search: str | None = None
    filter: str | None = None
    contacts: list[str] | None = None
    esg_code: str | None = None
    limit: int = Field(default=5, ge=1, le=100)
    starting_after: str | None = None  # the previous page's `next_starting_after`, passed back unchanged

    def to_body(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")


class BackgroundJob(_Answer):
    id: str
    workspace_id: str
    type: str
    progress: float = Field(ge=0, le=100)
    status: str
    created_at: str
    updated_at: str
    user_id: str | None = None
    entity_id: str | None = None
    entity_type: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_terminal(self) -> bool:
        return is_terminal(self.status)

    @property
    def moved_leads(self) -> int | None:
        """How many leads the job moved or copied, when Instantly reports it."""
        value = self.data.get("moved_leads")
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    @property
    def moved_lead_emails(self) -> list[str] | None:
        """The e-mails Instantly says it moved (the first 10,000), when it sent them: only when asked for."""
        value = self.data.get("moved_lead_emails")
        if not isinstance(value, list):
            return None
        return [email for email in value if isinstance(email, str)]


class Campaign(_Answer):
    id: str
    name: str
    status: int | None = None


class LeadList(_Answer):
    id: str
    name: str
    timestamp_created: str | None = None


class MemberName(_Answer):
    first: str | None = None
    last: str | None = None


class WorkspaceMember(_Answer):
    id: str
    user_id: str
    email: str
    name: MemberName | None = None
    role: str | None = None

    @property
    def display_name(self) -> str:
        parts = [p for p in ((self.name.first, self.name.last) if self.name else ()) if p]
        return " ".join(parts) if parts else self.email


class Lead(_Answer):
    id: str
    email: str | None = None


class CampaignAnalytics(_Answer):
    """One campaign's row of GET /campaigns/analytics; only the lead count is read."""

    campaign_id: str | None = None
    leads_count: int | None = None


class CampaignAnalyticsRows(RootModel[list[CampaignAnalytics]]):
    pass


class ListVerificationStats(_Answer):
    """GET /lead-lists/{id}/verification-stats; only the total is read."""

    total_leads: float


class Workspace(_Answer):
    id: str
    name: str


ItemT = TypeVar("ItemT")


class Page(_Answer, Generic[ItemT]):
    """One page of a list endpoint; `next_starting_after` is passed back unchanged for the next page."""

    items: list[ItemT]
    next_starting_after: str | None = None


class InstantlyErrorBody(_Answer):
    status_code: int | None = Field(default=None, alias="statusCode")
    error: str | None = None
    message: str | None = None

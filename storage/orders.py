"""A move order in leadmover's own words: where leads come from, where they go, which ones, and how.

It is what a person asked for, stored with each job as JSON. It names no Instantly field and no Slack block; the
lead status, provider and gateway values are Instantly's codes, kept as opaque choices like a campaign id.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EndpointKind(StrEnum):
    CAMPAIGN = "campaign"
    LIST = "list"


class MoveMode(StrEnum):
    MOVE = "move"  # the leads leave the source
    COPY = "copy"  # the originals stay where they are


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Endpoint(_Value):
    """A campaign or a lead list, as a source or a destination, with the name the person saw."""

    kind: EndpointKind
    id: str
    name: str

    def same_place(self, other: Endpoint) -> bool:
        return (self.kind, self.id) == (other.kind, other.id)


class LeadFilters(_Value):
    """Which of the source's leads to take; every filter left empty takes them all."""

    search: str | None = None  # name or email contains
    lead_status: str | None = None
    emails: tuple[str, ...] = ()  # only these addresses
    email_provider: int | None = None
    security_gateway: str | None = None


class MoveOptions(_Value):
    """How the leads are treated on the way."""

    skip_duplicates: bool = False  # at the destination
    skip_duplicates_in_campaigns: bool = False  # across every campaign
    skip_leads_in_verification: bool = False
    reset_interest_status: bool = False
    ignore_source_filters: bool = False  # the source's saved lead-finder clauses
    assign_to: str | None = None  # an Instantly workspace member's user id
    assign_to_name: str | None = None  # how the picker named them when chosen, e.g. "Ann Lee (ann@acme.com)"

    @classmethod
    def flag_names(cls) -> tuple[str, ...]:
        """The on/off options, in the order people see them."""
        return tuple(name for name, field in cls.model_fields.items() if field.annotation is bool)

    def flags_set(self) -> tuple[str, ...]:
        return tuple(name for name in self.flag_names() if getattr(self, name))


class MoveOrder(_Value):
    """One move or copy, validated and complete."""

    source: Endpoint
    destination: Endpoint
    mode: MoveMode = MoveMode.MOVE
    limit: int | None = Field(default=None, ge=1)
    filters: LeadFilters = LeadFilters()
    options: MoveOptions = MoveOptions()
    # The leadmover job whose leads this move returns (Move back); None for a move someone asked for.
    takes_back: int | None = None

    @property
    def copies(self) -> bool:
        return self.mode == MoveMode.COPY

    def without_typed_details(self) -> MoveOrder:
        """The order less what the person typed about leads (search text, email addresses): kept no longer than
        the retention period. Where the leads went, and how many, stays on record."""
        filters = self.filters.model_copy(update={"search": None, "emails": ()})
        return self.model_copy(update={"filters": filters})

    def to_json(self) -> dict[str, Any]:
        # A move someone asked for is written as before `takes_back` existed, so a process of the previous version
        # (a rolling deploy, a rollback) still reads it.
        unset: dict[str, Any] = {}
        if self.takes_back is None:
            unset["takes_back"] = True
        if self.options.assign_to_name is None:
            unset["options"] = {"assign_to_name"}
        return self.model_dump(mode="json", exclude=unset or None)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MoveOrder:
        return cls.model_validate(data)

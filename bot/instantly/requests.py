"""The translations from a MoveOrder, in leadmover's words, to Instantly's bodies: POST /leads/move, and the
POST /leads/list that previews which leads the same order would take."""

from __future__ import annotations

from typing import Final

from bot.instantly.schemas import ListLeadsRequest, MoveLeadsRequest
from storage.orders import Endpoint, EndpointKind, LeadFilters, MoveOrder

PREVIEW_SIZE: Final = 5
# The most leads one POST /leads/list answers with (the spec's maximum `limit`): a count pages in these.
LIST_PAGE_MAX: Final = 100

# Each of the order's on/off options and the Instantly field that asks for it.
_INSTANTLY_FLAGS: Final[dict[str, str]] = {
    "skip_duplicates": "check_duplicates",
    "skip_duplicates_in_campaigns": "check_duplicates_in_campaigns",
    "skip_leads_in_verification": "skip_leads_in_verification",
    "reset_interest_status": "reset_interest_status",
    "ignore_source_filters": "ignore_resource_filter_clauses",
}


def move_request(order: MoveOrder) -> MoveLeadsRequest:
    """Instantly's request for this order; only what the order sets is sent."""
    source, destination, filters = order.source, order.destination, order.filters
    flags = {_INSTANTLY_FLAGS[name]: True for name in order.options.flags_set()}
    return MoveLeadsRequest(
        campaign=source.id if source.kind == EndpointKind.CAMPAIGN else None,
        list_id=source.id if source.kind == EndpointKind.LIST else None,
        to_campaign_id=destination.id if destination.kind == EndpointKind.CAMPAIGN else None,
        to_list_id=destination.id if destination.kind == EndpointKind.LIST else None,
        copy_leads=order.copies,
        limit=order.limit,
        search=filters.search,
        filter=filters.lead_status,
        contacts=list(filters.emails) or None,
        esp_code=filters.email_provider,
        esg_code=filters.security_gateway,
        assigned_to=order.options.assign_to,
        **flags,
    )


def list_request(
    *, source: Endpoint, filters: LeadFilters, limit: int = PREVIEW_SIZE, starting_after: str | None = None
) -> ListLeadsRequest:
    """The page of leads a move from `source` with `filters` would start with, or the page after `starting_after`.
    POST /leads/list takes every filter the move does except the email provider (the spec has no esp_code there):
    `sample_ignores` says so."""
    return ListLeadsRequest(
        campaign=source.id if source.kind == EndpointKind.CAMPAIGN else None,
        list_id=source.id if source.kind == EndpointKind.LIST else None,
        search=filters.search,
        filter=filters.lead_status,
        contacts=list(filters.emails) or None,
        esg_code=filters.security_gateway,
        limit=limit,
        starting_after=starting_after,
    )


def sample_ignores(filters: LeadFilters) -> tuple[str, ...]:
    """The filters (in leadmover's words) that POST /leads/list cannot apply, for a sample or a count."""
    return ("email_provider",) if filters.email_provider is not None else ()

"""The one translation from a MoveOrder, in leadmover's words, to Instantly's body for POST /leads/move."""

from __future__ import annotations

from typing import Final

from bot.schemas import MoveLeadsRequest
from storage.orders import EndpointKind, MoveOrder

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

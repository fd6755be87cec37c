"""A job keeps its order in leadmover's own words (jobs.move_order) instead of Instantly's request body.

Rows already stored are converted both ways. The conversion is written out here, not imported, so that this
revision keeps doing what it did when the code around it changes.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | tuple[str, ...] | None = "0001"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

_ENDPOINT_COLUMNS = {
    "source_kind": sa.String(length=16),
    "source_id": sa.String(length=64),
    "source_name": sa.String(length=255),
    "destination_kind": sa.String(length=16),
    "destination_id": sa.String(length=64),
    "destination_name": sa.String(length=255),
}
# Instantly's boolean fields of POST /leads/move and the order's options they were.
_FLAGS = {
    "check_duplicates": "skip_duplicates",
    "check_duplicates_in_campaigns": "skip_duplicates_in_campaigns",
    "skip_leads_in_verification": "skip_leads_in_verification",
    "reset_interest_status": "reset_interest_status",
    "ignore_resource_filter_clauses": "ignore_source_filters",
}

_jobs = sa.table(
    "jobs",
    sa.column("id", sa.Integer()),
    sa.column("copy_leads", sa.Boolean()),
    sa.column("request_body", sa.JSON()),
    sa.column("move_order", sa.JSON()),
    *(sa.column(name, kind) for name, kind in _ENDPOINT_COLUMNS.items()),
)


def order_from_request(row: Any) -> dict[str, Any]:
    """The order a stored request body and its endpoint columns stood for."""
    body: dict[str, Any] = dict(row.request_body or {})
    return {
        "source": {"kind": row.source_kind, "id": row.source_id, "name": row.source_name},
        "destination": {"kind": row.destination_kind, "id": row.destination_id, "name": row.destination_name},
        "mode": "copy" if row.copy_leads else "move",
        "limit": body.get("limit"),
        "filters": {
            "search": body.get("search"),
            "lead_status": body.get("filter"),
            "emails": list(body.get("contacts") or []),
            "email_provider": body.get("esp_code"),
            "security_gateway": body.get("esg_code"),
        },
        "options": {
            **{option: bool(body.get(flag)) for flag, option in _FLAGS.items()},
            "assign_to": body.get("assigned_to"),
        },
    }


def request_from_order(order: dict[str, Any]) -> dict[str, Any]:
    """The columns an order was kept in before this revision, request body included."""
    source, destination = order["source"], order["destination"]
    filters, options = order.get("filters") or {}, order.get("options") or {}
    copy_leads = order.get("mode") == "copy"
    body: dict[str, Any] = {
        "campaign": source["id"] if source["kind"] == "campaign" else None,
        "list_id": source["id"] if source["kind"] == "list" else None,
        "to_campaign_id": destination["id"] if destination["kind"] == "campaign" else None,
        "to_list_id": destination["id"] if destination["kind"] == "list" else None,
        "copy_leads": copy_leads,
        "limit": order.get("limit"),
        "search": filters.get("search"),
        "filter": filters.get("lead_status"),
        "contacts": filters.get("emails") or None,
        "esp_code": filters.get("email_provider"),
        "esg_code": filters.get("security_gateway"),
        "assigned_to": options.get("assign_to"),
        **{flag: True for flag, option in _FLAGS.items() if options.get(option)},
    }
    return {
        "copy_leads": copy_leads,
        "request_body": {key: value for key, value in body.items() if value is not None},
        **{f"source_{key}": source[key] for key in ("kind", "id", "name")},
        **{f"destination_{key}": destination[key] for key in ("kind", "id", "name")},
    }


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("move_order", sa.JSON(), nullable=True))
    connection = op.get_bind()
    for row in connection.execute(sa.select(_jobs)).all():
        connection.execute(_jobs.update().where(_jobs.c.id == row.id).values(move_order=order_from_request(row)))
    with op.batch_alter_table("jobs") as batch:
        batch.alter_column("move_order", existing_type=sa.JSON(), nullable=False)
        for name in ("copy_leads", *_ENDPOINT_COLUMNS, "request_body"):
            batch.drop_column(name)


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("copy_leads", sa.Boolean(), nullable=True))
        for name, kind in _ENDPOINT_COLUMNS.items():
            batch.add_column(sa.Column(name, kind, nullable=True))
        batch.add_column(sa.Column("request_body", sa.JSON(), nullable=True))
    connection = op.get_bind()
    for row in connection.execute(sa.select(_jobs.c.id, _jobs.c.move_order)).all():
        values = request_from_order(row.move_order)
        connection.execute(_jobs.update().where(_jobs.c.id == row.id).values(**values))
    with op.batch_alter_table("jobs") as batch:
        batch.alter_column("copy_leads", existing_type=sa.Boolean(), nullable=False)
        for name, kind in _ENDPOINT_COLUMNS.items():
            batch.alter_column(name, existing_type=kind, nullable=False)
        batch.alter_column("request_body", existing_type=sa.JSON(), nullable=False)
        batch.drop_column("move_order")

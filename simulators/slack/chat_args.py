"""Reading the arguments of chat.* calls (text, blocks, metadata) and paging the answers of conversations.* calls."""

from __future__ import annotations

import base64
from typing import Any

from simulators.slack.blockkit import check_message_blocks
from simulators.slack.messages import assign_ids
from simulators.slack.protocol import JSON, ApiError, decode_arg

_TEXT_LIMIT = 40_000


def message_content(args: JSON, method: str) -> tuple[str | None, list[JSON] | None, JSON | None]:
    """(text, blocks, metadata) of a chat.* call; each None when not given."""
    blocks = decode_arg(args, "blocks", error="invalid_blocks_format")
    if blocks is not None:
        errors = check_message_blocks(blocks)
        if errors:
            raise ApiError("invalid_blocks", messages=errors, violation=f"{method}: invalid_blocks: {errors}")
    attachments = decode_arg(args, "attachments", error="invalid_attachments")
    text = None if args.get("text") is None else str(args["text"])
    if not text and not blocks and not attachments:
        raise ApiError("no_text", violation=f"{method}: neither text nor blocks given")
    if text is not None and len(text) > _TEXT_LIMIT:
        raise ApiError("msg_too_long", violation=f"{method}: text longer than {_TEXT_LIMIT} characters")
    metadata = decode_arg(args, "metadata", error="invalid_metadata_format")
    if metadata is not None and not (
        isinstance(metadata, dict)
        and isinstance(metadata.get("event_type"), str)
        and isinstance(metadata.get("event_payload"), dict)
    ):
        raise ApiError("invalid_metadata_format", violation=f"{method}: metadata needs event_type and event_payload")
    return text, assign_ids(blocks), metadata


def page(items: list[JSON], args: JSON, *, default_limit: int) -> JSON:
    """One page of `messages` with Slack's opaque cursor."""
    chunk, next_cursor = page_of(items, args, default_limit=default_limit)
    return {"messages": chunk, "has_more": bool(next_cursor), "response_metadata": {"next_cursor": next_cursor}}


def page_of(items: list[Any], args: JSON, *, default_limit: int) -> tuple[list[Any], str]:
    """(the items of the page `args` asks for, the cursor of the next page or "" after the last)."""
    start = _offset(args.get("cursor"))
    try:
        limit = int(args.get("limit", default_limit))
    except (TypeError, ValueError):
        limit = default_limit
    limit = max(1, min(limit, 1000))
    more = start + limit < len(items)
    next_cursor = base64.b64encode(f"offset:{start + limit}".encode()).decode() if more else ""
    return items[start : start + limit], next_cursor


def _offset(cursor: Any) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(str(cursor)).decode().split(":", 1)[1])
    except (ValueError, IndexError):
        raise ApiError("invalid_cursor") from None

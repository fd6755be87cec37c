"""A message as the fake Slack stores it, how the Web API and interaction payloads show it, and the ids Slack gives
the blocks and buttons that came without one."""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass, field
from typing import Any

from simulators.slack.blockkit import interactive_elements
from simulators.slack.protocol import JSON, Workspace

_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


@dataclass
class Message:
    """A message as Slack stores it."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None
    user: str
    metadata: dict[str, Any] | None = None
    edits: int = 0
    history: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    edited_ts: str | None = None  # when it was last edited, on the same clock as every ts


def assign_ids(blocks: list[JSON] | None) -> list[JSON] | None:
    """A copy of the blocks where each one holding interactive elements has a block_id and each of those elements an
    action_id, as Slack stores a message: a click's payload names both. Blocks without elements are left as sent."""
    if blocks is None:
        return None
    stored = copy.deepcopy(blocks)
    for block in stored:
        elements = interactive_elements(block) if isinstance(block, dict) else []
        if elements:
            block.setdefault("block_id", _random_id())
        for element in elements:
            element.setdefault("action_id", _random_id())
    return stored


def message_json(
    message: Message,
    *,
    ws: Workspace,
    parent_user: str | None,
    replies: list[Message],
    edited: str | None,
    metadata: bool,
) -> JSON:
    """The message as conversations.history shows it: `parent_user` posted its thread's parent (for a reply),
    `replies` are its own replies (for a parent), `edited` is the ts of its last edit."""
    out: JSON = {
        "type": "message",
        "user": message.user,
        "bot_id": ws.bot_id,
        "app_id": ws.app_id,
        "text": message.text,
        "ts": message.ts,
        "team": ws.team_id,
        "blocks": copy.deepcopy(message.blocks),
    }
    if message.thread_ts:
        out["thread_ts"] = message.thread_ts
        out["parent_user_id"] = parent_user
    elif replies:
        users = sorted({reply.user for reply in replies})
        out.update(
            thread_ts=message.ts,
            reply_count=len(replies),
            reply_users=users,
            reply_users_count=len(users),
            latest_reply=replies[-1].ts,
        )
    if edited:
        out["edited"] = {"user": message.user, "ts": edited}
    if metadata and message.metadata is not None:
        out["metadata"] = copy.deepcopy(message.metadata)
    return out


def _random_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(5))

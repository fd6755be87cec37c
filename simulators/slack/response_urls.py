"""response_url: Slack hands one out with each slash command and each click in a message, and the app may post to
it five times. A click's URL also acts on the message clicked in (replace_original, delete_original...)."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from simulators.loopback import Reply, Request
from simulators.slack.blockkit import check_message_blocks
from simulators.slack.protocol import JSON

_USES = 5


def message_errors(body: JSON) -> list[str]:
    """Problems with a message the app answers a command with (its blocks and response_type)."""
    errors = check_message_blocks(body["blocks"]) if "blocks" in body else []
    if body.get("response_type") not in (None, "in_channel", "ephemeral"):
        errors.append(f"unknown response_type {body.get('response_type')!r}")
    return errors


class ResponseUrls:
    """Issues response URLs under ``{base_url}/response/`` and keeps every body the app posts to them."""

    def __init__(self, *, base_url: Callable[[], str], report: Callable[[str], None]) -> None:
        self._base_url = base_url
        self._report = report
        self._lock = threading.Lock()
        self._uses: dict[str, int] = {}
        self._on_post: dict[str, Callable[[JSON], str | None]] = {}
        self.responses: list[dict[str, Any]] = []

    def issue(self, *, on_post: Callable[[JSON], str | None] | None = None) -> str:
        """A new URL; `on_post(body)` acts on each post Slack accepts, after it is recorded, and returns None, or
        the error Slack answers (HTTP 404) when it cannot act (the message to replace is gone)."""
        response_id = secrets.token_hex(12)
        with self._lock:
            self._uses[response_id] = 0
            if on_post is not None:
                self._on_post[response_id] = on_post
        return f"{self._base_url()}/response/{response_id}"

    def respond(self, response_id: str, request: Request) -> Reply:
        """Take one post of the app to a response URL."""
        status, text = self._receive(response_id, request)
        return Reply(status, text.encode(), {"Content-Type": "text/plain; charset=utf-8"})

    def _receive(self, response_id: str, request: Request) -> tuple[int, str]:
        with self._lock:
            uses = self._uses.get(response_id)
            if uses is None or uses >= _USES:
                self._report(f"response_url: unknown or used more than {_USES} times ({response_id})")
                return 404, "used_url" if uses is not None else "no_service"
            self._uses[response_id] = uses + 1
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            if content_type == "application/x-www-form-urlencoded":
                body = json.loads(dict(parse_qsl(request.body.decode())).get("payload", "{}"))
            else:
                body = json.loads(request.body or b"{}")
        except ValueError:
            self._report("response_url: body is not JSON")
            return 400, "invalid_payload"
        if not isinstance(body, dict):
            return 400, "invalid_payload"
        with self._lock:
            self.responses.append(body)
        if not any(k in body for k in ("text", "blocks", "attachments", "delete_original")):
            self._report("response_url: body has neither text nor blocks")
            return 400, "no_text"
        errors = message_errors(body)
        for error in errors:
            self._report(f"response_url: {error}")
        if errors:
            return 400, "invalid_blocks"
        on_post = self._on_post.get(response_id)
        failed = on_post(body) if on_post is not None else None
        return (404, failed) if failed else (200, "ok")

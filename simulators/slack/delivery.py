"""Getting Slack's requests to the app over HTTP: the v0 request signature, signed posts, and the app's answer."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class AppResponse:
    """What the app answered to a request (or Socket Mode envelope) the fake Slack sent it."""

    status: int
    body: str
    elapsed: float

    def json(self) -> Any:
        """The body parsed as JSON (None for an empty body)."""
        return json.loads(self.body) if self.body.strip() else None


@dataclass(frozen=True)
class SentRequest:
    """A request exactly as the fake Slack sent it to the app."""

    url: str
    body: str
    headers: dict[str, str]


def sign(*, signing_secret: str, timestamp: str, body: str) -> str:
    """Slack's v0 request signature: HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


class SignedPoster:
    """POSTs form-encoded bodies to the app the way Slack does, signed with the signing secret.

    With `keep_alive`, requests share one pooled client, so `AppResponse.elapsed` is the app's answer alone, not
    also building a client (~30 ms each). An app that has not answered after `timeout` seconds gets status 504.
    """

    def __init__(self, *, signing_secret: str, keep_alive: bool = False, timeout: float = 10.0) -> None:
        self._signing_secret = signing_secret
        self._keep_alive = keep_alive
        self._timeout = timeout
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None
        self.last: SentRequest | None = None  # the last request, as sent: what an attacker could capture
        self.last_by: dict[str, SentRequest] = {}  # the last request sent under each `key` (a team id)

    def post(
        self,
        app_url: str,
        body: str,
        *,
        retry_num: int = 0,
        content_type: str = "application/x-www-form-urlencoded",
        key: str | None = None,
    ) -> AppResponse:
        """Sign and send `body`; `retry_num` > 0 marks it as Slack's redelivery after a slow answer. The request is
        kept as `last`, and as `last_by[key]` when a key is given."""
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": sign(signing_secret=self._signing_secret, timestamp=timestamp, body=body),
        }
        if retry_num:
            headers |= {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        self.last = SentRequest(url=app_url, body=body, headers=dict(headers))
        if key is not None:
            self.last_by[key] = self.last
        if not self._keep_alive:
            started = time.monotonic()  # building the client counts, as it always did
            with httpx.Client(trust_env=False, timeout=self._timeout) as client:
                return self._send(client, app_url, body, headers, started=started)
        with self._lock:
            if self._client is None:
                limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
                self._client = httpx.Client(trust_env=False, timeout=self._timeout, limits=limits)
            client = self._client
        return self._send(client, app_url, body, headers, started=time.monotonic())

    def close(self) -> None:
        """Close the pooled client, if any (idempotent; a later post opens a new one)."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    @staticmethod
    def _send(client: httpx.Client, app_url: str, body: str, headers: dict[str, str], *, started: float) -> AppResponse:
        try:
            response = client.post(app_url, content=body.encode(), headers=headers)
        except httpx.TimeoutException:
            return AppResponse(status=504, body="", elapsed=time.monotonic() - started)
        return AppResponse(status=response.status_code, body=response.text, elapsed=time.monotonic() - started)

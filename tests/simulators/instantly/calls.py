"""Constants and helpers shared by the fake Instantly's tests."""

from __future__ import annotations

import ssl
from typing import Any

import httpx

KEY = "instantly-test-key"
UA = "leadmover-tests"


def move(client: httpx.Client, **body: Any) -> dict[str, Any]:
    answer = client.post("/leads/move", json=body)
    assert answer.status_code == 200, answer.text
    job: dict[str, Any] = answer.json()
    return job


def client_for(base_url: str, api_key: str, *, verify: ssl.SSLContext | bool = True) -> httpx.Client:
    """A client that names itself and carries `api_key`, as leadmover's client does."""
    headers = {"User-Agent": UA, "Authorization": f"Bearer {api_key}"}
    return httpx.Client(base_url=base_url, headers=headers, timeout=5, verify=verify)

"""Constants and helpers shared by the fake Instantly's tests."""

from __future__ import annotations

from typing import Any

import httpx

KEY = "instantly-test-key"
UA = "leadmover-tests"


def move(client: httpx.Client, **body: Any) -> dict[str, Any]:
    answer = client.post("/leads/move", json=body)
    assert answer.status_code == 200, answer.text
    job: dict[str, Any] = answer.json()
    return job

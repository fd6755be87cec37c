"""Fault injection in the fake Instantly: scripted error answers (`fail_next`) and rate-limit windows."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator

import httpx
import pytest

from simulators.instantly import FakeInstantly
from simulators.instantly.faults import Faults
from tests.simulators.instantly.calls import KEY, UA


@pytest.fixture
def limited(tls: ssl.SSLContext) -> Iterator[tuple[FakeInstantly, httpx.Client]]:
    """A fake allowing 2 requests in any 0.2 s and 3 in any minute, and a client for it."""
    with FakeInstantly(api_key=KEY, rate_limits=((0.2, 2), (60.0, 3))) as fake:
        headers = {"User-Agent": UA, "Authorization": f"Bearer {KEY}"}
        with httpx.Client(base_url=fake.base_url, headers=headers, timeout=5, verify=tls) as client:
            yield fake, client


def test_fail_next_injects_errors_with_retry_after(fake: FakeInstantly, client: httpx.Client) -> None:
    fake.fail_next("GET", "/api/v2/campaigns", status=429, times=2, retry_after=1.5)
    fake.fail_next("GET", "/api/v2/workspaces", status=500, body="{not json")

    limited = [client.get("/campaigns") for _ in range(2)]
    broken = client.get("/workspaces/current")
    recovered = client.get("/campaigns")

    assert [answer.status_code for answer in limited] == [429, 429]
    assert limited[0].headers["retry-after"] == "1.5"
    assert limited[0].json() == {"statusCode": 429, "error": "Too Many Requests", "message": "Too Many Requests"}
    assert (broken.status_code, broken.text) == (500, "{not json")
    assert recovered.status_code == 200
    assert fake.violations == []


def test_a_fault_matches_by_method_and_path_prefix_and_any_method_with_a_star(
    fake: FakeInstantly, client: httpx.Client
) -> None:
    destination = fake.add_list("Destination")
    fake.fail_next("POST", "/api/v2/leads/move", status=503, message="Try later")
    fake.fail_next("*", "/api/v2/background-jobs", status=502)

    listed = client.post("/leads/list", json={})  # another POST path: not this fault's
    moved = client.post("/leads/move", json={"to_list_id": destination})
    polled = client.get("/background-jobs")

    assert listed.status_code == 200
    assert (moved.status_code, moved.json()["message"]) == (503, "Try later")
    assert (polled.status_code, polled.json()["message"]) == (502, "Bad Gateway")
    assert "retry-after" not in polled.headers
    assert fake.move_bodies() == []  # the failed move started no job
    assert client.get("/background-jobs").status_code == 200


def test_only_valid_requests_use_a_fault_up(fake: FakeInstantly, client: httpx.Client) -> None:
    fake.fail_next("GET", "/api/v2/campaigns", status=500)

    wrong_key = client.get("/campaigns", headers={"Authorization": "Bearer revoked"})
    off_contract = client.get("/campaigns", params={"limt": 1})
    failed = client.get("/campaigns")

    assert [wrong_key.status_code, off_contract.status_code, failed.status_code] == [401, 400, 500]
    assert client.get("/campaigns").status_code == 200


def test_fail_next_refuses_a_status_http_does_not_have(fake: FakeInstantly) -> None:
    with pytest.raises(ValueError, match="599"):
        fake.fail_next("GET", "/api/v2/campaigns", status=599)


def test_rate_limits_need_positive_windows_and_limits() -> None:
    for bad in ([(0.0, 5)], [(1.0, 0)]):
        with pytest.raises(ValueError, match="positive"):
            Faults(rate_limits=bad)


def test_requests_over_a_window_are_429_and_use_up_nothing(limited: tuple[FakeInstantly, httpx.Client]) -> None:
    fake, client = limited

    first = [client.get("/lead-labels").status_code for _ in range(3)]
    answer = client.get("/lead-labels")
    time.sleep(0.21)  # the short window has passed: the refused request did not count against it
    after_short_window = client.get("/lead-labels")
    over_minute = client.get("/lead-labels")

    assert first == [200, 200, 429]
    assert answer.status_code == 429
    assert answer.json() == {"statusCode": 429, "error": "Too Many Requests", "message": "Rate limit exceeded"}
    assert after_short_window.status_code == 200
    assert over_minute.status_code == 429  # three in the minute window already
    assert fake.rate_limited == 3
    assert fake.violations == []


def test_without_rate_limits_nothing_is_refused(fake: FakeInstantly, client: httpx.Client) -> None:
    assert {client.get("/lead-labels").status_code for _ in range(30)} == {200}
    assert fake.rate_limited == 0

"""FakeInstantly's request pipeline: who may call, what it records, delays, concurrency, start and stop."""

from __future__ import annotations

import ssl
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from simulators.instantly import MOVE_PATH, FakeInstantly, RecordedRequest
from tests.simulators.instantly.calls import KEY, UA, move


def test_missing_auth_is_401_and_a_violation_but_a_wrong_key_is_not(fake: FakeInstantly, tls: ssl.SSLContext) -> None:
    with httpx.Client(base_url=fake.base_url, headers={"User-Agent": UA}, verify=tls) as anonymous:
        missing = anonymous.get("/campaigns")
        wrong = anonymous.get("/campaigns", headers={"Authorization": "Bearer revoked"})

    expected = {"statusCode": 401, "error": "Unauthorized", "message": "Invalid API key"}
    assert missing.status_code == wrong.status_code == 401
    assert missing.json() == wrong.json() == expected
    assert len(fake.violations) == 1


def test_default_client_user_agent_is_blocked(fake: FakeInstantly, tls: ssl.SSLContext) -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=fake.base_url, headers=auth, verify=tls) as stock:
        answer = stock.get("/workspaces/current")

    assert answer.status_code == 403
    assert answer.json() == {"statusCode": 403, "error": "Forbidden", "message": "Blocked user agent"}
    assert "python-httpx" in fake.violations[0]


def test_delayed_move_still_creates_the_job_a_timed_out_client_must_find(
    fake: FakeInstantly, client: httpx.Client
) -> None:
    destination = fake.add_list("Destination")
    fake.delay[MOVE_PATH] = 0.3

    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        client.post("/leads/move", json={"to_list_id": destination}, timeout=0.1)
    assert time.monotonic() - started < 0.3

    found = client.get("/background-jobs", params={"type": "move-leads"}).json()["items"]
    assert len(found) == 1
    assert len(fake.move_bodies()) == 1


def test_concurrent_moves_each_get_their_own_job(fake: FakeInstantly, client: httpx.Client) -> None:
    destination = fake.add_list("Destination")

    with ThreadPoolExecutor(max_workers=8) as pool:
        jobs = list(pool.map(lambda _: move(client, to_list_id=destination), range(24)))

    assert len({job["id"] for job in jobs}) == 24
    assert len(fake.requests) == len(fake.move_bodies()) == 24
    assert fake.violations == []


def test_stop_is_quick_and_ends_kept_alive_connections(tls: ssl.SSLContext) -> None:
    fake = FakeInstantly().start()
    headers = {"User-Agent": UA, "Authorization": f"Bearer {fake.api_key}"}
    with httpx.Client(base_url=fake.base_url, headers=headers, verify=tls) as pooled:
        assert pooled.get("/lead-labels").status_code == 200

        started = time.monotonic()
        fake.stop()
        assert time.monotonic() - started < 0.5
        with pytest.raises(httpx.TransportError):
            pooled.get("/lead-labels")


def test_every_answered_request_is_recorded_or_only_counted(tls: ssl.SSLContext) -> None:
    seen: list[RecordedRequest] = []
    with FakeInstantly(api_key=KEY, record_requests=False, on_request=seen.append) as fake:
        headers = {"User-Agent": UA, "Authorization": f"Bearer {KEY}"}
        with httpx.Client(base_url=fake.base_url, headers=headers, verify=tls) as client:
            client.get("/campaigns", params={"search": "a", "limit": 5})
            client.post("/leads/move", json={"to_list_id": "nowhere"})

    assert (fake.requests, fake.request_count) == ([], 2)
    first, second = seen
    assert (first.method, first.path, first.query, first.status) == (
        "GET",
        "/api/v2/campaigns",
        {"search": "a", "limit": "5"},
        200,
    )
    assert (second.method, second.body, second.status) == ("POST", {"to_list_id": "nowhere"}, 404)
    assert second.headers["user-agent"] == UA
    assert first.at <= second.at


def test_the_longest_matching_delay_prefix_wins(fake: FakeInstantly, client: httpx.Client) -> None:
    fake.delay["/api/v2"] = 0.3
    fake.delay["/api/v2/lead-labels"] = 0.0

    started = time.monotonic()
    assert client.get("/lead-labels").status_code == 200
    assert time.monotonic() - started < 0.25
    with pytest.raises(httpx.ReadTimeout):
        client.get("/campaigns", timeout=0.1)


def test_settings_that_cannot_work_are_refused_up_front(fake: FakeInstantly) -> None:
    with pytest.raises(ValueError, match="progress_steps"):
        FakeInstantly(progress_steps=(50, 101))
    with pytest.raises(ValueError, match="job_duration"):
        FakeInstantly(job_duration=0)
    with pytest.raises(RuntimeError, match="already running"):
        fake.start()

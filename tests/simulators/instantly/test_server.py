"""The Instantly simulator must answer like Instantly: data, paging, scripted jobs, faults, start and stop."""

from __future__ import annotations

import re
import ssl
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from bot.simulators.instantly import MOVE_PATH, FakeInstantly
from tests.simulators.instantly.calls import KEY, UA, move


def test_campaigns_search_case_insensitively_and_page_by_id(fake: FakeInstantly, client: httpx.Client) -> None:
    ids = [fake.add_campaign(f"Spring Outreach {n}") for n in range(5)]
    fake.add_campaign("Winter")

    first = client.get("/campaigns", params={"search": "OUTREACH", "limit": 2}).json()
    second = client.get(
        "/campaigns", params={"search": "outreach", "limit": 2, "starting_after": first["next_starting_after"]}
    ).json()
    last = client.get(
        "/campaigns", params={"search": "outreach", "limit": 2, "starting_after": second["next_starting_after"]}
    ).json()

    assert [item["id"] for item in first["items"]] == ids[:2]
    assert first["next_starting_after"] == ids[1]
    assert [item["id"] for item in second["items"]] == ids[2:4]
    assert [item["id"] for item in last["items"]] == ids[4:]
    assert "next_starting_after" not in last
    assert len(client.get("/campaigns").json()["items"]) == 6
    assert fake.violations == []


def test_lead_lists_page_by_timestamp_cursor(fake: FakeInstantly, client: httpx.Client) -> None:
    ids = [fake.add_list(f"List {n}") for n in range(3)]

    first = client.get("/lead-lists", params={"limit": 2}).json()
    cursor = first["next_starting_after"]
    rest = client.get("/lead-lists", params={"limit": 2, "starting_after": cursor}).json()

    assert cursor == first["items"][1]["timestamp_created"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", cursor)
    assert [item["id"] for item in first["items"] + rest["items"]] == ids
    assert "next_starting_after" not in rest
    assert fake.violations == []

    by_id = client.get("/lead-lists", params={"starting_after": ids[1]})
    assert by_id.status_code == 400
    assert len(fake.violations) == 1


def test_members_search_on_email_and_name(fake: FakeInstantly, client: httpx.Client) -> None:
    ann = fake.add_member("ann@example.com", first="Ann", last="Lee")
    fake.add_member("bob@example.com", first="Bob", last="Stone", role="admin")

    by_name = client.get("/workspace-members", params={"search": "lee"}).json()["items"]
    by_email = client.get("/workspace-members", params={"search": "BOB@"}).json()["items"]

    assert [member["user_id"] for member in by_name] == [ann]
    assert [member["role"] for member in by_email] == ["admin"]
    workspace = client.get("/workspaces/current").json()
    assert workspace["id"] == fake.workspace_id
    assert fake.violations == []


def test_move_job_advances_once_per_observation_until_success(fake: FakeInstantly, client: httpx.Client) -> None:
    source = fake.add_campaign("Source", leads=30)
    destination = fake.add_list("Destination")

    job = move(client, campaign=source, to_list_id=destination, limit=20, copy_leads=False)

    assert re.fullmatch(r"[0-9a-f]{24}", job["id"])
    assert job["type"] == "move-leads"
    assert (job["status"], job["progress"], job["data"]) == ("pending", 0, {})
    assert (job["entity_type"], job["entity_id"]) == ("list", destination)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", job["created_at"])
    observed = [client.get(f"/background-jobs/{job['id']}").json() for _ in range(5)]
    assert [(seen["status"], seen["progress"]) for seen in observed] == [
        ("in-progress", 25),
        ("in-progress", 50),
        ("in-progress", 75),
        ("success", 100),
        ("success", 100),
    ]
    data = observed[-1]["data"]
    assert data["moved_leads"] == 20
    assert len(data["moved_lead_emails"]) == 10
    assert fake.job(job["id"]) == observed[-1]
    assert fake.move_bodies() == [{"campaign": source, "to_list_id": destination, "limit": 20, "copy_leads": False}]
    assert fake.violations == []


def test_batch_ids_listing_observes_only_listed_jobs(fake: FakeInstantly, client: httpx.Client) -> None:
    source = fake.add_list("Source")
    destination = fake.add_campaign("Destination")
    older = move(client, list_id=source, to_campaign_id=destination)
    newer = move(client, list_id=source, to_campaign_id=destination)

    batch = client.get("/background-jobs", params={"ids": f"{older['id']},{'f' * 24}", "limit": 100}).json()
    assert [(job["id"], job["progress"]) for job in batch["items"]] == [(older["id"], 25)]

    # The recovery search after a timed-out POST sees jobs newest first and does not move them along.
    search: dict[str, str | int] = {
        "type": "move-leads",
        "sort_column": "created_at",
        "sort_order": "desc",
        "limit": 1,
    }
    page = client.get("/background-jobs", params=search).json()
    assert [job["id"] for job in page["items"]] == [newer["id"]]
    assert page["next_starting_after"] == newer["id"]
    rest = client.get("/background-jobs", params={**search, "starting_after": newer["id"]}).json()
    assert [job["id"] for job in rest["items"]] == [older["id"]]
    assert fake.job(newer["id"])["status"] == "pending"
    assert fake.job(older["id"])["progress"] == 25
    assert fake.violations == []


def test_unknown_job_is_a_404_in_instantly_shape(fake: FakeInstantly, client: httpx.Client) -> None:
    answer = client.get(f"/background-jobs/{'0' * 24}")

    assert answer.status_code == 404
    assert answer.json() == {"statusCode": 404, "error": "Not Found", "message": "Background job not found"}
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    assert fake.violations == []


def test_move_semantics_beyond_the_schema(fake: FakeInstantly, client: httpx.Client) -> None:
    campaign = fake.add_campaign("Campaign")
    lead_list = fake.add_list("List")

    both = client.post("/leads/move", json={"to_campaign_id": campaign, "to_list_id": lead_list})
    neither = client.post("/leads/move", json={"campaign": campaign})
    ids_alone = client.post("/leads/move", json={"ids": ["x"], "to_list_id": lead_list})
    assert [answer.status_code for answer in (both, neither, ids_alone)] == [400, 400, 400]
    assert len(fake.violations) == 3

    missing_destination = client.post("/leads/move", json={"to_list_id": campaign})
    missing_source = client.post("/leads/move", json={"list_id": campaign, "to_campaign_id": campaign})
    assert [missing_destination.status_code, missing_source.status_code] == [404, 404]
    assert missing_source.json()["error"] == "Not Found"
    assert len(fake.violations) == 3


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


def test_set_final_status_ends_a_job_partially(fake: FakeInstantly, client: httpx.Client) -> None:
    source = fake.add_campaign("Source", leads=40)
    destination = fake.add_campaign("Destination")
    job = move(client, campaign=source, to_campaign_id=destination)

    fake.set_final_status(job["id"], "failed")
    observed = [client.get(f"/background-jobs/{job['id']}").json() for _ in range(5)]

    assert (observed[-1]["status"], observed[-1]["progress"]) == ("failed", 75)
    assert observed[-1]["data"] == {"moved_leads": 30}
    assert observed[-2] == observed[-1]
    assert fake.violations == []


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

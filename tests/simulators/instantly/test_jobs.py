"""Instantly's background jobs in the fake: POST /leads/move starts one, and polls (or the clock) move it along."""

from __future__ import annotations

import re
import ssl
import time

import httpx

from simulators.instantly import FakeInstantly
from tests.simulators.instantly.calls import KEY, UA, move


def _leads_in_list(client: httpx.Client, list_id: str) -> int:
    total: int = client.get(f"/lead-lists/{list_id}/verification-stats").json()["total_leads"]
    return total


def _leads_in_campaign(client: httpx.Client, campaign_id: str) -> int:
    [row] = client.get("/campaigns/analytics", params={"id": campaign_id}).json()
    count: int = row["leads_count"]
    return count


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
    assert observed[-1]["data"] == {"moved_leads": 20}, "the e-mails come only to whoever asks for them"
    asked = client.get(f"/background-jobs/{job['id']}", params={"data_fields": "moved_leads,moved_lead_emails"}).json()
    assert asked["data"]["moved_leads"] == 20
    assert asked["data"]["moved_lead_emails"] == [f"lead{n}@{source[:8]}.example.com" for n in range(1, 21)]
    assert fake.job(job["id"]) == asked
    only_emails = client.get(f"/background-jobs/{job['id']}", params={"data_fields": "moved_lead_emails"}).json()
    assert set(only_emails["data"]) == {"moved_lead_emails"}
    assert fake.move_bodies() == [{"campaign": source, "to_list_id": destination, "limit": 20, "copy_leads": False}]
    assert fake.violations == []


def test_a_finished_move_takes_leads_out_of_the_source_and_a_copy_does_not(
    fake: FakeInstantly, client: httpx.Client
) -> None:
    source = fake.add_campaign("Source", leads=30)
    destination = fake.add_list("Destination", leads=5)

    moved = move(client, campaign=source, to_list_id=destination, limit=20)
    copied = move(client, campaign=source, to_list_id=destination, limit=4, copy_leads=True)
    for _ in range(4):
        client.get("/background-jobs", params={"ids": f"{moved['id']},{copied['id']}"})

    assert fake.job(moved["id"])["data"]["moved_leads"] == 20
    assert fake.job(copied["id"])["data"]["moved_leads"] == 4
    assert _leads_in_campaign(client, source) == 10
    # Both chose the source's first leads when they started: the copy's four are among the twenty moved, and a list
    # holds a lead once.
    assert _leads_in_list(client, destination) == 25
    assert fake.violations == []


def test_a_move_back_of_the_moved_emails_returns_those_very_leads(fake: FakeInstantly, client: httpx.Client) -> None:
    source = fake.add_campaign("Source", leads=6)
    destination = fake.add_list("Destination", leads=2)
    before = [lead["email"] for lead in client.post("/leads/list", json={"campaign": source}).json()["items"]]
    there = move(client, campaign=source, to_list_id=destination, limit=4)
    for _ in range(4):
        client.get(f"/background-jobs/{there['id']}")
    moved = fake.job(there["id"])["data"]["moved_lead_emails"]
    assert moved == before[:4]

    back = move(client, list_id=destination, to_campaign_id=source, contacts=moved)
    for _ in range(4):
        client.get(f"/background-jobs/{back['id']}")

    assert fake.job(back["id"])["data"]["moved_lead_emails"] == moved
    after = [lead["email"] for lead in client.post("/leads/list", json={"campaign": source}).json()["items"]]
    assert sorted(after) == sorted(before)
    assert _leads_in_list(client, destination) == 2
    assert fake.violations == []


def test_the_limit_and_the_leads_the_body_selects_set_the_total(fake: FakeInstantly, client: httpx.Client) -> None:
    source = fake.add_list("Source", leads=8)
    destination = fake.add_campaign("Destination")
    emails = [lead["email"] for lead in client.post("/leads/list", json={"list_id": source}).json()["items"]]

    over_limit = move(client, list_id=source, to_campaign_id=destination, limit=500)
    by_contact = move(client, list_id=source, to_campaign_id=destination, contacts=emails[2:4])
    for _ in range(4):
        client.get("/background-jobs", params={"ids": f"{over_limit['id']},{by_contact['id']}"})

    assert fake.job(over_limit["id"])["data"]["moved_leads"] == 8
    assert fake.job(by_contact["id"])["data"] == {"moved_leads": 2, "moved_lead_emails": emails[2:4]}
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


def test_job_listing_filters(fake: FakeInstantly, client: httpx.Client) -> None:
    to_list = fake.add_list("To list")
    to_campaign = fake.add_campaign("To campaign")
    first = move(client, to_list_id=to_list)
    second = move(client, to_campaign_id=to_campaign)
    third = move(client, to_list_id=to_list)
    fake.set_final_status(third["id"], "failed")

    def listed(**query: str) -> list[str]:
        return [job["id"] for job in client.get("/background-jobs", params={"limit": 100, **query}).json()["items"]]

    assert listed(entity_type="campaign") == [second["id"]]
    assert listed(entity_id=to_list, sort_order="asc") == [first["id"], third["id"]]
    assert listed(excluded_ids=f"{first['id']},{second['id']}") == [third["id"]]
    assert listed(included_ids=second["id"]) == [second["id"]]
    assert fake.job_ids() == [first["id"], second["id"], third["id"]]
    for _ in range(4):
        client.get(f"/background-jobs/{third['id']}")
    assert listed(status="failed") == [third["id"]]
    assert listed(status="pending,in-progress", sort_order="asc") == [first["id"], second["id"]]
    assert fake.violations == []


def test_unknown_and_forgotten_jobs_are_a_404_in_instantly_shape(fake: FakeInstantly, client: httpx.Client) -> None:
    job = move(client, to_list_id=fake.add_list("Destination"))
    fake.forget_job(job["id"])

    for job_id in ("0" * 24, job["id"]):
        answer = client.get(f"/background-jobs/{job_id}")
        assert answer.status_code == 404
        assert answer.json() == {"statusCode": 404, "error": "Not Found", "message": "Background job not found"}
    assert fake.job_ids() == []
    assert fake.violations == []


def test_move_semantics_beyond_the_schema(fake: FakeInstantly, client: httpx.Client) -> None:
    campaign = fake.add_campaign("Campaign")
    lead_list = fake.add_list("List")
    member = fake.add_member("ann@example.com")

    both = client.post("/leads/move", json={"to_campaign_id": campaign, "to_list_id": lead_list})
    neither = client.post("/leads/move", json={"campaign": campaign})
    ids_alone = client.post("/leads/move", json={"ids": ["x"], "to_list_id": lead_list})
    stranger = client.post("/leads/move", json={"to_list_id": lead_list, "assigned_to": "someone-else"})
    assert [answer.status_code for answer in (both, neither, ids_alone, stranger)] == [400, 400, 400, 400]
    assert len(fake.violations) == 4

    missing_destination = client.post("/leads/move", json={"to_list_id": campaign})
    missing_source = client.post("/leads/move", json={"list_id": campaign, "to_campaign_id": campaign})
    assert [missing_destination.status_code, missing_source.status_code] == [404, 404]
    assert missing_source.json()["error"] == "Not Found"
    assert len(fake.violations) == 4

    for assignee in (member, fake.owner_user_id):
        assert client.post("/leads/move", json={"to_list_id": lead_list, "assigned_to": assignee}).status_code == 200
    assert len(fake.job_ids()) == 2
    assert len(fake.violations) == 4


def test_set_final_status_ends_a_job_partially(fake: FakeInstantly, client: httpx.Client) -> None:
    source = fake.add_campaign("Source", leads=40)
    destination = fake.add_campaign("Destination")
    job = move(client, campaign=source, to_campaign_id=destination)

    fake.set_final_status(job["id"], "failed")
    observed = [client.get(f"/background-jobs/{job['id']}").json() for _ in range(5)]

    assert (observed[-1]["status"], observed[-1]["progress"]) == ("failed", 75)
    assert observed[-1]["data"] == {"moved_leads": 30}
    assert observed[-2] == observed[-1]
    assert _leads_in_campaign(client, source) == 40  # a failed job moved nothing the fake keeps count of
    assert fake.violations == []


def test_final_status_applies_to_jobs_created_from_then_on(fake: FakeInstantly, client: httpx.Client) -> None:
    destination = fake.add_list("Destination")
    before = move(client, to_list_id=destination)
    fake.final_status = "cancelled"
    after = move(client, to_list_id=destination)
    for _ in range(4):
        client.get("/background-jobs", params={"ids": f"{before['id']},{after['id']}"})

    assert fake.final_status == "cancelled"
    assert (fake.job(before["id"])["status"], fake.job(after["id"])["status"]) == ("success", "cancelled")
    assert fake.violations == []  # a status the spec does not list, asked for by a test, is no self-check failure


def test_with_job_duration_jobs_follow_the_clock_not_the_polls(tls: ssl.SSLContext) -> None:
    with FakeInstantly(api_key=KEY, job_duration=0.3) as fake:
        headers = {"User-Agent": UA, "Authorization": f"Bearer {KEY}"}
        with httpx.Client(base_url=fake.base_url, headers=headers, timeout=5, verify=tls) as client:
            source = fake.add_campaign("Source", leads=40)
            succeeds = move(client, campaign=source, to_list_id=fake.add_list("A"))
            fails = move(client, campaign=source, to_list_id=fake.add_list("B"))
            fake.set_final_status(fails["id"], "failed")
            polled = [client.get(f"/background-jobs/{succeeds['id']}").json()["status"] for _ in range(5)]
            assert "success" not in polled  # five quick polls are not five steps
            time.sleep(0.35)
            # Any listing settles jobs on the clock, even one that is no poll by id.
            ended = client.get("/background-jobs", params={"sort_order": "asc"}).json()["items"]

        assert [(job["status"], job["progress"]) for job in ended] == [("success", 100), ("failed", 75)]
        assert ended[1]["data"] == {"moved_leads": 30}
        times = fake.job_times()
        for job_id in (succeeds["id"], fails["id"]):
            created, finished = times[job_id]
            assert finished is not None
            assert abs(finished - created - 0.3) < 1e-9  # ended when the clock said, not when someone looked
        assert fake.violations == []

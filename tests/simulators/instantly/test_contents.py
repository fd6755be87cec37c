"""A workspace's contents as the fake Instantly serves them: campaigns, lead lists, members and leads."""

from __future__ import annotations

import re

import httpx

from simulators.instantly import FakeInstantly


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


def test_campaigns_filter_on_status_and_read_one_by_id(fake: FakeInstantly, client: httpx.Client) -> None:
    active = fake.add_campaign("Active", status=1)
    paused = fake.add_campaign("Paused", status=2)

    only_paused = client.get("/campaigns", params={"status": 2}).json()["items"]
    not_paused = client.get("/campaigns", params={"exclude_status": 2}).json()["items"]
    one = client.get(f"/campaigns/{paused}").json()
    unknown = client.get("/campaigns/0a0a0a0a-0000-4000-8000-000000000000")

    assert [item["id"] for item in only_paused] == [paused]
    assert [item["id"] for item in not_paused] == [active]
    assert (one["id"], one["name"], one["status"], one["organization"]) == (paused, "Paused", 2, fake.workspace_id)
    assert unknown.status_code == 404
    assert unknown.json()["message"] == "Resource not found"
    assert fake.violations == []  # an unknown id is the caller's bad luck, not a contract breach


def test_campaign_analytics_count_leads_for_the_campaigns_asked_for(fake: FakeInstantly, client: httpx.Client) -> None:
    big = fake.add_campaign("Big", leads=1250)
    small = fake.add_campaign("Small", leads=7)
    fake.add_campaign("Other", leads=1)

    by_ids = client.get("/campaigns/analytics", params={"ids": [big, small]}).json()
    by_id = client.get("/campaigns/analytics", params={"id": small}).json()
    every = client.get("/campaigns/analytics").json()

    assert {row["campaign_id"]: row["leads_count"] for row in by_ids} == {big: 1250, small: 7}
    assert [(row["campaign_name"], row["leads_count"], row["reply_count"]) for row in by_id] == [("Small", 7, 0)]
    assert len(every) == 3
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


def test_a_lead_list_its_verification_stats_and_its_search(fake: FakeInstantly, client: httpx.Client) -> None:
    warm = fake.add_list("Acme warm leads", leads=900)
    fake.add_list("Initech prospects")

    one = client.get(f"/lead-lists/{warm}").json()
    stats = client.get(f"/lead-lists/{warm}/verification-stats").json()
    found = client.get("/lead-lists", params={"search": "ACME"}).json()["items"]
    missing = client.get("/lead-lists/0a0a0a0a-0000-4000-8000-000000000000/verification-stats")

    assert (one["name"], one["organization_id"], one["owned_by"]) == (
        "Acme warm leads",
        fake.workspace_id,
        fake.owner_user_id,
    )
    assert (stats["total_leads"], stats["stats"]["verified"], stats["stats"]["invalid"]) == (900, 900, 0)
    assert [item["id"] for item in found] == [warm]
    assert missing.status_code == 404
    assert fake.violations == []


def test_members_search_on_email_and_name(fake: FakeInstantly, client: httpx.Client) -> None:
    ann = fake.add_member("ann@example.com", first="Ann", last="Lee")
    fake.add_member("bob@example.com", first="Bob", last="Stone", role="admin")

    by_name = client.get("/workspace-members", params={"search": "lee"}).json()["items"]
    by_full_name = client.get("/workspace-members", params={"search": "bob stone"}).json()["items"]
    by_email = client.get("/workspace-members", params={"search": "BOB@"}).json()["items"]
    accepted = client.get("/workspace-members", params={"accepted": "true"}).json()["items"]

    assert [member["user_id"] for member in by_name] == [ann]
    assert [member["email"] for member in by_full_name] == ["bob@example.com"]
    assert [member["role"] for member in by_email] == ["admin"]
    assert len(accepted) == 2
    workspace = client.get("/workspaces/current").json()
    assert (workspace["id"], workspace["owner"]) == (fake.workspace_id, fake.owner_user_id)
    assert fake.violations == []


def test_leads_of_a_source_are_stable_and_narrowed_by_the_body(fake: FakeInstantly, client: httpx.Client) -> None:
    source = fake.add_list("Source", leads=5)

    every = client.post("/leads/list", json={"list_id": source, "limit": 100}).json()["items"]
    again = client.post("/leads/list", json={"list_id": source, "limit": 100}).json()["items"]
    ids = [lead["id"] for lead in every]
    emails = [lead["email"] for lead in every]

    def chosen(**body: object) -> list[str]:
        answer = client.post("/leads/list", json={"list_id": source, "limit": 100, **body})
        return [lead["email"] for lead in answer.json()["items"]]

    assert ids == [lead["id"] for lead in again]  # tests may target leads by id
    assert emails == [f"lead{n}@{source[:8]}.example.com" for n in range(1, 6)]
    assert {(lead["list_id"], lead["campaign"]) for lead in every} == {(source, None)}
    assert chosen(ids=ids[1:3]) == emails[1:3]
    assert chosen(excluded_ids=ids[:4]) == emails[4:]
    assert chosen(contacts=[emails[0], "nobody@example.com"]) == emails[:1]
    assert chosen(search="LEAD3") == emails[2:3]
    first = client.post("/leads/list", json={"list_id": source, "limit": 2}).json()
    rest = client.post("/leads/list", json={"list_id": source, "starting_after": first["next_starting_after"]}).json()
    assert [lead["email"] for lead in first["items"] + rest["items"]] == emails
    assert fake.violations == []


def test_leads_without_a_source_and_unknown_sources_and_filters(fake: FakeInstantly, client: httpx.Client) -> None:
    campaign = fake.add_campaign("Campaign", leads=3)

    unsourced = client.post("/leads/list", json={"limit": 100}).json()["items"]
    in_campaign = client.post("/leads/list", json={"campaign": campaign}).json()["items"]
    unknown_source = client.post("/leads/list", json={"campaign": "0a0a0a0a-0000-4000-8000-000000000000"})
    assert fake.violations == []
    unknown_filter = client.post("/leads/list", json={"campaign": campaign, "filter": "FILTER_NOT_A_THING"})

    assert len(unsourced) == 10
    assert all(lead["email"].endswith("@workspace.example.com") for lead in unsourced)
    assert {lead["campaign"] for lead in in_campaign} == {campaign}
    assert unknown_source.status_code == 404
    assert (unknown_filter.status_code, unknown_filter.json()["items"]) == (200, [])
    assert fake.violations == ["unknown lead filter 'FILTER_NOT_A_THING' matches no leads"]

"""Jobs started elsewhere in the fake Instantly (an import, an export, a type the spec does not list yet): they move
along like moves, answer in the spec's shapes, and an id Instantly never gave is a 404 in its error shape."""

from __future__ import annotations

import httpx

from simulators.instantly import FakeInstantly


def test_an_import_started_elsewhere_advances_per_observation_and_ends_with_its_counts(
    fake: FakeInstantly, client: httpx.Client
) -> None:
    job_id = fake.default_workspace.start_elsewhere("import-leads", total=80)

    seen = [client.get(f"/background-jobs/{job_id}").json() for _ in range(5)]

    assert [(job["status"], job["progress"]) for job in seen] == [
        ("in-progress", 25),
        ("in-progress", 50),
        ("in-progress", 75),
        ("success", 100),
        ("success", 100),
    ]
    assert seen[-1]["type"] == "import-leads"
    assert seen[-1]["data"] == {"success_count": 80, "failed_count": 0, "total_to_process": 80}
    assert fake.violations == []


def test_a_job_that_ended_before_anyone_asked_is_found_ended_with_the_time_it_began(
    fake: FakeInstantly, client: httpx.Client
) -> None:
    job_id = fake.default_workspace.start_elsewhere(
        "export-leads", total=5, ago=3600, ended=True, final_status="failed"
    )

    [job] = client.get("/background-jobs", params={"ids": job_id}).json()["items"]

    assert (job["status"], job["progress"], job["data"]["success_count"]) == ("failed", 75, 3)
    assert job["created_at"] < job["updated_at"]
    assert job["created_at"][:13] != job["updated_at"][:13], "it began an hour before it was seen"
    assert fake.violations == []


def test_a_type_instantly_added_since_passes_the_self_check_and_an_unknown_id_is_a_404(
    fake: FakeInstantly, client: httpx.Client
) -> None:
    job_id = fake.default_workspace.start_elsewhere("enrich-leads", ended=True)

    assert client.get(f"/background-jobs/{job_id}").json()["type"] == "enrich-leads"
    missing = client.get("/background-jobs/0123456789abcdef01234567")
    assert missing.status_code == 404
    assert missing.json() == {"statusCode": 404, "error": "Not Found", "message": "Background job not found"}
    assert fake.violations == []


def test_a_job_names_what_it_touches_and_who_started_it_or_no_one(fake: FakeInstantly, client: httpx.Client) -> None:
    jobs = fake.default_workspace
    named = jobs.start_elsewhere("import-leads", entity=("list", "l-1"), user_id="u-ann")
    by_api = jobs.start_elsewhere("export-leads", user_id=None)

    found = {
        job["id"]: job for job in client.get("/background-jobs", params={"ids": f"{named},{by_api}"}).json()["items"]
    }

    assert (found[named]["entity_type"], found[named]["entity_id"], found[named]["user_id"]) == ("list", "l-1", "u-ann")
    assert found[by_api]["user_id"] is None
    assert found[by_api]["entity_type"] == "workspace"
    assert fake.violations == []


def test_every_job_is_listed_newest_updated_first_and_paged(fake: FakeInstantly, client: httpx.Client) -> None:
    started = [fake.default_workspace.start_elsewhere("export-leads", ended=True) for _ in range(5)]
    params = {"sort_column": "updated_at", "sort_order": "desc", "limit": "3"}

    first = client.get("/background-jobs", params=params).json()
    second = client.get("/background-jobs", params={**params, "starting_after": first["next_starting_after"]}).json()

    listed = [job["id"] for job in first["items"] + second["items"]]
    assert listed == list(reversed(started))
    assert fake.violations == []

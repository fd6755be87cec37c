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

"""Many Instantly workspaces in one fake: each key reaches its own workspace only, keys come and go, and rate
limits and job ids behave as Instantly's do across workspaces."""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from simulators.instantly import FakeInstantly, InstantlyWorkspace
from tests.simulators.instantly.calls import KEY, client_for, move

OTHER_KEY = "instantly-globex-key"
UNAUTHORIZED = {"statusCode": 401, "error": "Unauthorized", "message": "Invalid API key"}


@dataclass
class Two:
    """The default workspace ("acme") and a second one ("globex"), with a client for each."""

    fake: FakeInstantly
    globex: InstantlyWorkspace
    acme_client: httpx.Client
    globex_client: httpx.Client


@pytest.fixture
def two(fake: FakeInstantly, client: httpx.Client, tls: ssl.SSLContext) -> Iterator[Two]:
    globex = fake.add_workspace(name="Globex", api_key=OTHER_KEY)
    with client_for(fake.base_url, OTHER_KEY, verify=tls) as globex_client:
        yield Two(fake, globex, client, globex_client)


def _names(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [item["name"] for item in answer.json()["items"]]


def test_each_key_sees_only_its_own_workspace(two: Two) -> None:
    fake, globex, acme, other = two.fake, two.globex, two.acme_client, two.globex_client
    acme_campaign = fake.add_campaign("Acme outbound", leads=7)
    globex_campaign = globex.add_campaign("Globex outbound", leads=9)
    acme_list, globex_list = fake.add_list("Acme list"), globex.add_list("Globex list")
    fake.add_member("ann@acme.example")
    globex.add_member("bob@globex.example")

    assert _names(acme.get("/campaigns", params={"search": "outbound"})) == ["Acme outbound"]
    assert _names(other.get("/campaigns", params={"search": "outbound"})) == ["Globex outbound"]
    assert _names(other.get("/lead-lists")) == ["Globex list"]
    assert [m["email"] for m in other.get("/workspace-members").json()["items"]] == ["bob@globex.example"]
    assert other.get(f"/campaigns/{acme_campaign}").status_code == 404
    assert other.get(f"/lead-lists/{acme_list}/verification-stats").status_code == 404
    analytics = other.get("/campaigns/analytics").json()
    assert [row["campaign_id"] for row in analytics] == [globex_campaign]
    assert other.post("/leads/list", json={"campaign": acme_campaign}).status_code == 404
    assert other.post("/leads/list", json={"list_id": globex_list, "limit": 1}).status_code == 200

    current = other.get("/workspaces/current").json()
    assert (current["id"], current["name"], current["owner"]) == (globex.workspace_id, "Globex", globex.owner_user_id)
    assert acme.get("/workspaces/current").json()["id"] == fake.workspace_id != globex.workspace_id
    assert fake.violations == []


def test_moves_and_jobs_stay_in_their_workspace(two: Two) -> None:
    fake, globex, acme, other = two.fake, two.globex, two.acme_client, two.globex_client
    acme_source, acme_destination = fake.add_campaign("Acme source"), fake.add_list("Acme destination")
    globex_source, globex_destination = globex.add_campaign("Globex source"), globex.add_list("Globex destination")

    acme_job = move(acme, campaign=acme_source, to_list_id=acme_destination)
    globex_job = move(other, campaign=globex_source, to_list_id=globex_destination, limit=3)
    # Another workspace's ids are unknown ids: answered as Instantly answers any id it has not got.
    into_acme = other.post("/leads/move", json={"campaign": globex_source, "to_list_id": acme_destination})
    out_of_acme = other.post("/leads/move", json={"campaign": acme_source, "to_list_id": globex_destination})

    assert (into_acme.status_code, into_acme.json()["message"]) == (404, "Destination campaign or list not found")
    assert (out_of_acme.status_code, out_of_acme.json()["message"]) == (404, "Source campaign or list not found")
    assert (acme_job["workspace_id"], acme_job["user_id"]) == (fake.workspace_id, fake.owner_user_id)
    assert (globex_job["workspace_id"], globex_job["user_id"]) == (globex.workspace_id, globex.owner_user_id)
    assert fake.job_ids() == [acme_job["id"]]
    assert globex.job_ids() == [globex_job["id"]]
    assert other.get(f"/background-jobs/{acme_job['id']}").status_code == 404
    both = ",".join((acme_job["id"], globex_job["id"]))
    assert [job["id"] for job in other.get("/background-jobs", params={"ids": both}).json()["items"]] == [
        globex_job["id"]
    ]
    assert [job["id"] for job in other.get("/background-jobs").json()["items"]] == [globex_job["id"]]
    # Polling from the wrong workspace did not move acme's job along.
    assert fake.job(acme_job["id"])["status"] == "pending"
    assert fake.move_bodies() == [{"campaign": acme_source, "to_list_id": acme_destination}]
    assert globex.move_bodies() == [{"campaign": globex_source, "to_list_id": globex_destination, "limit": 3}]
    assert fake.violations == []


def test_job_ids_are_object_ids_unique_across_workspaces_and_fakes(two: Two) -> None:
    fake, globex = two.fake, two.globex
    destinations = [(two.acme_client, fake.add_list("A")), (two.globex_client, globex.add_list("G"))]
    ids = [move(client, to_list_id=target)["id"] for _ in range(20) for client, target in destinations]
    with FakeInstantly() as another, client_for(another.base_url, another.api_key) as third:
        ids.append(move(third, to_list_id=another.add_list("T"))["id"])

    assert all(re.fullmatch(r"[0-9a-f]{24}", job_id) for job_id in ids)
    assert len(set(ids)) == len(ids) == 41


def test_requests_record_their_workspace_and_key(two: Two, tls: ssl.SSLContext) -> None:
    fake, globex = two.fake, two.globex
    two.acme_client.get("/campaigns")
    two.globex_client.get("/lead-lists")
    with client_for(fake.base_url, "never-issued", verify=tls) as stranger:
        stranger.get("/campaigns")

    assert [(r.path, r.workspace_id) for r in fake.requests] == [
        ("/api/v2/campaigns", fake.workspace_id),
        ("/api/v2/lead-lists", globex.workspace_id),
        ("/api/v2/campaigns", None),
    ]
    assert [r.path for r in fake.requests_with_key(OTHER_KEY)] == ["/api/v2/lead-lists"]
    assert [r.status for r in fake.requests_with_key("never-issued")] == [401]
    assert fake.requests[0].api_key == KEY


def test_another_key_reaches_the_same_workspace_until_it_is_revoked(two: Two, tls: ssl.SSLContext) -> None:
    fake, globex = two.fake, two.globex
    globex.add_campaign("Globex outbound")
    fake.add_key(workspace=globex, api_key="globex-second")
    fake.add_key(workspace=globex.workspace_id, api_key="globex-third")

    with client_for(fake.base_url, "globex-second", verify=tls) as second:
        assert _names(second.get("/campaigns")) == ["Globex outbound"]
        fake.revoke_key("globex-second")
        revoked = second.get("/campaigns")
    with client_for(fake.base_url, "globex-third", verify=tls) as third:
        assert third.get("/workspaces/current").json()["id"] == globex.workspace_id

    assert (revoked.status_code, revoked.json()) == (401, UNAUTHORIZED)
    assert two.globex_client.get("/campaigns").status_code == 200  # the workspace's other keys still work
    assert fake.violations == []  # a revoked or unknown key is the customer's doing, not a client bug


def test_revoking_the_default_key_locks_out_the_default_workspace(two: Two) -> None:
    two.fake.revoke_key(KEY)

    answer = two.acme_client.get("/workspaces/current")

    assert (answer.status_code, answer.json()) == (401, UNAUTHORIZED)
    assert two.fake.requests[-1].workspace_id is None
    assert two.globex_client.get("/workspaces/current").status_code == 200


def test_keys_and_workspaces_that_cannot_work_are_refused_up_front(two: Two) -> None:
    fake = two.fake
    with pytest.raises(ValueError, match="already in use"):
        fake.add_workspace(name="Clash", api_key=OTHER_KEY)
    with pytest.raises(ValueError, match="already in use"):
        fake.add_key(workspace=fake.default_workspace, api_key=OTHER_KEY)
    fake.revoke_key(OTHER_KEY)
    with pytest.raises(ValueError, match="revoked"):
        fake.add_key(workspace=two.globex, api_key=OTHER_KEY)
    with pytest.raises(KeyError):
        fake.revoke_key(OTHER_KEY)
    with pytest.raises(KeyError):
        fake.add_key(workspace="no-such-workspace", api_key="fresh")
    with pytest.raises(ValueError, match="already exists"):
        fake.add_workspace(name="Twin", api_key="twin-key", workspace_id=fake.workspace_id)
    with pytest.raises(ValueError, match="resource:action"):
        fake.add_workspace(name="Typo", api_key="typo-key", scopes=["leads-read"])
    assert fake.workspaces == [fake.default_workspace, two.globex]
    assert fake.workspace(two.globex.workspace_id) is two.globex


def test_faults_and_final_statuses_belong_to_one_workspace(two: Two) -> None:
    fake, globex = two.fake, two.globex
    globex.fail_next("GET", "/api/v2/campaigns", status=503)
    globex.final_status = "failed"
    acme_job = move(two.acme_client, to_list_id=fake.add_list("A"))
    globex_job = move(two.globex_client, to_list_id=globex.add_list("G"))

    assert two.acme_client.get("/campaigns").status_code == 200
    assert two.globex_client.get("/campaigns").status_code == 503
    for _ in range(4):
        two.acme_client.get(f"/background-jobs/{acme_job['id']}")
        two.globex_client.get(f"/background-jobs/{globex_job['id']}")
    assert (fake.job(acme_job["id"])["status"], globex.job(globex_job["id"])["status"]) == ("success", "failed")
    assert fake.final_status == "success"


def test_rate_limits_are_counted_per_workspace(tls: ssl.SSLContext) -> None:
    with FakeInstantly(api_key=KEY, rate_limits=((60.0, 2),)) as fake:
        inherits = fake.add_workspace(name="Inherits", api_key="inherits")
        own = fake.add_workspace(name="Own", api_key="own", rate_limits=((60.0, 3),))
        free = fake.add_workspace(name="Free", api_key="free", rate_limits=())
        statuses: dict[str, list[int]] = {}
        for key in (KEY, "inherits", "own", "free"):
            with client_for(fake.base_url, key, verify=tls) as client:
                statuses[key] = [client.get("/lead-labels").status_code for _ in range(5)]

        assert statuses == {
            KEY: [200, 200, 429, 429, 429],
            "inherits": [200, 200, 429, 429, 429],
            "own": [200, 200, 200, 429, 429],
            "free": [200] * 5,
        }
        assert fake.rate_limited == 8
        assert fake.rate_limited_by_workspace == {
            fake.workspace_id: 3,
            inherits.workspace_id: 3,
            own.workspace_id: 2,
            free.workspace_id: 0,
        }
        assert fake.violations == []


def test_many_workspaces_answer_quickly_without_recording(tls: ssl.SSLContext) -> None:
    """The benchmark's shape in small: many workspaces, record_requests=False, every poll by ids."""
    with FakeInstantly(record_requests=False, rate_limits=((1.0, 100), (60.0, 6000))) as fake:
        started = time.monotonic()
        for n in range(10):
            workspace = fake.add_workspace(name=f"W{n}", api_key=f"key-{n}")
            with client_for(fake.base_url, f"key-{n}", verify=tls) as client:
                ids = [move(client, to_list_id=workspace.add_list("L"))["id"] for _ in range(5)]
                answer = client.get("/background-jobs", params={"ids": ",".join(ids), "limit": 100})
                assert sorted(job["id"] for job in answer.json()["items"]) == sorted(ids)

        assert time.monotonic() - started < 5
        assert (fake.requests, fake.request_count, fake.rate_limited) == ([], 60, 0)
        assert fake.violations == []


def test_job_times_cover_one_workspace_or_all(two: Two) -> None:
    acme_job = move(two.acme_client, to_list_id=two.fake.add_list("A"))
    globex_job = move(two.globex_client, to_list_id=two.globex.add_list("G"))

    assert set(two.fake.job_times()) == {acme_job["id"]}
    assert set(two.globex.job_times()) == {globex_job["id"]}
    assert set(two.fake.all_job_times()) == {acme_job["id"], globex_job["id"]}

"""The real app wired to both fakes (what the demo and the end-to-end tests run), and the demo workspace seed."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from app.local_stack import local_stack, seed
from handlers import ids
from simulators.instantly import FakeInstantly


def _loop_threads() -> int:
    return sum(thread.name in ("leadmover-poller", "leadmover-writer") for thread in threading.enumerate())


def test_seed_fills_the_fake_instantly_with_a_small_acme_workspace() -> None:
    with FakeInstantly() as instantly:
        workspace = seed(instantly)
        headers = {"User-Agent": "leadmover-tests", "Authorization": f"Bearer {instantly.api_key}"}
        with httpx.Client(base_url=instantly.base_url, headers=headers, timeout=5) as client:
            campaigns = client.get("/campaigns", params={"search": "acme"}).json()["items"]
            lists = client.get("/lead-lists", params={"search": "acme"}).json()["items"]
            counts = {row["campaign_name"]: row["leads_count"] for row in client.get("/campaigns/analytics").json()}
            members = client.get("/workspace-members", params={"search": "ann"}).json()["items"]
            warm = workspace.lists["Acme warm leads"]
            warm_leads = client.get(f"/lead-lists/{warm}/verification-stats").json()["total_leads"]

    assert {c["name"]: c["id"] for c in campaigns} == {
        name: workspace.campaigns[name] for name in ("Acme Q1 outbound", "Acme enterprise")
    }
    assert [item["id"] for item in lists] == [warm]
    assert set(workspace.lists) == {"Acme warm leads", "Initech prospects", "Trade show 2026"}
    assert counts == {"Acme Q1 outbound": 1250, "Acme enterprise": 310, "Globex renewals": 480}
    assert warm_leads == 900
    assert [(m["email"], m["name"]) for m in members] == [("ann@example.com", {"first": "Ann", "last": "Lee"})]
    assert instantly.violations == []


def test_local_stack_serves_the_real_app_over_http_on_both_fakes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The host's real settings must never point a demo at real Slack or Instantly.
    monkeypatch.setenv("SLACK_API_URL", "https://slack.com/api/")
    monkeypatch.setenv("INSTANTLY_API_KEY", "a-real-looking-key")
    before = _loop_threads()

    with local_stack(database_url=f"sqlite:///{tmp_path / 'stack.db'}", poll_interval_seconds=0.5) as stack:
        settings = stack.settings
        assert (settings.slack_api_url, settings.instantly_api_url) == (stack.slack.api_url, stack.instantly.base_url)
        assert settings.instantly_api_key is not None
        assert settings.instantly_api_key.get_secret_value() == stack.instantly.api_key
        assert settings.poll_interval_seconds == 0.5  # overrides reach the settings
        assert _loop_threads() == before + 2
        seed(stack.instantly)

        answer = stack.slack.send_command(stack.app_url, text="move")
        assert answer.status == 200
        assert stack.slack.wait_for(lambda: bool(stack.slack.opened_views()), timeout=5)
        [view] = stack.slack.opened_views()
        suggested = stack.slack.load_options(stack.app_url, view_id=view["id"], action_id=ids.SOURCE, value="acme")
        labels = [o["text"]["text"] for g in suggested.json()["option_groups"] for o in g["options"]]

        assert view["callback_id"] == ids.MOVE_MODAL
        assert any("Acme Q1 outbound" in label for label in labels), labels
        assert any(request.path == "/api/v2/campaigns" for request in stack.instantly.requests)
        assert stack.slack.violations == stack.instantly.violations == []
        app_url = stack.app_url

    assert _loop_threads() == before
    with pytest.raises(RuntimeError):
        _ = stack.slack.base_url  # both fakes are stopped
    with pytest.raises(httpx.TransportError):
        httpx.post(app_url, content=b"", timeout=2)


def test_local_stack_in_socket_mode_connects_the_app_and_can_leave_the_loops_off(tmp_path: Path) -> None:
    before = _loop_threads()

    with local_stack(database_url=f"sqlite:///{tmp_path / 'stack.db'}", socket_mode=True, start_loops=False) as stack:
        assert stack.server is None
        with pytest.raises(AssertionError, match="Socket Mode"):
            _ = stack.app_url
        assert _loop_threads() == before
        assert stack.slack.wait_for_socket(timeout=5)
        answer = stack.slack.socket_send_command(text="help")

        assert answer.status == 200
        assert stack.slack.violations == []

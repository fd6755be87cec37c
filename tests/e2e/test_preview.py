"""The move modal's preview over signed HTTP: picking a source or changing a filter sends block_actions, and the
app answers with views.update showing the source's lead count and a few leads; a move of every lead is confirmed
before anything reaches Instantly's move endpoint."""

from __future__ import annotations

import time
from typing import Any

import pytest
from slack_sdk import WebClient

from app.local_stack import DemoWorkspace, LocalStack
from handlers import ids
from tests.e2e.flows import choose, confirmation, open_modal, pick, preview_shows, preview_text, show_more_filters


def _requests(stack: LocalStack, method: str, path: str) -> list[Any]:
    return [r for r in stack.instantly.requests if (r.method, r.path) == (method, path)]


def _source_picked(stack: LocalStack, name: str, query: str = "acme") -> dict[str, Any]:
    view = open_modal(stack)
    assert "Pick where the leads come from" in preview_text(stack, view["id"])
    choose(stack, view, ids.SOURCE, pick(stack, view, ids.SOURCE, query, name))
    return view


def test_picking_a_campaign_shows_its_lead_count_and_five_of_its_leads(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    campaign = workspace.campaigns["Acme Q1 outbound"]
    view = _source_picked(stack, "Acme Q1 outbound")
    assert preview_shows(stack, view["id"], "1,250 leads")
    text = preview_text(stack, view["id"])
    assert "campaign *Acme Q1 outbound* holds 1,250 leads" in text
    assert [line for line in text.splitlines() if line.startswith("• ")] == [
        f"• lead{n}@{campaign[:8]}.example.com" for n in range(1, 6)
    ]
    [analytics] = _requests(stack, "GET", "/api/v2/campaigns/analytics")
    assert analytics.query == {"id": campaign}
    [listing] = _requests(stack, "POST", "/api/v2/leads/list")
    assert listing.body == {"campaign": campaign, "limit": 5}
    # The update kept the pick: shown as chosen, and still what the form holds.
    updated = stack.slack.view(view["id"])
    source = next(b for b in updated["blocks"] if b.get("block_id") == ids.SOURCE)
    assert source["element"]["initial_option"]["value"] == f"campaign:{campaign}"
    assert updated["state"]["values"][ids.SOURCE][ids.SOURCE]["selected_option"]["value"] == f"campaign:{campaign}"
    assert stack.instantly.move_bodies() == []


def test_picking_a_list_shows_its_total_leads(stack: LocalStack, workspace: DemoWorkspace) -> None:
    warm = workspace.lists["Acme warm leads"]
    view = _source_picked(stack, "Acme warm leads")
    assert preview_shows(stack, view["id"], "list *Acme warm leads* holds 900 leads")
    [stats] = _requests(stack, "GET", f"/api/v2/lead-lists/{warm}/verification-stats")
    assert stats.status == 200
    [listing] = _requests(stack, "POST", "/api/v2/leads/list")
    assert listing.body == {"list_id": warm, "limit": 5}


def test_the_sample_follows_the_filters_and_the_form_keeps_what_was_entered(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    campaign = workspace.campaigns["Acme Q1 outbound"]
    view = _source_picked(stack, "Acme Q1 outbound")
    assert preview_shows(stack, view["id"], "lead5@")
    choose(stack, view, ids.SEARCH, "lead7")
    assert preview_shows(stack, view["id"], "your filters take")
    emails = [line[2:] for line in preview_text(stack, view["id"]).splitlines() if line.startswith("• ")]
    assert emails == [f"lead{n}@{campaign[:8]}.example.com" for n in (7, 70, 71, 72, 73)]
    samples = [r for r in _requests(stack, "POST", "/api/v2/leads/list") if r.body.get("limit") == 5]
    assert samples[-1].body == {
        "campaign": campaign,
        "search": "lead7",
        "limit": 5,
    }
    # A status that matches nothing here, and an email provider the sample cannot apply: both said.
    show_more_filters(stack, view)
    choose(stack, view, ids.ESP_CODE, "1")
    assert preview_shows(stack, view["id"], "leaves out the email provider filter")
    # Everything entered is still there: submitted as is, it makes exactly that move, without a confirmation.
    destination = pick(stack, view, ids.DESTINATION, "warm", "Acme warm leads")
    response = stack.slack.submit_view(stack.app_url, view_id=view["id"], values={ids.DESTINATION: destination})
    assert response.json()["response_action"] == "update"
    assert stack.slack.wait_for(lambda: len(stack.instantly.move_bodies()) == 1, timeout=10)
    assert stack.instantly.move_bodies() == [
        {
            "campaign": campaign,
            "to_list_id": workspace.lists["Acme warm leads"],
            "copy_leads": False,
            "search": "lead7",
            "esp_code": 1,
        }
    ]


def test_when_instantly_fails_the_preview_says_so_and_the_form_still_works(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    stack.instantly.fail_next("GET", "/api/v2/campaigns/analytics", status=401, message="Invalid API key")
    stack.instantly.fail_next("POST", "/api/v2/leads/list", status=401, message="Invalid API key")
    view = _source_picked(stack, "Acme enterprise")
    assert preview_shows(stack, view["id"], "Instantly rejected leadmover's API key")
    assert "The form still works" in preview_text(stack, view["id"])
    # A filter is set: the sample and the first page of the filters' count both fail.
    stack.instantly.fail_next("POST", "/api/v2/leads/list", status=503, times=2)
    choose(stack, view, ids.SEARCH, "lead1")
    assert preview_shows(stack, view["id"], "Instantly had a problem on its side")
    assert "holds 310 leads" in preview_text(stack, view["id"]), "the count came back, the sample did not"

    destination = pick(stack, view, ids.DESTINATION, "trade", "Trade show 2026")
    response = stack.slack.submit_view(
        stack.app_url, view_id=view["id"], values={ids.DESTINATION: destination, ids.LIMIT: "20"}
    )
    assert response.json()["response_action"] == "update"
    assert stack.slack.wait_for(lambda: len(stack.instantly.move_bodies()) == 1, timeout=10)
    assert stack.instantly.move_bodies()[0]["limit"] == 20


def test_a_preview_for_a_form_changed_meanwhile_is_dropped_quietly(stack: LocalStack, workspace: DemoWorkspace) -> None:
    stack.instantly.delay["/api/v2/campaigns/analytics"] = 1.0
    view = open_modal(stack)
    chosen = pick(stack, view, ids.SOURCE, "globex", "Globex renewals")
    choose(stack, view, ids.SOURCE, chosen)
    # While Instantly is slow, the form changes (here: another update): the preview's hash is now stale.
    current = stack.slack.view(view["id"])
    client = WebClient(token=stack.slack.bot_token, base_url=stack.slack.api_url)
    kept = {k: current[k] for k in ("type", "callback_id", "blocks", "submit", "close", "private_metadata")}
    client.views_update(
        view_id=view["id"], hash=current["hash"], view={**kept, "title": {"type": "plain_text", "text": "Changed"}}
    )
    assert stack.slack.wait_for(lambda: len(stack.slack.calls_to("views.update")) == 2, timeout=5)
    time.sleep(0.3)
    assert stack.slack.view(view["id"])["title"]["text"] == "Changed"
    assert "Pick where the leads come from" in preview_text(stack, view["id"])
    # The next action carries the new hash, and its preview lands.
    stack.instantly.delay.clear()
    choose(stack, view, ids.FILTER, "FILTER_VAL_CONTACTED")
    assert preview_shows(stack, view["id"], "480 leads")
    assert stack.slack.view(view["id"])["title"]["text"] == "Changed"


def _everything(stack: LocalStack) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Pick a source and a destination and press Start with no limit and no filter: (the form, what was entered,
    the confirmation)."""
    view = open_modal(stack)
    values = {
        ids.SOURCE: pick(stack, view, ids.SOURCE, "acme", "Acme Q1 outbound"),
        ids.DESTINATION: pick(stack, view, ids.DESTINATION, "initech", "Initech prospects"),
    }
    response = stack.slack.submit_view(stack.app_url, view_id=view["id"], values=values)
    assert response.elapsed < 3
    assert response.json()["response_action"] == "push"
    pushed = confirmation(stack, response, view["id"])
    assert pushed is not None
    return view, values, pushed


def test_a_move_of_every_lead_is_confirmed_first_and_starts_once(stack: LocalStack, workspace: DemoWorkspace) -> None:
    _view, _values, pushed = _everything(stack)
    text = pushed["blocks"][0]["text"]["text"]
    assert "Every lead in the campaign *Acme Q1 outbound* \u2014 1,250 leads \u2014 will be moved" in text
    assert "to the list *Initech prospects*" in text
    assert pushed["title"]["text"] == "Move every lead?"
    assert (pushed["submit"]["text"], pushed["close"]["text"]) == ("Move them all", "Back")
    time.sleep(0.3)
    assert stack.instantly.move_bodies() == []
    assert _requests(stack, "POST", "/api/v2/leads/move") == []

    confirmed = stack.slack.submit_view(stack.app_url, view_id=pushed["id"], values={})
    assert confirmed.json()["response_action"] == "update"
    assert "Asking Instantly to start the job" in str(confirmed.json()["view"])
    # Slack delivers the confirmation again (a retry after a slow answer): the same answer, nothing new.
    again = stack.slack.redeliver_last(stack.app_url)
    assert again.json()["response_action"] == "update"
    assert stack.slack.wait_for(lambda: len(stack.instantly.move_bodies()) == 1, timeout=10)
    time.sleep(0.5)
    assert stack.instantly.move_bodies() == [
        {
            "campaign": workspace.campaigns["Acme Q1 outbound"],
            "to_list_id": workspace.lists["Initech prospects"],
            "copy_leads": False,
        }
    ]
    assert stack.slack.wait_for(lambda: "started job" in str(stack.slack.view(pushed["id"])), timeout=5)
    [record] = stack.services.moves.recent_jobs(team_id=stack.slack.team_id, user_id=None, limit=5)
    assert record.channel_id == "C0SALES"


def test_the_confirmation_reuses_the_previews_count(stack: LocalStack, workspace: DemoWorkspace) -> None:
    view = _source_picked(stack, "Acme enterprise")
    assert preview_shows(stack, view["id"], "310 leads")
    destination = pick(stack, view, ids.DESTINATION, "trade", "Trade show 2026")
    stack.instantly.fail_next("GET", "/api/v2/campaigns/analytics", status=503, times=3)
    response = stack.slack.submit_view(stack.app_url, view_id=view["id"], values={ids.DESTINATION: destination})
    pushed = confirmation(stack, response, view["id"])
    assert pushed is not None
    assert "\u2014 310 leads \u2014" in pushed["blocks"][0]["text"]["text"]
    assert len(_requests(stack, "GET", "/api/v2/campaigns/analytics")) == 1


def test_an_unknown_count_is_said_in_the_confirmation(stack: LocalStack, workspace: DemoWorkspace) -> None:
    stack.instantly.fail_next("GET", "/api/v2/campaigns/analytics", status=503)
    _view, _values, pushed = _everything(stack)
    text = pushed["blocks"][0]["text"]["text"]
    assert "Every lead in the campaign *Acme Q1 outbound* will be moved" in text
    assert "Instantly did not say how many leads that is" in text


def test_back_from_the_confirmation_moves_nothing_and_the_form_is_as_it_was(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    view, values, pushed = _everything(stack)
    stack.slack.close_view(pushed["id"])
    time.sleep(0.3)
    assert stack.instantly.move_bodies() == []
    with pytest.raises(ValueError, match="closed"):
        stack.slack.submit_view(stack.app_url, view_id=pushed["id"], values={})
    # Back on the form: with a limit it goes straight through.
    response = stack.slack.submit_view(stack.app_url, view_id=view["id"], values={**values, ids.LIMIT: "40"})
    assert response.json()["response_action"] == "update"
    assert stack.slack.wait_for(lambda: len(stack.instantly.move_bodies()) == 1, timeout=10)
    assert stack.instantly.move_bodies()[0]["limit"] == 40
    assert stack.instantly.move_bodies()[0]["campaign"] == workspace.campaigns["Acme Q1 outbound"]


def test_two_quick_changes_end_with_the_preview_of_the_last_even_when_the_first_lands_first(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    # Slack changes the hash only on an update, so both actions carry the same one; the first answer (the campaign,
    # quick) lands first, and the second (the list, slow) must still replace it rather than be dropped.
    stack.instantly.delay["/api/v2/campaigns/analytics"] = 0.3
    stack.instantly.delay["/api/v2/lead-lists/"] = 1.0
    view = open_modal(stack)
    campaign = pick(stack, view, ids.SOURCE, "globex", "Globex renewals")
    warm = pick(stack, view, ids.SOURCE, "warm", "Acme warm leads")
    choose(stack, view, ids.SOURCE, campaign)
    choose(stack, view, ids.SOURCE, warm)
    assert preview_shows(stack, view["id"], "list *Acme warm leads* holds 900 leads")
    time.sleep(0.5)
    assert "Acme warm leads" in preview_text(stack, view["id"])
    assert stack.slack.view(view["id"])["state"]["values"][ids.SOURCE][ids.SOURCE]["selected_option"] == warm


def test_someone_denied_after_opening_the_form_sees_no_leads_in_the_preview(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    admin = "U0ADMIN"
    stack.slack.add_user(admin, is_admin=True)
    view = open_modal(stack)
    chosen = pick(stack, view, ids.SOURCE, "acme", "Acme Q1 outbound")
    stack.slack.send_command(stack.app_url, text=f"deny {stack.slack.mention('U0ALICE')}", user_id=admin)
    assert stack.slack.wait_for(lambda: bool(stack.slack.responses), timeout=5)
    choose(stack, view, ids.SOURCE, chosen)
    assert preview_shows(stack, view["id"], ":no_entry:")
    assert "example.com" not in preview_text(stack, view["id"]), "no lead's e-mail"
    assert _requests(stack, "POST", "/api/v2/leads/list") == []
    assert _requests(stack, "GET", "/api/v2/campaigns/analytics") == []


def test_a_slow_preview_of_an_older_change_never_overwrites_a_newer_one(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    stack.instantly.delay["/api/v2/lead-lists/"] = 1.0
    stack.instantly.delay["/api/v2/campaigns/analytics"] = 0.2
    view = open_modal(stack)
    warm = pick(stack, view, ids.SOURCE, "warm", "Acme warm leads")
    campaign = pick(stack, view, ids.SOURCE, "globex", "Globex renewals")
    choose(stack, view, ids.SOURCE, warm)  # older, and slow
    choose(stack, view, ids.SOURCE, campaign)  # newer, and quick
    assert preview_shows(stack, view["id"], "campaign *Globex renewals* holds 480 leads")
    time.sleep(1.5)  # the list's preview has come back by now, and was dropped
    assert "Globex renewals" in preview_text(stack, view["id"])

"""Modals in the fake Slack: trigger ids, views.open and views.update, and the view store behind them."""

from __future__ import annotations

import time
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from simulators.slack import FakeSlack
from tests.simulators.slack.samples import MODAL, pt


def test_trigger_id_expires_and_is_single_use() -> None:
    with FakeSlack(trigger_ttl=0.2) as fake:
        client = WebClient(token=fake.bot_token, base_url=fake.api_url)
        fresh = fake.issue_trigger_id()
        assert client.views_open(trigger_id=fresh, view=MODAL)["view"]["id"].startswith("V")
        with pytest.raises(SlackApiError) as err:
            client.views_open(trigger_id=fresh, view=MODAL)
        assert err.value.response["error"] == "exchanged_trigger_id"
        stale = fake.issue_trigger_id()
        time.sleep(0.25)
        with pytest.raises(SlackApiError) as err:
            client.views_open(trigger_id=stale, view=MODAL)
        assert err.value.response["error"] == "expired_trigger_id"
        assert any("too slow" in v for v in fake.violations)


def test_views_update_replaces_the_stored_view_and_checks_hash(fake: FakeSlack, client: WebClient) -> None:
    opened = client.views_open(trigger_id=fake.issue_trigger_id(), view=MODAL)["view"]
    updated = client.views_update(view_id=opened["id"], view={**MODAL, "title": pt("Moving…")}, hash=opened["hash"])
    assert updated["view"]["id"] == opened["id"]
    assert fake.view(opened["id"])["title"] == pt("Moving…")
    with pytest.raises(SlackApiError) as err:
        client.views_update(view_id=opened["id"], view=MODAL, hash=opened["hash"])
    assert err.value.response["error"] == "hash_conflict"
    assert fake.violations == []


def test_modal_title_too_long_is_rejected(fake: FakeSlack, client: WebClient) -> None:
    view = {**MODAL, "title": pt("Move leads between campaigns")}
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id=fake.issue_trigger_id(), view=view)
    assert err.value.response["error"] == "invalid_arguments"
    assert "json-pointer:/view/title/text" in err.value.response["response_metadata"]["messages"][0]
    assert fake.violations
    assert fake.opened_views() == []


def test_a_trigger_id_slack_never_issued_is_refused(fake: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id="12345.98765.abcd", view=MODAL)
    assert err.value.response["error"] == "invalid_trigger_id"
    assert fake.violations == ["views.open: trigger_id '12345.98765.abcd' was never issued"]


def test_a_refused_view_leaves_the_trigger_unused(fake: FakeSlack, client: WebClient) -> None:
    trigger = fake.issue_trigger_id()
    with pytest.raises(SlackApiError):
        client.views_open(trigger_id=trigger, view={**MODAL, "type": "home"})
    opened = client.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert fake.view_opened_by(trigger) == opened


def test_opened_views_are_stored_as_slack_echoes_them(fake: FakeSlack, client: WebClient) -> None:
    bare: dict[str, Any] = {
        "type": "modal",
        "title": pt("Pick"),
        "close": pt("Close"),
        "blocks": [{"type": "actions", "elements": [{"type": "button", "text": pt("Go")}]}],
    }
    first = client.views_open(trigger_id=fake.issue_trigger_id(), view=MODAL)["view"]
    second = client.views_open(trigger_id=fake.issue_trigger_id(), view=bare)["view"]

    assert first["id"] != second["id"]
    assert (first["team_id"], first["app_id"], first["bot_id"]) == (fake.team_id, fake.app_id, fake.bot_id)
    assert (first["root_view_id"], first["previous_view_id"]) == (first["id"], None)
    assert (first["private_metadata"], first["callback_id"]) == ("ctx-1", "move_leads")
    assert first["state"] == {"values": {}}
    [block] = second["blocks"]
    assert block["block_id"]  # Slack names what the app left unnamed
    assert block["elements"][0]["action_id"]
    assert (second["callback_id"], second["private_metadata"], second["submit"]) == ("", "", None)
    assert [view["id"] for view in fake.opened_views()] == [first["id"], second["id"]]
    assert fake.view(second["id"]) == second


def test_views_update_keeps_ids_and_gives_a_new_hash(fake: FakeSlack, client: WebClient) -> None:
    opened = client.views_open(trigger_id=fake.issue_trigger_id(), view={**MODAL, "external_id": "move-1"})["view"]

    updated = client.views_update(external_id="move-1", view={**MODAL, "title": pt("Moving…")})["view"]
    again = client.views_update(view_id=opened["id"], view=MODAL, hash=updated["hash"])["view"]

    assert (updated["id"], updated["root_view_id"]) == (opened["id"], opened["id"])
    assert updated["hash"] != opened["hash"]
    assert again["title"] == MODAL["title"]
    assert fake.opened_views() == [again]  # the store holds the latest version
    assert fake.violations == []


def test_views_update_of_a_view_that_does_not_exist(fake: FakeSlack, client: WebClient) -> None:
    for target in ({"view_id": "V0NOPE"}, {"external_id": "never-used"}):
        with pytest.raises(SlackApiError) as err:
            client.views_update(view=MODAL, **target)
        assert err.value.response["error"] == "not_found"
    assert fake.violations == ["views.update: no view 'V0NOPE'", "views.update: no view 'never-used'"]

"""Inputs that dispatch block_actions in a modal: the payload in Slack's shape, what a person entered kept across
views.update, a fresh hash on every update, a stale one refused, and dispatch where Slack allows none refused."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from simulators.slack import FakeSlack
from simulators.slack.blockkit import check_view
from tests.simulators.slack.buttons_app import ButtonsApp
from tests.simulators.slack.samples import pt

COLORS = [{"text": pt("Red"), "value": "red"}, {"text": pt("Blue"), "value": "blue"}]


def _form(*, note: str = "first") -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "form",
        "title": pt("Form"),
        "submit": pt("Go"),
        "blocks": [
            {"type": "section", "block_id": "note", "text": {"type": "mrkdwn", "text": note}},
            {
                "type": "input",
                "block_id": "color",
                "dispatch_action": True,
                "label": pt("Color"),
                "element": {"type": "static_select", "action_id": "color", "placeholder": pt("Any"), "options": COLORS},
            },
            {
                "type": "input",
                "block_id": "words",
                "dispatch_action": True,
                "label": pt("Words"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "words",
                    "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]},
                },
            },
            {
                "type": "input",
                "block_id": "quiet",
                "label": pt("Quiet"),
                "element": {"type": "plain_text_input", "action_id": "quiet"},
                "optional": True,
            },
        ],
    }


def _open(fake: FakeSlack, client: WebClient) -> dict[str, Any]:
    return dict(client.views_open(trigger_id=fake.issue_trigger_id(), view=_form())["view"])


def test_picking_in_a_dispatching_select_is_a_block_actions_with_the_option(
    fake: FakeSlack, buttons: ButtonsApp
) -> None:
    view = _open(fake, buttons.client)
    assert (
        fake.click_in_view(buttons.url, view_id=view["id"], action_id="color", values={"color": "blue"}).status == 200
    )
    [body] = buttons.actions
    [action] = body["actions"]
    assert {k: v for k, v in action.items() if k != "action_ts"} == {
        "type": "static_select",
        "block_id": "color",
        "action_id": "color",
        "selected_option": COLORS[1],
        "placeholder": pt("Any"),
    }
    assert float(action["action_ts"]) > 0
    assert body["container"] == {"type": "view", "view_id": view["id"]}
    assert body["view"]["hash"] == view["hash"]
    assert body["view"]["state"]["values"]["color"]["color"]["selected_option"] == COLORS[1]
    assert "response_url" not in body


def test_enter_in_a_text_input_sends_its_value(fake: FakeSlack, buttons: ButtonsApp) -> None:
    view = _open(fake, buttons.client)
    fake.click_in_view(buttons.url, view_id=view["id"], action_id="words", values={"words": "hello"})
    [action] = buttons.actions[0]["actions"]
    assert {k: v for k, v in action.items() if k != "action_ts"} == {
        "type": "plain_text_input",
        "block_id": "words",
        "action_id": "words",
        "value": "hello",
    }


def test_an_input_without_dispatch_action_sends_nothing(fake: FakeSlack, buttons: ButtonsApp) -> None:
    view = _open(fake, buttons.client)
    with pytest.raises(ValueError, match="no dispatch_action"):
        fake.click_in_view(buttons.url, view_id=view["id"], action_id="quiet", values={"quiet": "x"})
    assert buttons.actions == []


def test_what_was_entered_survives_an_update_that_keeps_the_ids_and_a_stale_hash_is_refused(
    fake: FakeSlack, buttons: ButtonsApp
) -> None:
    client = buttons.client
    view = _open(fake, client)
    fake.click_in_view(buttons.url, view_id=view["id"], action_id="color", values={"color": "red", "quiet": "q"})
    first = client.views_update(view_id=view["id"], hash=view["hash"], view=_form(note="second"))["view"]
    assert first["hash"] != view["hash"]
    assert first["state"]["values"]["color"]["color"]["selected_option"] == COLORS[0]
    with pytest.raises(SlackApiError) as refused:
        client.views_update(view_id=view["id"], hash=view["hash"], view=_form(note="stale"))
    assert refused.value.response["error"] == "hash_conflict"
    # An input whose block_id changes starts empty again; the others keep what was entered.
    renamed = _form(note="third")
    renamed["blocks"][1]["block_id"] = "color2"
    client.views_update(view_id=view["id"], hash=first["hash"], view=renamed)
    fake.click_in_view(buttons.url, view_id=view["id"], action_id="words", values={"words": "w"})
    state = buttons.actions[-1]["view"]["state"]["values"]
    assert state["color2"]["color"]["selected_option"] is None
    assert state["quiet"]["quiet"]["value"] == "q"
    assert state["words"]["words"]["value"] == "w"
    assert fake.view(view["id"])["blocks"][0]["text"]["text"] == "third"


def test_dispatch_where_slack_allows_none_is_refused() -> None:
    form = _form()
    form["blocks"][1]["element"]["dispatch_action_config"] = {"trigger_actions_on": ["on_enter_pressed"]}
    assert any("dispatch_action_config" in e and "static_select" in e for e in check_view(form))
    form = _form()
    form["blocks"][2]["element"]["dispatch_action_config"] = {"trigger_actions_on": ["on_blur"]}
    assert any("trigger_actions_on" in e for e in check_view(form))
    form = _form()
    form["blocks"][3] = {
        "type": "input",
        "block_id": "file",
        "dispatch_action": True,
        "label": pt("File"),
        "element": {"type": "file_input", "action_id": "file"},
    }
    assert any("file_input cannot dispatch" in e for e in check_view(form))
    form = _form()
    form["blocks"][0]["dispatch_action"] = True
    assert any("only allowed on input blocks" in e for e in check_view(form))
    assert check_view(_form()) == []

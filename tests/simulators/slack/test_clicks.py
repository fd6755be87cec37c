"""A person clicking buttons the app posted, in messages and modals: Slack's block_actions payload over signed HTTP
or Socket Mode, and the clicks the fake refuses as test mistakes."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient

from simulators.loopback import LoopbackServer, Reply, Request
from simulators.slack import FakeSlack
from tests.simulators.slack.buttons_app import APPROVAL, CONFIRM, ButtonsApp
from tests.simulators.slack.samples import pt


def test_a_click_is_slacks_block_actions_payload(fake: FakeSlack, buttons: ButtonsApp) -> None:
    ts = buttons.post_approval()

    answer = fake.click(buttons.url, channel="C0SALES", ts=ts, action_id="approve", user_id="U0BOB")

    assert (answer.status, answer.body) == (200, "")
    [body] = buttons.actions
    assert list(body) == [
        "type",
        "user",
        "api_app_id",
        "token",
        "container",
        "trigger_id",
        "team",
        "enterprise",
        "is_enterprise_install",
        "channel",
        "message",
        "state",
        "response_url",
        "actions",
    ]
    assert body["type"] == "block_actions"
    assert body["user"] == {"id": "U0BOB", "username": "bob", "name": "bob", "team_id": fake.team_id}
    assert (body["api_app_id"], body["token"]) == (fake.app_id, "fake-verification-token")
    assert body["container"] == {"type": "message", "message_ts": ts, "channel_id": "C0SALES", "is_ephemeral": False}
    assert body["team"] == {"id": fake.team_id, "domain": "leadmover-test"}
    assert (body["enterprise"], body["is_enterprise_install"]) == (None, False)
    assert body["channel"] == {"id": "C0SALES", "name": "sales"}
    assert body["state"] == {"values": {}}
    message = body["message"]
    assert (message["type"], message["ts"], message["text"], message["user"]) == (
        "message",
        ts,
        "Move 10 leads?",
        fake.bot_user_id,
    )
    assert message["blocks"][1] == APPROVAL[1]
    assert body["response_url"].startswith(f"{fake.base_url}/response/")
    [action] = body["actions"]
    assert {k: v for k, v in action.items() if k != "action_ts"} == {
        "action_id": "approve",
        "block_id": "decide",
        "text": {"type": "plain_text", "text": "Approve", "emoji": True},
        "value": "req-1",
        "style": "primary",
        "confirm": CONFIRM,
        "type": "button",
    }
    assert float(action["action_ts"]) > float(ts)
    [click] = fake.clicks
    assert (click.user_id, click.action_id, click.block_id, click.value) == ("U0BOB", "approve", "decide", "req-1")
    assert (click.trigger_id, click.response_url, click.payload) == (body["trigger_id"], body["response_url"], body)
    assert fake.violations == []


def test_slack_names_blocks_and_buttons_that_came_without_ids(fake: FakeSlack, buttons: ButtonsApp) -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "actions", "elements": [{"type": "button", "text": pt("Go")}]},
        {"type": "divider"},
    ]
    ts = buttons.client.chat_postMessage(channel="C0SALES", text="go", blocks=blocks)["ts"]
    [stored] = fake.messages("C0SALES")
    actions, divider = stored.blocks
    assert divider == {"type": "divider"}  # blocks without elements stay as sent
    block_id, action_id = actions["block_id"], actions["elements"][0]["action_id"]

    fake.click(buttons.url, channel="C0SALES", ts=ts, action_id=action_id)

    [action] = buttons.actions[0]["actions"]
    assert (action["block_id"], action["action_id"]) == (block_id, action_id)
    assert "value" not in action
    assert "style" not in action


def test_clicks_that_cannot_happen_are_test_mistakes(fake: FakeSlack, buttons: ButtonsApp) -> None:
    ts = buttons.post_approval()
    same_id = [
        {"type": "actions", "block_id": f"row{n}", "elements": [{**APPROVAL[1]["elements"][1], "value": f"req-{n}"}]}
        for n in (1, 2)
    ]
    twice = buttons.client.chat_postMessage(channel="C0SALES", text="two", blocks=same_id)["ts"]
    select = {"type": "static_select", "action_id": "pick", "options": [{"text": pt("A"), "value": "a"}]}
    menu = buttons.client.chat_postMessage(
        channel="C0SALES", text="menu", blocks=[{"type": "actions", "elements": [select]}]
    )["ts"]

    with pytest.raises(ValueError, match=r"no message 1\.000000"):
        fake.click(buttons.url, channel="C0SALES", ts="1.000000", action_id="approve")
    with pytest.raises(ValueError, match="no channel 'C0NOPE'"):
        fake.click(buttons.url, channel="C0NOPE", ts=ts, action_id="approve")
    with pytest.raises(ValueError, match="no element with action_id 'escalate'"):
        fake.click(buttons.url, channel="C0SALES", ts=ts, action_id="escalate")
    with pytest.raises(ValueError, match="no button 'approve' with value 'req-9'"):
        fake.click(buttons.url, channel="C0SALES", ts=ts, action_id="approve", value="req-9")
    with pytest.raises(ValueError, match="2 buttons 'deny'"):
        fake.click(buttons.url, channel="C0SALES", ts=twice, action_id="deny")
    with pytest.raises(ValueError, match="not a button"):
        fake.click(buttons.url, channel="C0SALES", ts=menu, action_id="pick")
    assert buttons.actions == []
    assert fake.clicks == []

    fake.click(buttons.url, channel="C0SALES", ts=twice, action_id="deny", value="req-2")
    fake.click(buttons.url, channel="C0SALES", ts=twice, action_id="deny", block_id="row1")
    assert [(c.block_id, c.value) for c in fake.clicks] == [("row2", "req-2"), ("row1", "req-1")]


def test_an_ack_slack_would_not_take_is_a_violation(fake: FakeSlack, buttons: ButtonsApp) -> None:
    ts = buttons.post_approval()
    status = iter([500, 200])

    def respond(request: Request) -> Reply:
        return Reply(next(status), b"", delay=0.0 if not fake.clicks else 3.1)

    with LoopbackServer(respond, name="app") as app:
        url = f"{app.base_url}/slack/events"
        assert fake.click(url, channel="C0SALES", ts=ts, action_id="approve").status == 500
        assert fake.click(url, channel="C0SALES", ts=ts, action_id="approve").elapsed > 3
    assert len(fake.violations) == 2
    assert fake.violations[0].startswith("block_actions approve: app answered HTTP 500")
    assert "(Slack gives up after 3 s)" in fake.violations[1]


def test_the_clicks_trigger_opens_a_modal_and_its_buttons_can_be_clicked(fake: FakeSlack, buttons: ButtonsApp) -> None:
    modal = {
        "type": "modal",
        "callback_id": "review",
        "title": pt("Review the move"),
        "close": pt("Close"),
        "blocks": [
            {"type": "actions", "block_id": "more", "elements": [{**APPROVAL[1]["elements"][0], "confirm": CONFIRM}]}
        ],
    }

    def open_modal(body: dict[str, Any], reply: Any, client: WebClient) -> None:
        if body["container"]["type"] == "message":
            client.views_open(trigger_id=body["trigger_id"], view=modal)

    buttons.answer = open_modal
    fake.click(buttons.url, channel="C0SALES", ts=buttons.post_approval(), action_id="approve")
    trigger = fake.clicks[0].trigger_id
    assert fake.wait_for(lambda: fake.view_opened_by(trigger) is not None, timeout=5)
    view = fake.view_opened_by(trigger)
    assert view is not None

    assert fake.click_in_view(buttons.url, view_id=view["id"], action_id="approve").status == 200

    body = buttons.actions[1]
    assert body["container"] == {"type": "view", "view_id": view["id"]}
    assert (body["view"]["id"], body["view"]["callback_id"], body["view"]["state"]) == (
        view["id"],
        "review",
        {"values": {}},
    )
    assert "response_url" not in body
    assert "message" not in body
    assert body["actions"][0]["block_id"] == "more"
    assert fake.clicks[1].response_url is None
    with pytest.raises(ValueError, match="unknown view"):
        fake.click_in_view(buttons.url, view_id="VNOPE", action_id="approve")
    assert fake.violations == []


def test_the_form_body_is_one_payload_field(fake: FakeSlack, buttons: ButtonsApp) -> None:
    ts = buttons.post_approval()
    fake.click(buttons.url, channel="C0SALES", ts=ts, action_id="deny")
    sent = fake.last_request
    assert sent is not None
    fields = parse_qs(sent.body)
    assert list(fields) == ["payload"]
    assert json.loads(fields["payload"][0]) == fake.clicks[0].payload


def test_a_click_over_socket_mode(fake: FakeSlack, buttons: ButtonsApp) -> None:
    from slack_bolt import Ack, App
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    app = App(client=buttons.client, signing_secret=fake.signing_secret)
    seen: list[dict[str, Any]] = []

    @app.action("approve")
    def approve(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        seen.append(body)

    ts = buttons.post_approval()
    modal = {"type": "modal", "title": pt("Review"), "blocks": APPROVAL}
    view_id = buttons.client.views_open(trigger_id=fake.issue_trigger_id(), view=modal)["view"]["id"]
    handler = SocketModeHandler(app, fake.app_token)
    handler.connect()  # type: ignore[no-untyped-call]
    try:
        assert fake.wait_for_socket(timeout=5)
        assert fake.socket_click(channel="C0SALES", ts=ts, action_id="approve").status == 200
        assert fake.socket_click_in_view(view_id=view_id, action_id="approve").status == 200
    finally:
        handler.close()  # type: ignore[no-untyped-call]
    assert seen == [click.payload for click in fake.clicks]
    assert seen[0]["response_url"].startswith(fake.base_url)
    assert seen[1]["container"] == {"type": "view", "view_id": view_id}
    assert fake.violations == []


def test_a_click_in_another_workspace_of_an_organization(fake: FakeSlack, buttons: ButtonsApp) -> None:
    fake.add_team("T0EAST", name="East", domain="east", enterprise_id="E0GRID", enterprise_name="Grid")
    fake.add_channel("C0EAST", "east-sales", team_id="T0EAST")
    fake.add_user("W0ADA", team_id="T0EAST", name="ada")
    east = WebClient(token=fake.install_token(team_id="T0EAST"), base_url=fake.api_url)
    ts = east.chat_postMessage(channel="C0EAST", text="Move?", blocks=APPROVAL)["ts"]

    with pytest.raises(ValueError, match="team T0LEADMOVR has no channel 'C0EAST'"):
        fake.click(buttons.url, channel="C0EAST", ts=ts, action_id="approve", team_id=fake.team_id)
    fake.click(buttons.url, channel="C0EAST", ts=ts, action_id="approve", user_id="W0ADA")

    body = buttons.actions[0]
    assert body["user"] == {"id": "W0ADA", "username": "ada", "name": "ada", "team_id": "T0EAST"}
    assert body["team"] == {"id": "T0EAST", "domain": "east", "enterprise_id": "E0GRID", "enterprise_name": "Grid"}
    assert body["enterprise"] == {"id": "E0GRID", "name": "Grid"}
    assert (body["channel"], body["message"]["team"]) == ({"id": "C0EAST", "name": "east-sales"}, "T0EAST")
    assert fake.clicks[0].team_id == "T0EAST"

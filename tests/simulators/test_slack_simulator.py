"""Tests for the fake Slack, driven by the real slack_sdk / slack_bolt clients."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from bot.simulators.render import mrkdwn_to_text, render_message, render_view
from bot.simulators.slack import FakeSlack, Message
from bot.simulators.slack_client import sign


def _pt(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _opt(text: str, value: str) -> dict[str, Any]:
    return {"text": _pt(text), "value": value}


MOVE, COPY = _opt("Move", "move"), _opt("Copy", "copy")
MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "move_leads",
    "private_metadata": "ctx-1",
    "title": _pt("Move leads"),
    "submit": _pt("Move"),
    "close": _pt("Cancel"),
    "blocks": [
        {"type": "header", "text": _pt("Where should they go?")},
        {
            "type": "input",
            "block_id": "note",
            "optional": True,
            "label": _pt("Note"),
            "element": {"type": "plain_text_input", "action_id": "note_input"},
        },
        {
            "type": "input",
            "block_id": "count",
            "label": _pt("How many"),
            "element": {"type": "number_input", "action_id": "count_input", "is_decimal_allowed": False},
        },
        {
            "type": "input",
            "block_id": "mode",
            "label": _pt("Mode"),
            "element": {
                "type": "radio_buttons",
                "action_id": "mode_input",
                "options": [MOVE, COPY],
                "initial_option": MOVE,
            },
        },
        {
            "type": "input",
            "block_id": "status",
            "label": _pt("Status"),
            "element": {
                "type": "static_select",
                "action_id": "status_input",
                "option_groups": [
                    {"label": _pt("Open"), "options": [_opt("Active", "active"), _opt("Paused", "paused")]},
                    {"label": _pt("Closed"), "options": [_opt("Done", "done")]},
                ],
            },
        },
        {
            "type": "input",
            "block_id": "target",
            "label": _pt("Target campaign"),
            "element": {"type": "external_select", "action_id": "target_input", "min_query_length": 1},
        },
        {
            "type": "input",
            "block_id": "flags",
            "optional": True,
            "label": _pt("Options"),
            "element": {
                "type": "checkboxes",
                "action_id": "flags_input",
                "options": [_opt("Skip duplicates", "dedupe")],
            },
        },
    ],
}


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        slack.add_channel("C0SALES", "sales")
        yield slack


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=fake.bot_token, base_url=fake.api_url)


class _QuietWsgiHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


class _Bolt:
    """A tiny Bolt app exercising commands, modals and options, served over HTTP in a thread."""

    def __init__(self, fake: FakeSlack) -> None:
        self.submissions: list[dict[str, Any]] = []
        self.commands: list[dict[str, Any]] = []
        self.app = App(
            client=WebClient(token=fake.bot_token, base_url=fake.api_url), signing_secret=fake.signing_secret
        )
        self.app.command("/leads")(self._command)
        self.app.options("target_input")(self._options)
        self.app.view("move_leads")(self._submitted)
        self.server: WSGIServer = make_server(
            "127.0.0.1", 0, SlackRequestHandler(self.app), handler_class=_QuietWsgiHandler
        )
        self.url = f"http://127.0.0.1:{self.server.server_port}/slack/events"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def _command(self, ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        self.commands.append(body)
        client.views_open(trigger_id=body["trigger_id"], view=MODAL)
        respond(text="Opening the lead mover")

    def _options(self, ack: Ack, body: dict[str, Any]) -> None:
        query = body["value"]
        ack(options=[_opt(f"Campaign {n} ({query})", f"camp-{n}") for n in (1, 2)])

    def _submitted(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        self.submissions.append(body)
        count = view["state"]["values"]["count"]["count_input"]["value"]
        if count == "13":
            ack(response_action="errors", errors={"count": "Unlucky number", "summary": "no such block"})
        else:
            ack()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def bolt(fake: FakeSlack) -> Iterator[_Bolt]:
    app = _Bolt(fake)
    yield app
    app.close()


# ---------------------------------------------------------------------------- Web API


def test_post_update_replies_and_metadata(fake: FakeSlack, client: WebClient) -> None:
    metadata = {"event_type": "lead_move", "event_payload": {"job": "j1"}}
    parent = client.chat_postMessage(channel="C0SALES", text="Moving 10 leads", metadata=metadata)
    reply = client.chat_postMessage(channel="C0SALES", text="step 1", thread_ts=parent["ts"])
    assert float(reply["ts"]) > float(parent["ts"])
    client.chat_update(channel="C0SALES", ts=parent["ts"], text="Moved 10 leads", blocks=[{"type": "divider"}])

    with_meta = client.conversations_replies(channel="C0SALES", ts=parent["ts"], include_all_metadata=True)
    assert [m["text"] for m in with_meta["messages"]] == ["Moved 10 leads", "step 1"]
    assert with_meta["messages"][0]["metadata"] == metadata
    assert with_meta["messages"][0]["reply_count"] == 1
    without = client.conversations_replies(channel="C0SALES", ts=parent["ts"])
    assert "metadata" not in without["messages"][0]

    [stored] = fake.messages("C0SALES")
    assert (stored.edits, stored.user, stored.metadata) == (1, fake.bot_user_id, metadata)
    assert stored.history == [("Moving 10 leads", []), ("Moved 10 leads", [{"type": "divider"}])]
    assert [m.text for m in fake.replies("C0SALES", parent["ts"])] == ["step 1"]
    assert fake.calls_to("chat.update")[0].args["ts"] == parent["ts"]
    assert fake.violations == []


def test_history_is_newest_first_and_pages(client: WebClient) -> None:
    for n in range(3):
        client.chat_postMessage(channel="C0SALES", text=f"m{n}")
    first = client.conversations_history(channel="C0SALES", limit=2)
    assert [m["text"] for m in first["messages"]] == ["m2", "m1"]
    assert first["has_more"]
    rest = client.conversations_history(channel="C0SALES", limit=2, cursor=first["response_metadata"]["next_cursor"])
    assert [m["text"] for m in rest["messages"]] == ["m0"]
    assert not rest["has_more"]


def test_channel_rules(fake: FakeSlack, client: WebClient) -> None:
    fake.add_channel("C0PRIVATE", "private", bot_is_member=False)
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C0PRIVATE", text="hi")
    assert err.value.response["error"] == "not_in_channel"
    dm = client.chat_postMessage(channel="U0BOB", text="your leads moved")
    assert dm["channel"] == "DU0BOB"
    assert fake.messages("U0BOB")[0].text == "your leads moved"
    assert client.chat_postMessage(channel="C0NEW", text="auto")["channel"] == "C0NEW"
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C0SALES", text="x", thread_ts="123.456")
    assert err.value.response["error"] == "thread_not_found"
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(
            channel="C0SALES", text="x", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": ""}}]
        )
    assert err.value.response["error"] == "invalid_blocks"
    assert len(fake.violations) == 2  # thread_not_found and invalid_blocks are app bugs


def test_ratelimited_answers_429_with_retry_after(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", "ratelimited", retry_after=7)
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C0SALES", text="hi")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"
    assert err.value.response["error"] == "ratelimited"
    assert client.chat_postMessage(channel="C0SALES", text="hi")["ok"]


def test_auth_and_unknown_methods(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as err:
        WebClient(token="xoxb-wrong", base_url=fake.api_url).auth_test()
    assert err.value.response["error"] == "invalid_auth"
    assert fake.violations == []
    with pytest.raises(SlackApiError):
        WebClient(base_url=fake.api_url).auth_test()
    with pytest.raises(SlackApiError) as err:
        WebClient(token=fake.bot_token, base_url=fake.api_url).api_call("reactions.nope")
    assert err.value.response["error"] == "unknown_method"
    assert len(fake.violations) == 2


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


def test_modal_title_too_long_is_rejected(fake: FakeSlack, client: WebClient) -> None:
    view = {**MODAL, "title": _pt("Move leads between campaigns")}
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id=fake.issue_trigger_id(), view=view)
    assert err.value.response["error"] == "invalid_arguments"
    assert "json-pointer:/view/title/text" in err.value.response["response_metadata"]["messages"][0]
    assert fake.violations
    assert fake.opened_views() == []


def test_signature_matches_slack_sdk_verifier() -> None:
    body, ts = "token=x&text=hi", str(int(time.time()))
    signature = sign(signing_secret="s3cret", timestamp=ts, body=body)
    assert SignatureVerifier("s3cret").is_valid(body=body, timestamp=ts, signature=signature)


# ---------------------------------------------------------------------------- Slack -> app over HTTP


def test_command_opens_modal_and_responds(fake: FakeSlack, bolt: _Bolt) -> None:
    answer = fake.send_command(bolt.url, text="move 10")
    assert answer.status == 200
    assert answer.elapsed < 3
    assert fake.wait_for(lambda: bool(fake.opened_views()) and bool(fake.responses), timeout=5)
    command = bolt.commands[0]
    assert (command["command"], command["text"], command["team_id"]) == ("/leads", "move 10", fake.team_id)
    assert command["response_url"].startswith(fake.base_url)
    [view] = fake.opened_views()
    assert view["id"].startswith("V")
    assert view["callback_id"] == "move_leads"
    assert view["hash"]
    assert fake.responses == [{"text": "Opening the lead mover"}]
    assert fake.violations == []


def test_options_and_submission_state_shapes(fake: FakeSlack, bolt: _Bolt) -> None:
    fake.send_command(bolt.url, text="")
    assert fake.wait_for(lambda: bool(fake.opened_views()))
    view_id = fake.opened_views()[0]["id"]

    options = fake.load_options(bolt.url, view_id=view_id, action_id="target_input", value="cam")
    assert options.status == 200
    assert [o["value"] for o in options.json()["options"]] == ["camp-1", "camp-2"]

    values = {"note": "hello", "count": 25, "status": "paused", "target": "camp-2", "flags": ["dedupe"]}
    assert fake.submit_view(bolt.url, view_id=view_id, values=values).status == 200
    payload = bolt.submissions[0]
    assert payload["type"] == "view_submission"
    assert payload["user"]["id"] == "U0ALICE"
    assert payload["view"]["private_metadata"] == "ctx-1"
    assert payload["view"]["id"] == view_id
    state = payload["view"]["state"]["values"]
    assert state["note"]["note_input"] == {"type": "plain_text_input", "value": "hello"}
    assert state["count"]["count_input"] == {"type": "number_input", "value": "25"}
    assert state["mode"]["mode_input"] == {"type": "radio_buttons", "selected_option": MOVE}  # initial_option
    assert state["status"]["status_input"] == {"type": "static_select", "selected_option": _opt("Paused", "paused")}
    assert state["target"]["target_input"] == {
        "type": "external_select",
        "selected_option": _opt("Campaign 2 (cam)", "camp-2"),
    }
    assert state["flags"]["flags_input"] == {
        "type": "checkboxes",
        "selected_options": [_opt("Skip duplicates", "dedupe")],
    }
    with pytest.raises(ValueError, match="closed"):
        fake.submit_view(bolt.url, view_id=view_id, values=values)
    assert fake.violations == []


def test_submission_errors_and_client_side_checks(fake: FakeSlack, bolt: _Bolt) -> None:
    fake.send_command(bolt.url, text="")
    assert fake.wait_for(lambda: bool(fake.opened_views()))
    view_id = fake.opened_views()[0]["id"]
    with pytest.raises(ValueError, match="required"):
        fake.submit_view(bolt.url, view_id=view_id, values={"count": 3})
    with pytest.raises(ValueError, match="not an option"):
        fake.submit_view(bolt.url, view_id=view_id, values={"count": 3, "status": "nope", "target": "x"})
    values = {"count": 13, "status": {"text": _pt("Done"), "value": "done"}, "target": _opt("Other", "other")}
    answer = fake.submit_view(bolt.url, view_id=view_id, values=values)
    assert answer.json()["response_action"] == "errors"
    state = bolt.submissions[0]["view"]["state"]["values"]
    assert state["note"]["note_input"] == {"type": "plain_text_input", "value": None}
    assert state["flags"]["flags_input"] == {"type": "checkboxes", "selected_options": []}
    assert state["target"]["target_input"]["selected_option"] == _opt("Other", "other")
    assert fake.violations == [f"view_submission {view_id}: errors names 'summary', which is not an input block"]
    assert fake.submit_view(bolt.url, view_id=view_id, values={**values, "count": 2}).status == 200  # still open


# ---------------------------------------------------------------------------- Socket Mode


def test_socket_mode_command_is_acked(fake: FakeSlack) -> None:
    app = App(client=WebClient(token=fake.bot_token, base_url=fake.api_url), signing_secret=fake.signing_secret)
    seen: list[str] = []

    @app.command("/leads")
    def leads(ack: Ack, command: dict[str, Any]) -> None:
        seen.append(command["text"])
        ack(text="on it")

    handler = SocketModeHandler(app, fake.app_token)
    handler.connect()
    try:
        assert fake.wait_for_socket(timeout=5)
        answer = fake.socket_send_command(text="move 5 leads")
        assert answer.status == 200
        assert answer.json() == {"text": "on it"}
        assert seen == ["move 5 leads"]
        assert [c.method for c in fake.calls].count("apps.connections.open") == 1
    finally:
        handler.close()
    assert fake.violations == []


# ---------------------------------------------------------------------------- render


def test_render_message_and_view() -> None:
    message = Message(
        channel="C0SALES",
        ts="1.0",
        text="fallback",
        blocks=[
            {"type": "header", "text": _pt("Lead move")},
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Done* for <@U0ALICE>: <https://x.io/j/1|job 1>"}},
            {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Moved*\n10"}]},
            {"type": "divider"},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "in <#C1|sales> &amp; more"}]},
            {"type": "actions", "elements": [{"type": "button", "text": _pt("Undo"), "action_id": "undo"}]},
        ],
        thread_ts=None,
        user="U0LEADBOT",
    )
    text = render_message(message)
    assert "Lead move\n=========" in text
    assert "*Done* for @U0ALICE: job 1" in text
    assert "*Moved*" in text
    assert "-" * 40 in text
    assert "in #sales & more" in text
    assert "[Undo]" in text
    assert render_message({"text": "hi <!here>"}) == "hi @here"
    view = render_view(MODAL)
    assert "| Move leads |" in view
    assert "How many: <number input>" in view
    assert "Mode: <radio buttons>\n    (*) Move\n    ( ) Copy" in view
    assert "    Open:\n    - Active" in view
    assert "[Cancel] [Move]" in view
    assert mrkdwn_to_text("<mailto:a@b.c>") == "a@b.c"

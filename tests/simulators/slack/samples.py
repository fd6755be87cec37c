"""A modal and a tiny Bolt app (commands, options, submissions over HTTP) that the fake Slack's tests drive."""

from __future__ import annotations

import threading
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from simulators.slack import FakeSlack


def pt(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def opt(text: str, value: str) -> dict[str, Any]:
    return {"text": pt(text), "value": value}


MOVE, COPY = opt("Move", "move"), opt("Copy", "copy")
MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "move_leads",
    "private_metadata": "ctx-1",
    "title": pt("Move leads"),
    "submit": pt("Move"),
    "close": pt("Cancel"),
    "blocks": [
        {"type": "header", "text": pt("Where should they go?")},
        {
            "type": "input",
            "block_id": "note",
            "optional": True,
            "label": pt("Note"),
            "element": {"type": "plain_text_input", "action_id": "note_input"},
        },
        {
            "type": "input",
            "block_id": "count",
            "label": pt("How many"),
            "element": {"type": "number_input", "action_id": "count_input", "is_decimal_allowed": False},
        },
        {
            "type": "input",
            "block_id": "mode",
            "label": pt("Mode"),
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
            "label": pt("Status"),
            "element": {
                "type": "static_select",
                "action_id": "status_input",
                "option_groups": [
                    {"label": pt("Open"), "options": [opt("Active", "active"), opt("Paused", "paused")]},
                    {"label": pt("Closed"), "options": [opt("Done", "done")]},
                ],
            },
        },
        {
            "type": "input",
            "block_id": "target",
            "label": pt("Target campaign"),
            "element": {"type": "external_select", "action_id": "target_input", "min_query_length": 1},
        },
        {
            "type": "input",
            "block_id": "flags",
            "optional": True,
            "label": pt("Options"),
            "element": {
                "type": "checkboxes",
                "action_id": "flags_input",
                "options": [opt("Skip duplicates", "dedupe")],
            },
        },
    ],
}


class _QuietWsgiHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


class BoltApp:
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
        ack(options=[opt(f"Campaign {n} ({query})", f"camp-{n}") for n in (1, 2)])

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

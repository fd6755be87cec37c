"""A Bolt app that answers button clicks, served over HTTP by a threaded server, and the approval message it posts:
what the fake Slack's click tests drive."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from simulators.slack import FakeSlack
from tests.simulators.slack.samples import pt

CONFIRM = {
    "title": pt("Approve the move?"),
    "text": pt("10 leads move to Acme."),
    "confirm": pt("Approve"),
    "deny": pt("Not yet"),
    "style": "primary",
}
APPROVAL: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Move 10 leads* to Acme?"}},
    {
        "type": "actions",
        "block_id": "decide",
        "elements": [
            {
                "type": "button",
                "action_id": "approve",
                "text": pt("Approve"),
                "value": "req-1",
                "style": "primary",
                "confirm": CONFIRM,
            },
            {"type": "button", "action_id": "deny", "text": pt("Deny"), "value": "req-1", "style": "danger"},
        ],
    },
]
Answer = Callable[[dict[str, Any], Respond, WebClient], object]  # what it returns is ignored


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


class _ThreadingWsgiServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # two people click at once: the app must be able to take both


class ButtonsApp:
    """Acks every block_actions at once, keeps its body in `actions`, then runs `answer` (set by each test)."""

    def __init__(self, fake: FakeSlack) -> None:
        self.actions: list[dict[str, Any]] = []
        self.answer: Answer | None = None
        self._lock = threading.Lock()
        self.client = WebClient(token=fake.bot_token, base_url=fake.api_url)
        self.app = App(client=self.client, signing_secret=fake.signing_secret)
        self.app.action(re.compile(".*"))(self._acted)
        self.server = make_server(
            "127.0.0.1",
            0,
            SlackRequestHandler(self.app),
            server_class=_ThreadingWsgiServer,
            handler_class=_Quiet,
        )
        self.url = f"http://127.0.0.1:{self.server.server_port}/slack/events"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def post_approval(self, *, channel: str = "C0SALES", thread_ts: str | None = None) -> str:
        """Post the approval message (as the app would) and return its ts."""
        answer = self.client.chat_postMessage(
            channel=channel, text="Move 10 leads?", blocks=APPROVAL, thread_ts=thread_ts
        )
        return str(answer["ts"])

    def _acted(self, ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        with self._lock:
            self.actions.append(body)
        if self.answer is not None:
            self.answer(body, respond, client)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

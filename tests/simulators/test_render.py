"""Rendering Slack messages and modals as terminal text for the demo."""

from __future__ import annotations

from simulators.render import mrkdwn_to_text, render_message, render_view
from simulators.slack import Message
from tests.simulators.slack.samples import MODAL, pt


def test_render_message_and_view() -> None:
    message = Message(
        channel="C0SALES",
        ts="1.0",
        text="fallback",
        blocks=[
            {"type": "header", "text": pt("Lead move")},
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Done* for <@U0ALICE>: <https://x.io/j/1|job 1>"}},
            {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Moved*\n10"}]},
            {"type": "divider"},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "in <#C1|sales> &amp; more"}]},
            {"type": "actions", "elements": [{"type": "button", "text": pt("Undo"), "action_id": "undo"}]},
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


def test_a_search_dropdown_shows_the_option_it_starts_with() -> None:
    picked = {"text": pt("Acme Q1 outbound"), "value": "campaign:1"}
    block = {
        "type": "input",
        "block_id": "source",
        "label": pt("From"),
        "element": {"type": "external_select", "action_id": "source", "initial_option": picked},
    }
    text = render_view({"type": "modal", "title": pt("Move leads"), "blocks": [block]})
    assert "From: <search dropdown> = Acme Q1 outbound" in text

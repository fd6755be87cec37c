"""Block Kit checks for buttons (approve / deny rows, confirmation dialogs): what Slack takes, our rules, and the
ones left to slack_sdk's models (each must still be caught)."""

from __future__ import annotations

from typing import Any

import pytest

from simulators.slack.blockkit import check_message_blocks, check_view
from tests.simulators.slack.samples import MODAL, opt, pt


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _button(**extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": pt("Go"), "action_id": "go", **extra}


def _select(**extra: Any) -> dict[str, Any]:
    return {"type": "static_select", "action_id": "pick", **extra}


def _confirm(**extra: Any) -> dict[str, Any]:
    return {"title": pt("Sure?"), "text": pt("It moves 10 leads."), "confirm": pt("Yes"), "deny": pt("No"), **extra}


def test_approval_buttons_pass() -> None:
    buttons = [
        _button(action_id="approve", value="req-1", style="primary", confirm=_confirm(style="primary")),
        _button(
            action_id="deny", value="req-1", style="danger", confirm=_confirm(text={"type": "mrkdwn", "text": "*x*"})
        ),
    ]
    # action_id need only be unique within its block: one per row of a list of requests is what Slack allows.
    rows = [{"type": "actions", "block_id": f"row{n}", "elements": buttons} for n in (1, 2)]
    assert (
        check_message_blocks([_section("Move?"), *rows, {"type": "section", "text": pt("x"), "accessory": buttons[0]}])
        == []
    )
    assert check_view({**MODAL, "blocks": [*MODAL["blocks"], rows[0]]}) == []


@pytest.mark.parametrize(
    ("element", "message", "pointer"),
    [
        (_button(confirm=_confirm(title={"type": "mrkdwn", "text": "x"})), "plain_text text object", "/confirm/title"),
        (_button(confirm={"title": pt("Sure?")}), "plain_text or mrkdwn text object", "/confirm/text"),
        (_button(confirm=_confirm(deny=pt(""))), "more than 0 characters", "/confirm/deny/text"),
        (_button(confirm="yes"), "must be a confirmation dialog object", "/confirm"),
        (_button(value=5), "must be a string", "/value"),
        (_button(url=["https://x.io"]), "must be a string", "/url"),
        (
            _select(options=[opt("a", "a")], confirm=_confirm(confirm=None)),
            "plain_text text object",
            "/confirm/confirm",
        ),
    ],
)
def test_our_rules_for_buttons_and_confirm_dialogs(element: dict[str, Any], message: str, pointer: str) -> None:
    errors = check_message_blocks([{"type": "actions", "elements": [element]}])
    assert any(message in e and e.endswith(f"[json-pointer:/blocks/0/elements/0{pointer}]") for e in errors), errors


@pytest.mark.parametrize(
    ("dialog", "message", "pointer"),
    [
        (_confirm(title=pt("x" * 101)), "title attribute cannot exceed 100 characters", "/title/text"),
        (_confirm(text=pt("x" * 301)), "text attribute cannot exceed 300 characters", "/text/text"),
        (_confirm(confirm=pt("x" * 31)), "confirm attribute cannot exceed 30 characters", "/confirm/text"),
        (_confirm(deny=pt("x" * 31)), "deny attribute cannot exceed 30 characters", "/deny/text"),
        (_confirm(style="loud"), 'style for confirm must be either "primary" or "danger"', "/style"),
    ],
)
def test_slack_sdk_rules_for_confirm_dialogs(dialog: dict[str, Any], message: str, pointer: str) -> None:
    [error] = check_message_blocks([{"type": "actions", "elements": [_button(confirm=dialog)]}])
    assert error.startswith(f"[ERROR] {message}")
    assert error.endswith(f"[json-pointer:/blocks/0/elements/0/confirm{pointer}]")

"""What a person does in Slack, as steps the end-to-end tests share: open the move modal, pick from a picker."""

from __future__ import annotations

from typing import Any

from bot.simulators.stack import LocalStack


def open_modal(stack: LocalStack, *, verb: str = "move", channel_id: str = "C0SALES") -> dict[str, Any]:
    before = len(stack.slack.opened_views())
    response = stack.slack.send_command(stack.app_url, text=verb, channel_id=channel_id)
    assert response.status == 200
    assert stack.slack.wait_for(lambda: len(stack.slack.opened_views()) > before, timeout=5)
    return stack.slack.opened_views()[-1]


def pick(stack: LocalStack, view: dict[str, Any], action_id: str, query: str, label: str) -> dict[str, Any]:
    """Type `query` into a picker and choose the option labelled `label`, as a person would."""
    answer = stack.slack.load_options(stack.app_url, view_id=view["id"], action_id=action_id, value=query).json()
    options = [o for group in answer.get("option_groups", []) for o in group["options"]] + answer.get("options", [])
    matching = [o for o in options if o["text"]["text"] == label]
    assert matching, f"{label!r} not offered for {query!r}: {options}"
    return dict(matching[0])

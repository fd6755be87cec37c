"""Only leadmover's own words are markup: hostile names and Instantly's error texts reach Slack as plain words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.local_stack import DemoWorkspace, LocalStack, local_stack, seed
from bot.slack.blocks import undo_messages
from handlers import ids
from simulators.slack import Message
from tests.e2e.flows import open_modal, pick, submit_move

CHANNEL = "C0SALES"
HOSTILE_NAME = "<!channel> *Q4* @here _x_"
DISGUISED_LINK = "Session expired: <https://evil.example|click> to re-authenticate"


def _move_from_the_hostile_campaign(stack: LocalStack) -> None:
    stack.instantly.add_campaign(HOSTILE_NAME)
    view = open_modal(stack)
    values = {
        ids.SOURCE: pick(stack, view, ids.SOURCE, "q4", HOSTILE_NAME),
        ids.DESTINATION: pick(stack, view, ids.DESTINATION, "warm", "Acme warm leads"),
    }
    submit_move(stack.slack, stack.app_url, view_id=view["id"], values=values)


def _mrkdwn_objects(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        found = [node] if node.get("type") == "mrkdwn" else []
        return found + [o for value in node.values() for o in _mrkdwn_objects(value)]
    if isinstance(node, list):
        return [o for item in node for o in _mrkdwn_objects(item)]
    return []


def _assert_harmless(message: Message) -> None:
    everything = json.dumps([message.text, message.blocks], ensure_ascii=False)
    assert "<!channel>" not in everything
    assert "<!here" not in everything
    assert "@here" not in everything, "a broadcast word is kept from Slack's automatic parsing"
    assert "<https://evil" not in everything, "no disguised link"
    for text in _mrkdwn_objects(message.blocks):
        assert text.get("verbatim") is True, text


def test_a_hostile_campaign_name_notifies_no_one_in_the_announcement_or_the_reply(tmp_path: Path) -> None:
    with local_stack(database_url=f"sqlite:///{tmp_path / 'markup.db'}") as stack:
        seed(stack.instantly)
        _move_from_the_hostile_campaign(stack)

        assert stack.slack.wait_for(lambda: len(stack.slack.messages(CHANNEL)) == 1, timeout=10)
        [announcement] = stack.slack.messages(CHANNEL)
        assert stack.slack.wait_for(lambda: len(stack.slack.replies(CHANNEL, announcement.ts)) == 1, timeout=15)

        for message in [*stack.slack.messages(CHANNEL), *stack.slack.replies(CHANNEL, announcement.ts)]:
            _assert_harmless(message)
        shown = json.dumps(stack.slack.messages(CHANNEL)[0].blocks, ensure_ascii=False)
        assert "&lt;!channel&gt; *Q4* @\u2060here _x_" in shown, "the name is still there to read"


def test_instantlys_error_text_reaches_the_person_without_its_link(tmp_path: Path) -> None:
    with local_stack(database_url=f"sqlite:///{tmp_path / 'markup.db'}") as stack:
        seed(stack.instantly)
        stack.instantly.fail_next("POST", "/api/v2/leads/move", status=400, message=DISGUISED_LINK)
        _move_from_the_hostile_campaign(stack)

        notes = lambda: [c for c in stack.slack.calls_to("chat.postEphemeral")]  # noqa: E731
        assert stack.slack.wait_for(lambda: len(notes()) == 1, timeout=10)
        [note] = notes()
        sent = json.dumps(note.args, ensure_ascii=False)
        assert "<https://evil" not in sent
        assert "&lt;https://evil.example|click&gt;" in sent
        assert "<!channel>" not in sent


def test_instantlys_error_text_in_a_move_backs_outcome_reaches_the_person_without_its_link(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    view = open_modal(stack)
    values = {
        ids.SOURCE: pick(stack, view, ids.SOURCE, "acme q1", "Acme Q1 outbound"),
        ids.DESTINATION: pick(stack, view, ids.DESTINATION, "warm", "Acme warm leads"),
        ids.LIMIT: "40",
    }
    submit_move(stack.slack, stack.app_url, view_id=view["id"], values=values)
    replies = lambda: [r for m in stack.slack.messages(CHANNEL) for r in stack.slack.replies(CHANNEL, m.ts)]  # noqa: E731
    assert stack.slack.wait_for(lambda: len(replies()) == 1, timeout=15), "no final reply"
    [moved] = stack.services.moves.recent_jobs(team_id=stack.slack.team_id, user_id=None, limit=5)
    # Asked which leads moved, Instantly answers with a disguised link in its message.
    job = f"/api/v2/background-jobs/{moved.instantly_job_id}"
    stack.instantly.fail_next("GET", job, status=404, message=DISGUISED_LINK)

    opened = len(stack.slack.opened_views())
    stack.slack.click(stack.app_url, channel=CHANNEL, ts=replies()[0].ts, action_id=undo_messages.MOVE_BACK)
    assert stack.slack.wait_for(lambda: len(stack.slack.opened_views()) > opened, timeout=5), "no confirmation"
    confirm = stack.slack.opened_views()[-1]
    assert stack.slack.submit_view(stack.app_url, view_id=confirm["id"], values={}).status == 200

    shown = lambda: json.dumps(stack.slack.view(confirm["id"]), ensure_ascii=False)  # noqa: E731
    assert stack.slack.wait_for(lambda: "Nothing was moved back" in shown(), timeout=5), shown()
    assert "<https://evil" not in shown(), "no disguised link"
    assert "&lt;https://evil.example|click&gt;" in shown(), "Instantly's words are still there to read"
    assert len(stack.instantly.move_bodies()) == 1, "only the move itself reached Instantly's move endpoint"

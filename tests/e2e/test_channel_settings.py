"""Calm threads, end to end over signed HTTP: `/leads settings` saves a channel's settings; in a channel that
hears only of failures a success posts nothing and a failure posts, broadcast; the final reply shows the count, the
duration and a sample of the moved e-mails, except in a channel shared with another organisation (Slack Connect),
where it says where to see them; the move form starts in the channel's default mode."""

from __future__ import annotations

import re
from typing import Any

from app.local_stack import DemoWorkspace, LocalStack
from handlers import channel_settings_view as settings_modal
from handlers import ids
from storage.models import AnnounceMode, Phase
from storage.orders import MoveMode
from tests.e2e.flows import open_modal, pick

CHANNEL = "C0SALES"


def _save_settings(stack: LocalStack, values: dict[str, Any]) -> dict[str, Any]:
    view = open_modal(stack, verb="settings")
    assert view["callback_id"] == settings_modal.SETTINGS_MODAL
    response = stack.slack.submit_view(stack.app_url, view_id=view["id"], values=values)
    assert response.status == 200
    answer: dict[str, Any] = response.json()
    return answer


def _only_failures(stack: LocalStack) -> None:
    _save_settings(
        stack,
        {
            settings_modal.ANNOUNCE: AnnounceMode.FAILURES.value,
            settings_modal.FAILURES: [settings_modal.BROADCAST_FAILURES],
            settings_modal.DEFAULT_MODE: MoveMode.MOVE.value,
        },
    )


def _move(stack: LocalStack, *, channel_id: str = CHANNEL) -> None:
    view = open_modal(stack, channel_id=channel_id)
    values = {
        ids.SOURCE: pick(stack, view, ids.SOURCE, "acme q1", "Acme Q1 outbound"),
        ids.DESTINATION: pick(stack, view, ids.DESTINATION, "warm", "Acme warm leads"),
        ids.LIMIT: "40",
    }
    response = stack.slack.submit_view(stack.app_url, view_id=view["id"], values=values)
    assert response.json()["response_action"] == "update"


def _all_done(stack: LocalStack, count: int = 1) -> bool:
    records = stack.services.moves.recent_jobs(team_id=stack.slack.team_id, user_id=None, limit=10)
    return len(records) == count and all(r.phase == Phase.DONE for r in records)


def _replies(stack: LocalStack, channel_id: str = CHANNEL) -> list[Any]:
    return [r for m in stack.slack.messages(channel_id) for r in stack.slack.replies(channel_id, m.ts)]


def _broadcast(args: dict[str, Any]) -> bool:
    return args.get("reply_broadcast") in (True, "true", "1", 1)


def test_settings_modal_saves_the_channels_settings_and_the_move_form_starts_in_its_mode(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    view = open_modal(stack, verb="settings")
    announce = next(b for b in view["blocks"] if b.get("block_id") == settings_modal.ANNOUNCE)
    assert announce["element"]["initial_option"]["value"] == AnnounceMode.EVERY_JOB.value

    answer = _save_settings(
        stack,
        {
            settings_modal.ANNOUNCE: AnnounceMode.FAILURES.value,
            settings_modal.FAILURES: [settings_modal.MENTION_ON_SUCCESS],
            settings_modal.DEFAULT_MODE: MoveMode.COPY.value,
        },
    )

    assert answer["response_action"] == "update"
    assert "Saved" in str(answer["view"])
    saved = stack.services.channel_settings.of(team_id=stack.slack.team_id, channel_id=CHANNEL)
    assert (saved.announce, saved.broadcast_failures, saved.mention_on_success, saved.default_mode) == (
        AnnounceMode.FAILURES,
        False,
        True,
        MoveMode.COPY,
    )
    assert saved.set_by == "U0ALICE"
    mode = next(b for b in open_modal(stack)["blocks"] if b.get("block_id") == ids.MODE)
    assert mode["element"]["initial_option"]["value"] == ids.MODE_COPY, "/leads move starts as the channel says"
    elsewhere = next(b for b in open_modal(stack, channel_id="C0OTHER")["blocks"] if b.get("block_id") == ids.MODE)
    assert elsewhere["element"]["initial_option"]["value"] == ids.MODE_MOVE, "another channel keeps its own"


def test_in_an_only_failures_channel_a_successful_job_posts_nothing(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    _only_failures(stack)

    _move(stack)

    assert stack.slack.wait_for(lambda: _all_done(stack), timeout=15)
    assert stack.slack.messages(CHANNEL) == []
    assert [c for c in stack.slack.calls_to("chat.postMessage")] == []


def test_in_an_only_failures_channel_a_failed_job_posts_and_broadcasts(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    _only_failures(stack)
    stack.instantly.final_status = "failed"

    _move(stack)

    assert stack.slack.wait_for(lambda: _all_done(stack) and len(_replies(stack)) == 1, timeout=15)
    [announcement] = stack.slack.messages(CHANNEL)
    [reply] = _replies(stack)
    assert "Failed" in announcement.text
    assert reply.text.startswith("Move failed. <@U0ALICE>, ")
    [posted] = [c.args for c in stack.slack.calls_to("chat.postMessage") if c.args.get("thread_ts")]
    assert _broadcast(posted)


def test_the_final_reply_shows_the_count_the_duration_and_a_sample(stack: LocalStack, workspace: DemoWorkspace) -> None:
    _move(stack)

    assert stack.slack.wait_for(lambda: len(_replies(stack)) == 1, timeout=15)
    [reply] = _replies(stack)
    assert re.match(r"Move completed\. 40 leads moved to list Acme warm leads in \d+ s\.$", reply.text)
    shown = str(reply.blocks)
    sample = re.search(r"Moved: ([^']+) \(the first 5 of 40\)", shown)
    assert sample is not None, shown
    assert len(sample.group(1).split(", ")) == 5
    assert all("@" in email for email in sample.group(1).split(", "))
    assert "<!date^" in shown
    [posted] = [c.args for c in stack.slack.calls_to("chat.postMessage") if c.args.get("thread_ts")]
    assert not _broadcast(posted), "a success stays in its thread"


def test_in_a_slack_connect_channel_the_final_reply_lists_no_email(stack: LocalStack, workspace: DemoWorkspace) -> None:
    stack.slack.add_channel("C0PARTNERS", "acme-partners", shared_with=["T0PARTNER"])

    _move(stack, channel_id="C0PARTNERS")

    assert stack.slack.wait_for(lambda: len(_replies(stack, "C0PARTNERS")) == 1, timeout=15)
    [reply] = _replies(stack, "C0PARTNERS")
    shown = reply.text + str(reply.blocks)
    assert reply.text.startswith("Move completed. 40 leads moved to list Acme warm leads")
    assert not re.search(r"[\w.+-]+@[\w-]+\.\w+", shown), shown
    assert "this channel is shared with another organisation. See them in Instantly, in list *Acme warm leads*" in shown
    assert [call.args["channel"] for call in stack.slack.calls_to("conversations.info")] == ["C0PARTNERS"]

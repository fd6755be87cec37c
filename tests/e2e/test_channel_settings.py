"""Calm threads, end to end over signed HTTP: `/leads settings` saves a channel's settings; in a channel that
hears only of failures a success posts nothing and a failure posts, broadcast; the final reply shows the count, the
duration, and the moved e-mails only to a member who presses Show moved leads (read from Instantly then, never
before the reply); `/leads move` always opens a move, and App Home's New move starts in the channel's default mode."""

from __future__ import annotations

import json
import re
from typing import Any

from app.local_stack import DemoWorkspace, LocalStack
from bot.slack.blocks import moved_leads_messages, undo_messages
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
    assert "New move and Run again start as a copy" in str(answer["view"])
    assert "`/leads move` always opens a move" in str(answer["view"])
    mode = next(b for b in open_modal(stack)["blocks"] if b.get("block_id") == ids.MODE)
    assert mode["element"]["initial_option"]["value"] == ids.MODE_MOVE, "/leads move always opens a move"
    copying = next(b for b in open_modal(stack, verb="copy")["blocks"] if b.get("block_id") == ids.MODE)
    assert copying["element"]["initial_option"]["value"] == ids.MODE_COPY

    _move(stack)  # Alice's latest job is in CHANNEL: App Home's New move opens the form for it, as its default
    stack.slack.open_home(stack.app_url, user_id="U0ALICE")
    assert stack.slack.wait_for(lambda: stack.slack.home_view("U0ALICE") is not None, timeout=5)
    stack.slack.click_in_home(stack.app_url, user_id="U0ALICE", action_id=ids.HOME_NEW_MOVE)
    trigger = stack.slack.clicks[-1].trigger_id
    assert stack.slack.wait_for(lambda: stack.slack.view_opened_by(trigger) is not None, timeout=3)
    form = stack.slack.view_opened_by(trigger)
    assert form is not None
    assert json.loads(form["private_metadata"])["channel_id"] == CHANNEL
    new = next(b for b in form["blocks"] if b.get("block_id") == ids.MODE)
    assert new["element"]["initial_option"]["value"] == ids.MODE_COPY, "New move starts as the channel says"


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


def _detail_reads(stack: LocalStack) -> int:
    """Reads of one job that ask Instantly for its moved e-mails (`data_fields`)."""
    return sum(1 for r in stack.instantly.requests if r.method == "GET" and "data_fields" in r.query)


def _show_moved_leads(stack: LocalStack, reply: Any, *, user: str, channel_id: str = CHANNEL) -> dict[str, Any]:
    """`user` presses Show moved leads under `reply`; what only they were told."""
    before = len(stack.slack.responses)
    answer = stack.slack.click(
        stack.app_url, channel=channel_id, ts=reply.ts, action_id=moved_leads_messages.SHOW_MOVED_LEADS, user_id=user
    )
    assert answer.status == 200
    assert stack.slack.wait_for(lambda: len(stack.slack.responses) > before, timeout=5), "nobody was told anything"
    told: dict[str, Any] = stack.slack.responses[-1]
    assert told["response_type"] == "ephemeral"
    assert told.get("replace_original") is False
    return told


def _buttons(message: Any) -> list[str]:
    return [e["action_id"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.\w+")


def test_the_final_reply_shows_the_count_and_the_duration_and_lists_the_leads_only_to_who_asks(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    _move(stack)

    assert stack.slack.wait_for(lambda: len(_replies(stack)) == 1, timeout=15)
    [reply] = _replies(stack)
    assert re.match(r"Move completed\. 40 leads moved to list Acme warm leads in \d+ s\.$", reply.text)
    shown = str(reply.blocks)
    assert "<!date^" in shown
    assert not EMAIL.search(reply.text + shown), "the reply itself lists no e-mail"
    assert _buttons(reply) == [moved_leads_messages.SHOW_MOVED_LEADS, undo_messages.MOVE_BACK]
    assert _detail_reads(stack) == 0, "the reply did not wait for the moved e-mails"
    [posted] = [c.args for c in stack.slack.calls_to("chat.postMessage") if c.args.get("thread_ts")]
    assert not _broadcast(posted), "a success stays in its thread"

    told = _show_moved_leads(stack, reply, user="U0ALICE")

    listed = EMAIL.findall(str(told["blocks"]))
    assert len(set(listed)) == len(listed) == 20, told
    assert "the first 20 of 40" in told["text"]
    assert "See them all in Instantly, in list *Acme warm leads*" in str(told["blocks"])
    assert _detail_reads(stack) == 1, "read once, when asked"


def test_someone_from_another_organisation_is_not_shown_the_moved_leads(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    stack.slack.add_team("T0PARTNER", name="Partner Co", domain="partner")
    stack.slack.add_channel("C0PARTNERS", "acme-partners", shared_with=["T0PARTNER"])
    stack.slack.add_user("U0PARTNER", team_id="T0PARTNER", shared_with=(stack.slack.team_id,))
    _move(stack, channel_id="C0PARTNERS")
    assert stack.slack.wait_for(lambda: len(_replies(stack, "C0PARTNERS")) == 1, timeout=15)
    [reply] = _replies(stack, "C0PARTNERS")

    told = _show_moved_leads(stack, reply, user="U0PARTNER", channel_id="C0PARTNERS")

    assert "other organisations" in told["text"]
    assert not EMAIL.search(str(told)), told
    assert _detail_reads(stack) == 0, "nothing was read for someone who may not see it"


def test_a_channel_that_leaves_e_mails_out_offers_no_list(stack: LocalStack, workspace: DemoWorkspace) -> None:
    _save_settings(
        stack,
        {
            settings_modal.ANNOUNCE: AnnounceMode.EVERY_JOB.value,
            settings_modal.DEFAULT_MODE: MoveMode.MOVE.value,
            settings_modal.SAMPLE: [],
        },
    )
    _move(stack)

    assert stack.slack.wait_for(lambda: len(_replies(stack)) == 1, timeout=15)
    [reply] = _replies(stack)
    assert _buttons(reply) == [undo_messages.MOVE_BACK]
    assert "This channel's settings leave lead e-mails out. See them in Instantly, in list *Acme warm leads*" in str(
        reply.blocks
    )

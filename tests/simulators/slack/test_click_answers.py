"""What the response_url of a click does with the app's answers (replace, delete, a new message, ephemeral or for
everyone), wherever the click was: a message, a thread reply, an ephemeral message; and many people at once."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from simulators.slack import FakeSlack
from tests.simulators.slack.buttons_app import APPROVAL, ButtonsApp


def _answered(fake: FakeSlack, buttons: ButtonsApp, **respond: Any) -> str:
    buttons.answer = lambda body, reply, client: reply(**respond)
    ts = buttons.post_approval()
    fake.click(buttons.url, channel="C0SALES", ts=ts, action_id="approve")
    assert fake.wait_for(lambda: len(fake.responses) == 1, timeout=5)
    return ts


def test_replace_original_replaces_the_whole_message(fake: FakeSlack, buttons: ButtonsApp) -> None:
    ts = _answered(fake, buttons, text="Approved by <@U0ALICE>", replace_original=True)

    [message] = fake.messages("C0SALES")
    assert (message.ts, message.text, message.blocks, message.edits) == (ts, "Approved by <@U0ALICE>", [], 1)
    [shown] = buttons.client.conversations_history(channel="C0SALES")["messages"]
    assert shown["edited"]["ts"] > ts
    assert fake.ephemerals == []
    assert fake.violations == []


def test_delete_original_deletes_the_message(fake: FakeSlack, buttons: ButtonsApp) -> None:
    ts = _answered(fake, buttons, delete_original=True)

    assert fake.messages("C0SALES") == []
    with pytest.raises(ValueError, match=f"no message {ts}"):
        fake.click(buttons.url, channel="C0SALES", ts=ts, action_id="approve")
    assert fake.violations == []


def test_any_other_answer_is_a_new_ephemeral_message(fake: FakeSlack, buttons: ButtonsApp) -> None:
    _answered(fake, buttons, text="Only you see this")

    assert [(e["channel"], e["user"], e["text"]) for e in fake.ephemerals] == [
        ("C0SALES", "U0ALICE", "Only you see this")
    ]
    [message] = fake.messages("C0SALES")
    assert message.edits == 0


def test_in_channel_is_a_new_message_for_everyone(fake: FakeSlack, buttons: ButtonsApp) -> None:
    _answered(fake, buttons, text="Alice approved the move", response_type="in_channel")

    assert [m.text for m in fake.messages("C0SALES")] == ["Move 10 leads?", "Alice approved the move"]
    assert fake.ephemerals == []


def test_a_click_in_a_thread_reply(fake: FakeSlack, buttons: ButtonsApp) -> None:
    parent = buttons.client.chat_postMessage(channel="C0SALES", text="Lead move #7")["ts"]
    ts = buttons.post_approval(thread_ts=parent)
    buttons.answer = lambda body, reply, client: reply(text="noted")

    fake.click(buttons.url, channel="C0SALES", ts=ts, action_id="deny")

    body = buttons.actions[0]
    assert body["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": "C0SALES",
        "is_ephemeral": False,
        "thread_ts": parent,
    }
    assert (body["message"]["thread_ts"], body["actions"][0]["style"]) == (parent, "danger")
    assert fake.wait_for(lambda: len(fake.ephemerals) == 1, timeout=5)
    assert fake.ephemerals[0]["thread_ts"] == parent  # the answer shows in the thread clicked in


def test_a_click_in_an_ephemeral_message(fake: FakeSlack, buttons: ButtonsApp) -> None:
    ts = buttons.client.chat_postEphemeral(channel="C0SALES", user="U0ALICE", text="Sure?", blocks=APPROVAL)[
        "message_ts"
    ]
    buttons.answer = lambda body, reply, client: reply(replace_original=True, text="Really?", blocks=APPROVAL[1:])

    with pytest.raises(ValueError, match="only U0ALICE sees"):
        fake.click(buttons.url, channel="C0SALES", ts=ts, action_id="approve", user_id="U0BOB")
    fake.click(buttons.url, channel="C0SALES", ts=ts, action_id="approve")

    body = buttons.actions[0]
    assert body["container"]["is_ephemeral"] is True
    assert "message" not in body  # Slack sends neither message nor state for an ephemeral message
    assert "state" not in body
    assert fake.wait_for(lambda: fake.ephemerals[0]["text"] == "Really?", timeout=5)
    assert fake.ephemerals[0]["blocks"] == APPROVAL[1:]
    buttons.answer = lambda body, reply, client: reply(delete_original=True)
    fake.click(buttons.url, channel="C0SALES", ts=ts, action_id="approve")
    assert fake.wait_for(lambda: fake.ephemerals[0].get("deleted") is True, timeout=5)
    assert len(fake.ephemerals) == 1
    with pytest.raises(ValueError, match="no message"):
        fake.click(buttons.url, channel="C0SALES", ts=ts, action_id="approve")


def test_two_people_clicking_approve_at_once(fake: FakeSlack, buttons: ButtonsApp) -> None:
    ts = buttons.post_approval()
    buttons.answer = lambda body, reply, client: reply(replace_original=True, text=f"Approved by {body['user']['id']}")
    people = [f"U0PERSON{n}" for n in range(8)]
    start = threading.Barrier(len(people))
    answers: dict[str, int] = {}

    def click(user_id: str) -> None:
        start.wait()
        answers[user_id] = fake.click(
            buttons.url, channel="C0SALES", ts=ts, action_id="approve", user_id=user_id
        ).status

    threads = [threading.Thread(target=click, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert answers == dict.fromkeys(people, 200)
    assert sorted(c.user_id for c in fake.clicks) == people
    assert len({c.trigger_id for c in fake.clicks}) == len({c.response_url for c in fake.clicks}) == len(people)
    assert fake.wait_for(lambda: len(fake.responses) == len(people), timeout=10)
    [message] = fake.messages("C0SALES")
    assert message.edits == len(people)
    assert message.text.startswith("Approved by U0PERSON")
    assert fake.violations == []


def test_replacing_a_message_that_is_gone_fails_without_blame(fake: FakeSlack, buttons: ButtonsApp) -> None:
    ts = buttons.post_approval()
    fake.click(buttons.url, channel="C0SALES", ts=ts, action_id="approve", user_id="U0ALICE")
    fake.click(buttons.url, channel="C0SALES", ts=ts, action_id="deny", user_id="U0BOB")
    first, second = (click.response_url or "" for click in fake.clicks)

    assert httpx.post(first, json={"delete_original": True}, timeout=5).text == "ok"
    late = httpx.post(second, json={"replace_original": True, "text": "Denied"}, timeout=5)

    # Two people clicked at once and the first answer deleted the message: the app is told, but did nothing wrong.
    assert (late.status_code, late.text) == (404, "message_not_found")
    assert fake.messages("C0SALES") == []
    assert len(fake.responses) == 2
    assert fake.violations == []

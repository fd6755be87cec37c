"""App Home in the fake Slack: views.publish, chat.getPermalink, a person opening the Home tab and clicking in it."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from simulators.slack import FakeSlack
from tests.simulators.slack.buttons_app import ButtonsApp
from tests.simulators.slack.samples import MODAL, pt

HOME: dict[str, Any] = {
    "type": "home",
    "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Your jobs*"}},
        {
            "type": "actions",
            "block_id": "job-1",
            "elements": [{"type": "button", "action_id": "run_again", "text": pt("Run again"), "value": "1"}],
        },
    ],
}


def _error(call: Any) -> str:
    with pytest.raises(SlackApiError) as err:
        call()
    return str(err.value.response["error"])


def test_views_publish_keeps_one_home_tab_per_person(fake: FakeSlack, client: WebClient) -> None:
    first = client.views_publish(user_id="U0ALICE", view=HOME)["view"]
    assert first["type"] == "home"
    assert fake.home_view("U0ALICE") == fake.view(first["id"])
    assert fake.home_view("U0BOB") is None

    again = client.views_publish(user_id="U0ALICE", view={**HOME, "blocks": HOME["blocks"][:1]})["view"]
    assert again["id"] == first["id"]  # replaced, not added
    view = fake.home_view("U0ALICE")
    assert view is not None
    assert len(view["blocks"]) == 1
    assert _error(lambda: client.views_publish(user_id="U0ALICE", view=HOME, hash=first["hash"])) == "hash_conflict"
    assert fake.violations == []


@pytest.mark.parametrize(
    ("view", "problem"),
    [
        (MODAL, "must be home"),
        ({**HOME, "title": pt("Home")}, "not allowed in a home view"),
        ({**HOME, "blocks": [{"type": "divider"}] * 101}, "at most 100"),
        ({**HOME, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": ""}}]}, "/view/blocks/0"),
    ],
)
def test_views_publish_refuses_a_view_that_is_no_valid_home_tab(
    fake: FakeSlack, client: WebClient, view: dict[str, Any], problem: str
) -> None:
    with pytest.raises(SlackApiError) as err:
        client.views_publish(user_id="U0ALICE", view=view)
    assert err.value.response["error"] == "invalid_arguments"
    assert any(problem in message for message in err.value.response["response_metadata"]["messages"])
    assert fake.violations
    assert fake.home_view("U0ALICE") is None


def test_views_publish_needs_a_person_of_the_tokens_workspace(fake: FakeSlack, client: WebClient) -> None:
    fake.add_team("T0OTHER", name="Other", domain="other")
    fake.add_user("U0OUTSIDER", team_id="T0OTHER")
    assert _error(lambda: client.views_publish(user_id="U0OUTSIDER", view=HOME)) == "user_not_found"
    assert _error(lambda: client.views_publish(user_id="C0SALES", view=HOME)) == "invalid_arguments"
    assert len(fake.violations) == 2


def test_chat_get_permalink_answers_in_slacks_shape(fake: FakeSlack, client: WebClient) -> None:
    ts = str(client.chat_postMessage(channel="C0SALES", text="Moving leads")["ts"])
    reply = str(client.chat_postMessage(channel="C0SALES", text="Done", thread_ts=ts)["ts"])

    answer = client.chat_getPermalink(channel="C0SALES", message_ts=ts)
    assert answer.data == {
        "ok": True,
        "channel": "C0SALES",
        "permalink": f"https://leadmover-test.slack.com/archives/C0SALES/p{ts.replace('.', '')}",
    }
    in_thread = client.chat_getPermalink(channel="C0SALES", message_ts=reply)["permalink"]
    assert in_thread.endswith(f"/p{reply.replace('.', '')}?thread_ts={ts}&cid=C0SALES")
    assert _error(lambda: client.chat_getPermalink(channel="C0SALES", message_ts="1.000001")) == "message_not_found"
    assert _error(lambda: client.chat_getPermalink(channel="C0NOWHERE", message_ts=ts)) == "channel_not_found"
    assert fake.violations == []


def test_opening_home_sends_app_home_opened_and_a_click_there_is_a_view_click(
    fake: FakeSlack, buttons: ButtonsApp
) -> None:
    opened: list[dict[str, Any]] = []
    seen = threading.Event()

    def home_opened(ack: Ack, event: dict[str, Any]) -> None:
        ack()
        opened.append(event)
        buttons.client.views_publish(user_id=event["user"], view=HOME)
        seen.set()

    buttons.app.event("app_home_opened")(home_opened)
    assert fake.open_home(buttons.url, user_id="U0ALICE").status == 200
    assert seen.wait(5)
    assert {k: opened[0][k] for k in ("type", "user", "channel", "tab")} == {
        "type": "app_home_opened",
        "user": "U0ALICE",
        "channel": "DU0ALICE",
        "tab": "home",
    }
    assert "view" not in opened[0]  # nothing was published yet
    view = fake.home_view("U0ALICE")
    assert view is not None

    assert fake.click_in_home(buttons.url, user_id="U0ALICE", action_id="run_again").status == 200
    [click] = buttons.actions
    assert click["container"] == {"type": "view", "view_id": view["id"]}
    assert click["view"]["type"] == "home"
    assert click["actions"][0]["value"] == "1"
    assert click["trigger_id"]
    assert "response_url" not in click

    seen.clear()
    fake.open_home(buttons.url, user_id="U0ALICE")
    assert seen.wait(5)
    assert opened[1]["view"]["id"] == view["id"]  # once published, Slack sends the tab along
    with pytest.raises(ValueError, match="no Home tab"):
        fake.click_in_home(buttons.url, user_id="U0BOB", action_id="run_again")
    assert fake.violations == []

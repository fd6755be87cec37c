"""The payloads the fake Slack sends when a person acts, in Slack's shape: Bolt must read them as it reads Slack's."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from slack_bolt.request import BoltRequest
from slack_bolt.request.payload_utils import is_block_suggestion, is_slash_command, is_view_submission

from simulators.slack.payloads import (
    block_suggestion_payload,
    command_fields,
    form_body,
    user_object,
    username_for,
    view_submission_payload,
)
from simulators.slack.protocol import Workspace
from tests.simulators.slack.samples import MODAL

WS = Workspace(
    team_id="T0TEAM",
    team_domain="acme",
    app_id="A0APP",
    bot_id="B0BOT",
    bot_user_id="U0BOT",
    verification_token="verify-me",
)
VIEW: dict[str, Any] = {**MODAL, "id": "V0VIEW", "state": {"values": {}}}
STATE: dict[str, dict[str, Any]] = {"count": {"count_input": {"type": "number_input", "value": "5"}}}
FORM: dict[str, str | Sequence[str]] = {"content-type": "application/x-www-form-urlencoded"}


def test_form_body_carries_the_payload_as_one_json_field() -> None:
    payload = {"type": "view_submission", "text": "a&b=c ü"}
    fields = parse_qs(form_body(payload))
    assert list(fields) == ["payload"]
    assert json.loads(fields["payload"][0]) == payload


@pytest.mark.parametrize(
    ("user_id", "handle"), [("U0ALICE", "alice"), ("W0BOB", "bob"), ("UCAROL", "carol"), ("U0", "u0")]
)
def test_username_for_makes_a_handle_from_the_id(user_id: str, handle: str) -> None:
    assert username_for(user_id) == handle


def test_user_object_names_the_user_and_the_team() -> None:
    assert user_object(WS, "U0ALICE") == {"id": "U0ALICE", "username": "alice", "name": "alice", "team_id": "T0TEAM"}


def test_command_fields_are_slacks_in_slacks_order_and_bolt_reads_them() -> None:
    fields = command_fields(
        ws=WS,
        command="/leads",
        text="move 10",
        user_id="U0ALICE",
        user_name="alice",
        channel_id="C0SALES",
        channel_name="sales",
        response_url="http://127.0.0.1:1/response/abc",
        trigger_id="1.2.abc",
    )

    assert list(fields) == [
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    ]
    assert all(isinstance(value, str) for value in fields.values())  # form fields: "false", not False
    request = BoltRequest(body=urlencode(fields), headers=FORM)
    assert is_slash_command(request.body)
    assert (request.body["command"], request.body["text"], request.body["token"]) == ("/leads", "move 10", "verify-me")
    context = request.context
    assert (context.team_id, context.user_id, context.channel_id) == ("T0TEAM", "U0ALICE", "C0SALES")
    assert context.is_enterprise_install is False
    assert context.response_url == "http://127.0.0.1:1/response/abc"


def test_view_submission_carries_the_view_with_its_state_and_leaves_the_view_alone() -> None:
    view = json.loads(json.dumps(VIEW))
    payload = view_submission_payload(ws=WS, view=view, state=STATE, user_id="U0ALICE", trigger_id="9.9.t")

    assert view == VIEW  # the stored view is not the one sent
    assert payload["view"]["state"] == {"values": STATE}
    assert payload["view"]["blocks"] == VIEW["blocks"]
    assert (payload["trigger_id"], payload["api_app_id"], payload["response_urls"]) == ("9.9.t", "A0APP", [])
    request = BoltRequest(body=form_body(payload), headers=FORM)
    assert is_view_submission(request.body)
    assert request.body["view"]["callback_id"] == "move_leads"
    assert (request.context.team_id, request.context.user_id) == ("T0TEAM", "U0ALICE")
    assert request.context.enterprise_id is None


def test_block_suggestion_names_the_block_the_select_sits_in() -> None:
    payload = block_suggestion_payload(
        ws=WS, view=VIEW, state=STATE, action_id="target_input", value="acm", user_id="U0BOB"
    )

    assert (payload["action_id"], payload["block_id"], payload["value"]) == ("target_input", "target", "acm")
    assert payload["container"] == {"type": "view", "view_id": "V0VIEW"}
    assert payload["view"]["state"] == {"values": STATE}
    assert VIEW["state"] == {"values": {}}
    request = BoltRequest(body=form_body(payload), headers=FORM)
    assert is_block_suggestion(request.body)
    assert (request.context.team_id, request.context.user_id) == ("T0TEAM", "U0BOB")


def test_block_suggestion_for_an_element_the_view_lacks_is_refused() -> None:
    with pytest.raises(ValueError, match="no element with action_id 'nope'"):
        block_suggestion_payload(ws=WS, view=VIEW, state={}, action_id="nope", value="abc", user_id="U0BOB")

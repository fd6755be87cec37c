"""An external select's initial_option: Slack cannot check it against options it never loaded, but refuses one that
is not a whole option with plain_text, in views.open and views.update alike."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from simulators.slack import FakeSlack
from simulators.slack.blockkit import check_view
from tests.simulators.slack.samples import MODAL, opt, pt


def _modal(**element: Any) -> dict[str, Any]:
    select = {"type": "external_select", "action_id": "source", "min_query_length": 0, **element}
    return {**MODAL, "blocks": [{"type": "input", "block_id": "source", "label": pt("From"), "element": select}]}


def test_a_whole_plain_text_option_is_taken_though_never_loaded() -> None:
    assert check_view(_modal(initial_option=opt("Acme Q1", "campaign:c1"))) == []
    multi = _modal(initial_options=[opt("Acme Q1", "campaign:c1")])
    multi["blocks"][0]["element"]["type"] = "multi_external_select"
    assert check_view(multi) == []


@pytest.mark.parametrize(
    ("initial", "message", "pointer"),
    [
        ({"text": {"type": "mrkdwn", "text": "*Acme*"}, "value": "v"}, "must be a plain_text", "/text"),
        ({"text": pt("Acme")}, "must provide a string value", "/value"),
        ({"text": pt(""), "value": "v"}, "more than 0 characters", "/text/text"),
        ("campaign:c1", "must be an option object", ""),
        ({"text": pt("A" * 76), "value": "v"}, "cannot exceed 75 characters", "/text/text"),
        ({"text": pt("A"), "value": "v" * 151}, "cannot exceed 150 characters", "/value"),
    ],
)
def test_a_broken_initial_option_is_refused(initial: Any, message: str, pointer: str) -> None:
    errors = check_view(_modal(initial_option=initial))
    where = f"[json-pointer:/view/blocks/0/element/initial_option{pointer}]"
    assert any(message in e and e.endswith(where) for e in errors), errors


def test_views_open_and_update_refuse_a_broken_initial_option(fake: FakeSlack, client: WebClient) -> None:
    broken = _modal(initial_option={"text": {"type": "mrkdwn", "text": "Acme"}, "value": "campaign:c1"})
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id=fake.issue_trigger_id(), view=broken)
    assert err.value.response["error"] == "invalid_arguments"
    fake.violations.clear()
    opened = client.views_open(trigger_id=fake.issue_trigger_id(), view=_modal())["view"]
    with pytest.raises(SlackApiError) as err:
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=broken)
    assert err.value.response["error"] == "invalid_arguments"
    assert "initial_option" in err.value.response["response_metadata"]["messages"][0]
    fake.violations.clear()
    good = _modal(initial_option=opt("Acme", "campaign:c1"))
    client.views_update(view_id=opened["id"], hash=opened["hash"], view=good)
    assert fake.view(opened["id"])["blocks"][0]["element"]["initial_option"] == opt("Acme", "campaign:c1")

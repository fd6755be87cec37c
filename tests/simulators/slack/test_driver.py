"""The fake Slack playing a person: signed commands, options loads and view submissions sent to a Bolt app."""

from __future__ import annotations

import pytest

from simulators.slack import FakeSlack
from tests.simulators.slack.samples import MOVE, BoltApp, opt, pt


def test_command_opens_modal_and_responds(fake: FakeSlack, bolt: BoltApp) -> None:
    answer = fake.send_command(bolt.url, text="move 10")
    assert answer.status == 200
    assert answer.elapsed < 3
    assert fake.wait_for(lambda: bool(fake.opened_views()) and bool(fake.responses), timeout=5)
    command = bolt.commands[0]
    assert (command["command"], command["text"], command["team_id"]) == ("/leads", "move 10", fake.team_id)
    assert command["response_url"].startswith(fake.base_url)
    [view] = fake.opened_views()
    assert view["id"].startswith("V")
    assert view["callback_id"] == "move_leads"
    assert view["hash"]
    assert fake.responses == [{"text": "Opening the lead mover"}]
    assert fake.violations == []


def test_command_with_a_trigger_id_finds_its_view(fake: FakeSlack, bolt: BoltApp) -> None:
    trigger = fake.issue_trigger_id()
    fake.send_command(bolt.url, text="move", trigger_id=trigger)
    assert fake.wait_for(lambda: fake.view_opened_by(trigger) is not None, timeout=5)
    assert fake.view_opened_by(fake.issue_trigger_id()) is None


def test_options_and_submission_state_shapes(fake: FakeSlack, bolt: BoltApp) -> None:
    fake.send_command(bolt.url, text="")
    assert fake.wait_for(lambda: bool(fake.opened_views()))
    view_id = fake.opened_views()[0]["id"]

    options = fake.load_options(bolt.url, view_id=view_id, action_id="target_input", value="cam")
    assert options.status == 200
    assert [o["value"] for o in options.json()["options"]] == ["camp-1", "camp-2"]

    values = {"note": "hello", "count": 25, "status": "paused", "target": "camp-2", "flags": ["dedupe"]}
    assert fake.submit_view(bolt.url, view_id=view_id, values=values).status == 200
    payload = bolt.submissions[0]
    assert payload["type"] == "view_submission"
    assert payload["user"]["id"] == "U0ALICE"
    assert payload["view"]["private_metadata"] == "ctx-1"
    assert payload["view"]["id"] == view_id
    state = payload["view"]["state"]["values"]
    assert state["note"]["note_input"] == {"type": "plain_text_input", "value": "hello"}
    assert state["count"]["count_input"] == {"type": "number_input", "value": "25"}
    assert state["mode"]["mode_input"] == {"type": "radio_buttons", "selected_option": MOVE}  # initial_option
    assert state["status"]["status_input"] == {"type": "static_select", "selected_option": opt("Paused", "paused")}
    assert state["target"]["target_input"] == {
        "type": "external_select",
        "selected_option": opt("Campaign 2 (cam)", "camp-2"),
    }
    assert state["flags"]["flags_input"] == {
        "type": "checkboxes",
        "selected_options": [opt("Skip duplicates", "dedupe")],
    }
    with pytest.raises(ValueError, match="closed"):
        fake.submit_view(bolt.url, view_id=view_id, values=values)
    assert fake.violations == []


def test_options_load_needs_an_external_select_and_enough_characters(fake: FakeSlack, bolt: BoltApp) -> None:
    fake.send_command(bolt.url, text="")
    assert fake.wait_for(lambda: bool(fake.opened_views()))
    view_id = fake.opened_views()[0]["id"]
    with pytest.raises(ValueError, match="not an external select"):
        fake.load_options(bolt.url, view_id=view_id, action_id="status_input", value="abc")
    with pytest.raises(ValueError, match="typed characters"):
        fake.load_options(bolt.url, view_id=view_id, action_id="target_input", value="")
    with pytest.raises(ValueError, match="unknown view"):
        fake.load_options(bolt.url, view_id="VNOPE", action_id="target_input", value="abc")


def test_submission_errors_and_client_side_checks(fake: FakeSlack, bolt: BoltApp) -> None:
    fake.send_command(bolt.url, text="")
    assert fake.wait_for(lambda: bool(fake.opened_views()))
    view_id = fake.opened_views()[0]["id"]
    with pytest.raises(ValueError, match="required"):
        fake.submit_view(bolt.url, view_id=view_id, values={"count": 3})
    with pytest.raises(ValueError, match="not an option"):
        fake.submit_view(bolt.url, view_id=view_id, values={"count": 3, "status": "nope", "target": "x"})
    values = {"count": 13, "status": {"text": pt("Done"), "value": "done"}, "target": opt("Other", "other")}
    answer = fake.submit_view(bolt.url, view_id=view_id, values=values)
    assert answer.json()["response_action"] == "errors"
    state = bolt.submissions[0]["view"]["state"]["values"]
    assert state["note"]["note_input"] == {"type": "plain_text_input", "value": None}
    assert state["flags"]["flags_input"] == {"type": "checkboxes", "selected_options": []}
    assert state["target"]["target_input"]["selected_option"] == opt("Other", "other")
    assert fake.violations == [f"view_submission {view_id}: errors names 'summary', which is not an input block"]
    assert fake.submit_view(bolt.url, view_id=view_id, values={**values, "count": 2}).status == 200  # still open

"""What a person's Slack client makes of a modal: ``view.state.values``, and the submissions it refuses to send."""

from __future__ import annotations

from typing import Any

import pytest

from simulators.slack.view_state import build_state_values, check_submittable, find_action
from tests.simulators.slack.samples import MODAL, MOVE, opt, pt


def _input(block_id: str, element: dict[str, Any], *, optional: bool = False) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": pt(block_id.title()),
        "optional": optional,
        "element": {"action_id": block_id, **element},
    }


def _view(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"id": "V0TEST", "type": "modal", "blocks": list(blocks)}


OPTIONS = [opt("Red", "red"), opt("Blue", "blue")]
EVERY_KIND = _view(
    _input("text", {"type": "plain_text_input", "initial_value": "hi"}),
    _input("number", {"type": "number_input", "is_decimal_allowed": False, "initial_value": 3}),
    _input("rich", {"type": "rich_text_input"}),
    _input("one", {"type": "static_select", "options": OPTIONS}),
    _input("many", {"type": "multi_static_select", "options": OPTIONS, "initial_options": [OPTIONS[1]]}),
    _input("boxes", {"type": "checkboxes", "options": OPTIONS}),
    _input("picker", {"type": "external_select"}),
    _input("users", {"type": "multi_users_select"}),
    _input("when", {"type": "datetimepicker"}),
    _input("day", {"type": "datepicker", "initial_date": "2026-01-02"}),
    {"type": "section", "block_id": "side", "text": pt("x"), "accessory": {"type": "users_select", "action_id": "who"}},
    {
        "type": "actions",
        "block_id": "row",
        "elements": [
            {"type": "button", "action_id": "go", "text": pt("Go")},
            {"type": "radio_buttons", "action_id": "left", "options": OPTIONS},
            {"type": "static_select", "action_id": "right", "options": OPTIONS},
        ],
    },
)


def test_untouched_elements_hold_their_initial_or_empty_state() -> None:
    state = build_state_values(EVERY_KIND, {}, {})

    assert state == {
        "text": {"text": {"type": "plain_text_input", "value": "hi"}},
        "number": {"number": {"type": "number_input", "value": "3"}},  # numbers travel as strings
        "rich": {"rich": {"type": "rich_text_input", "rich_text_value": None}},
        "one": {"one": {"type": "static_select", "selected_option": None}},
        "many": {"many": {"type": "multi_static_select", "selected_options": [OPTIONS[1]]}},
        "boxes": {"boxes": {"type": "checkboxes", "selected_options": []}},
        "picker": {"picker": {"type": "external_select", "selected_option": None}},
        "users": {"users": {"type": "multi_users_select", "selected_users": []}},
        "when": {"when": {"type": "datetimepicker", "selected_date_time": None}},
        "day": {"day": {"type": "datepicker", "selected_date": "2026-01-02"}},
        "side": {"who": {"type": "users_select", "selected_user": None}},
        "row": {
            "left": {"type": "radio_buttons", "selected_option": None},
            "right": {"type": "static_select", "selected_option": None},
        },  # the button holds no state
    }


def test_given_values_take_each_elements_shape() -> None:
    values = {
        "text": "hello",
        "number": 25,
        "rich": "bold move",
        "one": "blue",
        "many": ["red", {"text": pt("Blue"), "value": "blue"}],
        "boxes": "red",
        "picker": "camp-9",
        "users": "U0ALICE",
        "when": "1767225600",
        "who": "U0BOB",  # by action_id
        "row": {"left": "red", "right": None},  # a block with several elements, by action_id within it
    }

    state = build_state_values(EVERY_KIND, values, {})

    assert state["text"]["text"]["value"] == "hello"
    assert state["number"]["number"]["value"] == "25"
    assert state["rich"]["rich"]["rich_text_value"] == {
        "type": "rich_text",
        "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": "bold move"}]}],
    }
    assert state["one"]["one"]["selected_option"] == OPTIONS[1]
    assert state["many"]["many"]["selected_options"] == OPTIONS
    assert state["boxes"]["boxes"]["selected_options"] == [OPTIONS[0]]
    # An external select's options come from the app; unseen ones get the value as their label.
    assert state["picker"]["picker"]["selected_option"] == {
        "text": {"type": "plain_text", "text": "camp-9", "emoji": True},
        "value": "camp-9",
    }
    assert state["users"]["users"]["selected_users"] == ["U0ALICE"]
    assert state["when"]["when"]["selected_date_time"] == 1767225600
    assert state["side"]["who"]["selected_user"] == "U0BOB"
    assert state["row"] == {
        "left": {"type": "radio_buttons", "selected_option": OPTIONS[0]},
        "right": {"type": "static_select", "selected_option": None},
    }


def test_options_come_from_groups_and_from_what_the_app_offered() -> None:
    offered = [opt("Acme Q1 outbound", "c-1")]

    state = build_state_values(MODAL, {"status": "done", "target": "c-1", "count": 1}, {"target_input": offered})
    given = build_state_values(MODAL, {"target": opt("Typed by hand", "c-2")}, {"target_input": offered})

    assert state["status"]["status_input"]["selected_option"] == opt("Done", "done")  # from option_groups
    assert state["target"]["target_input"]["selected_option"] == offered[0]  # the label the app gave it
    assert state["mode"]["mode_input"]["selected_option"] == MOVE  # initial_option
    assert given["target"]["target_input"]["selected_option"] == opt("Typed by hand", "c-2")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"one": "green"}, "'green' is not an option of 'one'"),
        ({"one": {"value": "red"}}, "needs 'text' and 'value'"),
        ({"nowhere": "x"}, "has no input block or action_id 'nowhere'"),
        ({"row": "red"}, "block 'row' has several elements"),
    ],
)
def test_values_slack_could_not_hold_are_refused(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_state_values(EVERY_KIND, values, {})


def test_find_action_finds_the_element_and_its_block() -> None:
    block, element = find_action(EVERY_KIND, "right")
    assert (block["block_id"], element["type"]) == ("row", "static_select")
    with pytest.raises(ValueError, match="V0TEST has no element with action_id 'go'"):
        find_action(EVERY_KIND, "go")  # a button holds no state


def _submittable(view: dict[str, Any], values: dict[str, Any]) -> None:
    check_submittable(view, build_state_values(view, values, {}))


def test_check_submittable_refuses_an_empty_required_field() -> None:
    view = _view(
        _input("name", {"type": "plain_text_input"}), _input("note", {"type": "plain_text_input"}, optional=True)
    )
    _submittable(view, {"name": "Ann"})
    for empty in ({}, {"name": ""}):
        with pytest.raises(ValueError, match="required field 'Name' is empty"):
            _submittable(view, empty)


def test_check_submittable_refuses_numbers_the_number_input_would_not_take() -> None:
    whole = _view(_input("count", {"type": "number_input", "is_decimal_allowed": False}))
    decimal = _view(_input("share", {"type": "number_input", "is_decimal_allowed": True}))

    _submittable(whole, {"count": "-5000"})  # out of range is the app's to refuse
    _submittable(decimal, {"share": "2.5"})
    with pytest.raises(ValueError, match=r"'Count' = '2\.5' is not a valid number"):
        _submittable(whole, {"count": "2.5"})
    with pytest.raises(ValueError, match="not a valid number"):
        _submittable(decimal, {"share": "lots"})


def test_check_submittable_ignores_elements_outside_input_blocks() -> None:
    inputs = {"rich": "r", "one": "red", "boxes": "red", "picker": "p", "users": ["U0A"], "when": 1}
    _submittable(EVERY_KIND, inputs)  # the section's users_select and the actions row stay empty, and that is fine
    with pytest.raises(ValueError, match="'When' is empty"):
        _submittable(EVERY_KIND, {**inputs, "when": None})

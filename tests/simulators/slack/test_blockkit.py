"""Block Kit checks: our own rules, and the ones delegated to slack_sdk's models (each must still be caught)."""

from __future__ import annotations

from typing import Any

import pytest

from simulators.slack.blockkit import check_message_blocks, check_options, check_view
from tests.simulators.slack.samples import MODAL, opt, pt


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _button(**extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": pt("Go"), "action_id": "go", **extra}


def _input(element: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "input", "block_id": "b", "label": pt("Field"), "element": element, **extra}


def _select(**extra: Any) -> dict[str, Any]:
    return {"type": "static_select", "action_id": "pick", **extra}


def test_what_leadmover_sends_passes() -> None:
    assert check_view(MODAL) == []
    assert (
        check_message_blocks([_section("hi"), {"type": "divider"}, {"type": "actions", "elements": [_button()]}]) == []
    )
    assert check_options({"options": [opt("Acme", "acme")]}) == []
    assert check_options({"option_groups": [{"label": pt("Campaigns"), "options": [opt("Acme", "acme")]}]}) == []


# Rules slack_sdk's models miss: each (blocks, error message, JSON pointer).
OUR_MESSAGE_RULES = [
    ([{"type": "nope"}], "unknown block type 'nope'", "/blocks/0/type"),
    ([_section("")], "must be more than 0 characters", "/blocks/0/text/text"),
    (
        [{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}],
        "must be a plain_text text object",
        "/blocks/0/text",
    ),
    (
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}],
        "less than 2001",
        "/blocks/0/fields/0/text",
    ),
    ([{"type": "context", "elements": []}], "must provide at least 1 element", "/blocks/0/elements"),
    (
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x" * 3001}]}],
        "less than 3001",
        "/blocks/0/elements/0/text",
    ),
    ([{"type": "actions", "elements": [{"type": "nope"}]}], "unknown element type 'nope'", "/blocks/0/elements/0/type"),
    (
        [{"type": "divider", "block_id": "a"}, {"type": "divider", "block_id": "a"}],
        "block_id 'a' already exists",
        "/blocks/1/block_id",
    ),
    (
        [{"type": "actions", "elements": [_button(), _button()]}],
        "action_id 'go' already exists",
        "/blocks/0/elements/1/action_id",
    ),
    ([{"type": "divider"}] * 51, "must contain at most 50 items", "/blocks"),
    (
        [{"type": "actions", "elements": [_select(options=[])]}],
        "must provide at least 1 option",
        "/blocks/0/elements/0/options",
    ),
    (
        [{"type": "actions", "elements": [_select(options=[{"text": pt("x")}])]}],
        "must provide a string value",
        "/blocks/0/elements/0/options/0/value",
    ),
    (
        [{"type": "actions", "elements": [_select(options=[opt("a", "a")], initial_option=opt("b", "b"))]}],
        "must match one of the provided options",
        "/blocks/0/elements/0/initial_option",
    ),
    (
        [
            {
                "type": "actions",
                "elements": [_select(options=[opt("a", "a")], placeholder={"type": "mrkdwn", "text": "x"})],
            }
        ],
        "must be a plain_text text object",
        "/blocks/0/elements/0/placeholder",
    ),
]


@pytest.mark.parametrize(("blocks", "message", "pointer"), OUR_MESSAGE_RULES)
def test_our_rules_for_message_blocks(blocks: list[dict[str, Any]], message: str, pointer: str) -> None:
    errors = check_message_blocks(blocks)
    assert any(message in error and error.endswith(f"[json-pointer:{pointer}]") for error in errors), errors


OUR_VIEW_RULES = [
    ({**MODAL, "type": "home"}, "must be modal", "/view/type"),
    ({**MODAL, "submit": None}, "must provide submit when the view contains input blocks", "/view/submit"),
    ({**MODAL, "external_id": "x" * 256}, "less than 256", "/view/external_id"),
    ({**MODAL, "blocks": [_input(_button())]}, "must provide an input element", "/view/blocks/0/element"),
    (
        {
            **MODAL,
            "blocks": [
                _input({"type": "radio_buttons", "action_id": "r", "options": [opt(str(n), str(n)) for n in range(11)]})
            ],
        },
        "must provide at most 10 options",
        "/view/blocks/0/element/options",
    ),
    (
        {**MODAL, "blocks": [_input({"type": "number_input", "action_id": "n"})]},
        "must provide a boolean value",
        "/view/blocks/0/element/is_decimal_allowed",
    ),
    (
        {**MODAL, "blocks": [_input({"type": "plain_text_input", "action_id": "t", "max_length": 3001})]},
        "between 0 and 3000",
        "/view/blocks/0/element/max_length",
    ),
    (
        {
            **MODAL,
            "blocks": [
                _input({"type": "plain_text_input", "action_id": "t", "max_length": 10, "initial_value": "x" * 11})
            ],
        },
        "at most 10 characters",
        "/view/blocks/0/element/initial_value",
    ),
    (
        {**MODAL, "blocks": [_input({"type": "plain_text_input", "action_id": "t", "initial_value": "x" * 3001})]},
        "at most 3000 characters",
        "/view/blocks/0/element/initial_value",
    ),
]


@pytest.mark.parametrize(("view", "message", "pointer"), OUR_VIEW_RULES)
def test_our_rules_for_views(view: dict[str, Any], message: str, pointer: str) -> None:
    errors = check_view(view)
    assert any(message in error and error.endswith(f"[json-pointer:{pointer}]") for error in errors), errors


# Rules slack_sdk's models check for us: if the delegation broke, these would pass unnoticed.
SDK_MESSAGE_RULES = [
    ([_section("x" * 3001)], "text attribute cannot exceed 3000 characters", "/blocks/0/text/text"),
    (
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x"}] * 11}],
        "fields attribute cannot exceed 10 items",
        "/blocks/0/fields",
    ),
    ([{"type": "section", "block_id": "b"}], "text or fields attribute must be specified", "/blocks/0"),
    ([{"type": "header", "text": pt("x" * 151)}], "text attribute cannot exceed 150 characters", "/blocks/0/text/text"),
    ([{"type": "divider", "block_id": "x" * 256}], "block_id cannot exceed 255 characters", "/blocks/0/block_id"),
    (
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11}],
        "elements attribute cannot exceed 10 elements",
        "/blocks/0/elements",
    ),
    (
        [{"type": "actions", "elements": [_button(action_id=f"a{n}") for n in range(26)]}],
        "elements attribute cannot exceed 25 elements",
        "/blocks/0/elements",
    ),
    (
        [{"type": "actions", "elements": [_button(action_id="x" * 256)]}],
        "action_id attribute cannot exceed 255 characters",
        "/blocks/0/elements/0/action_id",
    ),
    (
        [{"type": "actions", "elements": [_button(text=pt("x" * 76))]}],
        "text attribute cannot exceed 75 characters",
        "/blocks/0/elements/0/text/text",
    ),
    (
        [{"type": "actions", "elements": [_button(value="x" * 2001)]}],
        "value attribute cannot exceed 2000 characters",
        "/blocks/0/elements/0/value",
    ),
    (
        [{"type": "actions", "elements": [_button(style="loud")]}],
        "style attribute must be one of the following values",
        "/blocks/0/elements/0/style",
    ),
    (
        [{"type": "actions", "elements": [_select(options=[opt("x" * 76, "a")])]}],
        "text attribute cannot exceed 75 characters",
        "/blocks/0/elements/0/options/0/text/text",
    ),
    (
        [{"type": "actions", "elements": [_select(options=[opt("a", "x" * 151)])]}],
        "value attribute cannot exceed 150 characters",
        "/blocks/0/elements/0/options/0/value",
    ),
    (
        [{"type": "actions", "elements": [_select(options=[opt("a", "a")] * 101)]}],
        "options attribute cannot exceed 100 elements",
        "/blocks/0/elements/0/options",
    ),
    (
        [{"type": "actions", "elements": [_select()]}],
        "options or option_groups must be specified",
        "/blocks/0/elements/0",
    ),
    (
        [
            {
                "type": "actions",
                "elements": [
                    _select(options=[opt("a", "a")], option_groups=[{"label": pt("g"), "options": [opt("a", "a")]}])
                ],
            }
        ],
        "options and option_groups cannot both be specified",
        "/blocks/0/elements/0/options",
    ),
    (
        [
            {
                "type": "actions",
                "elements": [_select(option_groups=[{"label": pt("x" * 76), "options": [opt("a", "a")]}])],
            }
        ],
        "label attribute cannot exceed 75 characters",
        "/blocks/0/elements/0/option_groups/0/label/text",
    ),
    (
        [
            {
                "type": "actions",
                "elements": [
                    {"type": "overflow", "action_id": "o", "options": [opt(str(n), str(n)) for n in range(6)]}
                ],
            }
        ],
        "options attribute must have between 1 and 5 items",
        "/blocks/0/elements/0/options",
    ),
    (
        [{"type": "image", "image_url": "https://x.io/a.png", "alt_text": "x" * 2001}],
        "alt_text attribute cannot exceed 2000 characters",
        "/blocks/0/alt_text",
    ),
]


@pytest.mark.parametrize(("blocks", "message", "pointer"), SDK_MESSAGE_RULES)
def test_slack_sdk_rules_for_message_blocks(blocks: list[dict[str, Any]], message: str, pointer: str) -> None:
    [error] = check_message_blocks(blocks)
    assert error.startswith(f"[ERROR] {message}")
    assert error.endswith(f"[json-pointer:{pointer}]")


SDK_VIEW_RULES = [
    ({**MODAL, "title": pt("x" * 25)}, "title must be between 1 and 24 characters", "/view/title/text"),
    ({**MODAL, "submit": pt("x" * 25)}, "submit cannot exceed 24 characters", "/view/submit/text"),
    ({**MODAL, "close": pt("x" * 25)}, "close cannot exceed 24 characters", "/view/close/text"),
    (
        {**MODAL, "private_metadata": "x" * 3001},
        "private_metadata cannot exceed 3000 characters",
        "/view/private_metadata",
    ),
    ({**MODAL, "callback_id": "x" * 256}, "callback_id cannot exceed 255 characters", "/view/callback_id"),
    ({**MODAL, "blocks": [{"type": "divider"}] * 101}, "views must contain between 1 and 100 blocks", "/view/blocks"),
    (
        {**MODAL, "blocks": [_input({"type": "plain_text_input", "action_id": "t"}, label=pt("x" * 2001))]},
        "label attribute cannot exceed 2000 characters",
        "/view/blocks/0/label/text",
    ),
    (
        {**MODAL, "blocks": [_input({"type": "plain_text_input", "action_id": "t", "placeholder": pt("x" * 151)})]},
        "placeholder attribute cannot exceed 150 characters",
        "/view/blocks/0/element/placeholder/text",
    ),
    (
        {**MODAL, "blocks": [_input({"type": "checkboxes", "action_id": "c", "options": [opt("x" * 76, "a")]})]},
        "text attribute cannot exceed 75 characters",
        "/view/blocks/0/element/options/0/text/text",
    ),
    (
        {**MODAL, "blocks": [_input({"type": "radio_buttons", "action_id": "r", "options": [opt("a", "x" * 151)]})]},
        "value attribute cannot exceed 150 characters",
        "/view/blocks/0/element/options/0/value",
    ),
]


@pytest.mark.parametrize(("view", "message", "pointer"), SDK_VIEW_RULES)
def test_slack_sdk_rules_for_views(view: dict[str, Any], message: str, pointer: str) -> None:
    [error] = check_view(view)
    assert error.startswith(f"[ERROR] {message}")
    assert error.endswith(f"[json-pointer:{pointer}]")


def test_slack_sdk_rules_for_options_answers() -> None:
    [error] = check_options({"options": [opt("x" * 76, "acme")]})
    assert error == "[ERROR] text attribute cannot exceed 75 characters [json-pointer:/options/0/text/text]"
    [error] = check_options({"options": [opt("Acme", "a")] * 101})
    assert error == "[ERROR] options attribute cannot exceed 100 elements [json-pointer:/options]"


def test_what_slack_sdk_cannot_read_is_reported_not_raised() -> None:
    [error] = check_message_blocks([{"type": "image", "image_url": "https://x.io/a.png"}])  # no alt_text
    assert error.startswith("[ERROR] slack_sdk cannot read it: TypeError(")
    assert error.endswith("[json-pointer:/blocks/0]")

"""What the fake Slack's parts share: reading JSON-or-object arguments, booleans and ids the way Slack does."""

from __future__ import annotations

from typing import Any

import pytest

from simulators.slack.protocol import ApiError, decode_arg, is_id, truthy


def test_decode_arg_reads_json_strings_and_passes_objects_through() -> None:
    blocks = [{"type": "divider"}]
    assert decode_arg({"blocks": '[{"type": "divider"}]'}, "blocks", error="invalid_blocks_format") == blocks
    assert decode_arg({"blocks": blocks}, "blocks", error="invalid_blocks_format") is blocks
    assert decode_arg({}, "blocks", error="invalid_blocks_format") is None


def test_decode_arg_answers_a_string_that_is_not_json_with_the_methods_error() -> None:
    with pytest.raises(ApiError) as err:
        decode_arg({"view": "{not json"}, "view", error="invalid_arguments")
    assert (err.value.error, err.value.status, err.value.violation) == ("invalid_arguments", 200, None)


@pytest.mark.parametrize(("value", "expected"), [(True, True), (1, True), ("true", True), ("TRUE", True), ("1", True)])
def test_truthy_reads_slacks_ways_of_saying_yes(value: Any, expected: bool) -> None:
    assert truthy(value) is expected


@pytest.mark.parametrize("value", [False, 0, "false", "0", "", None, "yes", 2])
def test_truthy_reads_everything_else_as_no(value: Any) -> None:
    assert truthy(value) is False


@pytest.mark.parametrize(
    ("value", "prefixes", "expected"),
    [
        ("U0BOB", "UW", True),
        ("W0BOB", "UW", True),
        ("C0SALES", "CG", True),
        ("C0SALES", "UW", False),
        ("U0", "UW", False),  # too short
        ("u0bob", "UW", False),
        ("U0-BOB", "UW", False),
        ("#sales", "CG", False),
    ],
)
def test_is_id_recognises_slack_ids_by_prefix(value: str, prefixes: str, expected: bool) -> None:
    assert is_id(value, prefixes) is expected

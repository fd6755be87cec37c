"""Slack's bodies are parsed as urllib and Bolt parse them, whatever the sender encoded."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.slack_body import form_fields, parse_body


@given(st.dictionaries(st.text(min_size=1), st.text(), max_size=5))
def test_an_encoded_form_reads_back_as_urllib_reads_it(fields: dict[str, str]) -> None:
    raw = urlencode(fields)

    assert form_fields(raw) == dict(parse_qsl(raw, keep_blank_values=True)) == fields


@given(st.text(alphabet=st.sampled_from("ab=&%+\\xé3F0zC"), max_size=40))
def test_any_body_reads_as_urllib_reads_it_even_broken_escapes(raw: str) -> None:
    assert form_fields(raw) == dict(parse_qsl(raw, keep_blank_values=True))


def test_an_interaction_is_its_payload_field_as_json() -> None:
    payload = {"type": "view_submission", "view": {"title": "Move leads → “Acme”", "text": "100% + 50%"}}

    assert parse_body(urlencode({"payload": json.dumps(payload)}), content_type=None) == payload


def test_a_command_that_mentions_payload_is_still_a_command() -> None:
    raw = urlencode({"command": "/leads", "text": "help", "channel_name": "payload-team"})

    assert parse_body(raw, content_type="application/x-www-form-urlencoded")["text"] == "help"


def test_json_bodies_are_read_as_json() -> None:
    assert parse_body('{"type": "event_callback"}', content_type="application/json") == {"type": "event_callback"}
    assert parse_body("", content_type=None) == {}


@pytest.mark.parametrize("raw", ["payload=" + quote("{broken"), "payload=" + quote("[1, 2]"), "[1]"])
def test_a_payload_that_is_not_a_json_object_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match=r"Expecting|not an object"):
        parse_body(raw, content_type="application/json" if raw == "[1]" else None)

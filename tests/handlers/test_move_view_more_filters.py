"""More filters: the e-mail list, provider, gateway and assignee stay off the form until asked for; the choice rides
in private_metadata, so a preview's rebuild keeps it; a field holding a value or a note is never hidden, and one on
the form never vanishes while it is used. "(optional)" is said only where Slack says it."""

from __future__ import annotations

import json
from typing import Any

from bot.pickers import Choice
from handlers import ids, more_filters, move_view
from handlers.prefill import Fill
from simulators.slack.view_state import build_state_values

MORE = set(more_filters.FIELDS)


def _ids(view: dict[str, Any]) -> list[str]:
    return [str(b.get("block_id", b["type"])) for b in view["blocks"]]


def _button(view: dict[str, Any]) -> dict[str, Any] | None:
    found = [b for b in view["blocks"] if b.get("block_id") == ids.MORE_FILTERS]
    return found[0]["elements"][0] if found else None


def _typed(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def _chosen(value: str, kind: str = "static_select", label: str = "") -> dict[str, Any]:
    return {"type": kind, "selected_option": {"value": value, "text": {"type": "plain_text", "text": label}}}


def _as_slack_has_it(view: dict[str, Any], **entered: Any) -> dict[str, Any]:
    """The view as a block_actions brings it back: with an id, a hash and its state, as the fake Slack makes it from
    the view and what the person `entered` (block_id: value)."""
    return view | {"id": "V1", "hash": "h1", "state": {"values": build_state_values(view, entered, {})}}


def test_a_new_form_shows_none_of_them_and_offers_more_filters_after_the_lead_status() -> None:
    view = move_view.build(channel_id="C1")
    assert not MORE & set(_ids(view))
    blocks = _ids(view)
    assert blocks[blocks.index(ids.FILTER) + 1] == ids.MORE_FILTERS
    assert _button(view) == {
        "type": "button",
        "action_id": ids.MORE_FILTERS,
        "text": {"type": "plain_text", "text": "More filters", "emoji": True},
        "value": more_filters.SHOW,
    }
    assert json.loads(view["private_metadata"]) == {"channel_id": "C1"}


def test_more_shows_all_four_in_their_places_with_fewer_filters_after_the_last_filter() -> None:
    view = move_view.build(channel_id="C1", more=True)
    blocks = _ids(view)
    after = [ids.FILTER, ids.CONTACTS, ids.ESP_CODE, ids.ESG_CODE, ids.MORE_FILTERS]
    assert blocks[blocks.index(ids.FILTER) :][:5] == after
    assert blocks.index(ids.ASSIGNED_TO) == blocks.index(ids.OPTIONS) - 1
    button = _button(view)
    assert button is not None
    assert (button["text"]["text"], button["value"]) == ("Fewer filters", more_filters.HIDE)
    assert json.loads(view["private_metadata"])["more"] is True


def test_a_field_holding_a_value_is_never_hidden() -> None:
    entered = {
        ids.ESP_CODE: {ids.ESP_CODE: _chosen("2")},
        ids.ASSIGNED_TO: {ids.ASSIGNED_TO: _chosen("member:u-1", "external_select", "Ann Lee")},
    }
    view = move_view.build(channel_id="C1", entered=entered)  # as Run again opens a job that had them
    shown = MORE & set(_ids(view))
    assert shown == {ids.ESP_CODE, ids.ASSIGNED_TO}
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks[ids.ESP_CODE]["element"]["initial_option"]["value"] == "2"
    button = _button(view)
    assert button is not None
    assert button["value"] == more_filters.SHOW, "the two left empty are still behind it"


def test_a_field_with_a_note_shows_it_and_one_with_every_field_filled_needs_no_button() -> None:
    noted = move_view.build(channel_id="C1", fill=Fill(notes={ids.ASSIGNED_TO: "Search for them here."}))
    assert MORE & set(_ids(noted)) == {ids.ASSIGNED_TO}
    entered = {
        ids.CONTACTS: {ids.CONTACTS: _typed("a@x.io")},
        ids.ESP_CODE: {ids.ESP_CODE: _chosen("2")},
        ids.ESG_CODE: {ids.ESG_CODE: _chosen("2")},
        ids.ASSIGNED_TO: {ids.ASSIGNED_TO: _chosen("member:u-1", "external_select", "Ann Lee")},
    }
    full = move_view.build(channel_id="C1", entered=entered)
    assert set(_ids(full)) >= MORE
    assert _button(full) is None, "nothing to show and nothing to hide"


def test_a_preview_keeps_the_form_open_or_closed_and_the_run_again_it_repeats() -> None:
    opened = _as_slack_has_it(move_view.build(channel_id="C1", more=True, run_again_of=7))
    rebuilt = move_view.rebuild(opened, preview="*12 leads*")
    assert set(_ids(rebuilt)) >= MORE
    assert json.loads(rebuilt["private_metadata"]) == {"channel_id": "C1", "run_again": 7, "more": True}
    closed = move_view.rebuild(_as_slack_has_it(move_view.build(channel_id="C1")), preview="*12 leads*")
    assert not MORE & set(_ids(closed))


def test_a_field_on_the_form_stays_while_it_is_emptied() -> None:
    """Typing in the e-mail list refreshes the preview at each pause: emptying it to type again must not take the
    field away from under the person's cursor."""
    view = move_view.build(channel_id="C1", entered={ids.CONTACTS: {ids.CONTACTS: _typed("a@x.io")}})
    assert ids.CONTACTS in _ids(view)
    emptied = move_view.rebuild(_as_slack_has_it(view, contacts=""), preview="*12 leads*")
    assert ids.CONTACTS in _ids(emptied)
    assert ids.ESP_CODE not in _ids(emptied)


def test_showing_them_keeps_the_preview_and_whatever_was_entered() -> None:
    view = move_view.build(channel_id="C1", fill=Fill(picked={ids.SOURCE: Choice("campaign:c1", "Acme")}))
    clicked = _as_slack_has_it(move_view.rebuild(_as_slack_has_it(view), preview="*1,250 leads*"), search="x")
    shown = move_view.rebuild(clicked, more=True)
    blocks = {b.get("block_id"): b for b in shown["blocks"]}
    assert blocks[ids.PREVIEW]["text"]["text"] == "*1,250 leads*"
    assert blocks[ids.SEARCH]["element"]["initial_value"] == "x"
    assert blocks[ids.SOURCE]["element"]["initial_option"]["value"] == "campaign:c1"
    assert set(blocks) >= MORE
    assert json.loads(shown["private_metadata"]) == {"channel_id": "C1", "more": True}


def test_hiding_them_takes_away_only_the_empty_ones_so_no_value_is_lost() -> None:
    view = _as_slack_has_it(
        move_view.build(channel_id="C1", more=True),
        esp_code="2",
        assigned_to={"value": "member:u-1", "text": {"type": "plain_text", "text": "Ann Lee"}},
    )
    hidden = move_view.rebuild(view, more=False)
    blocks = {b.get("block_id"): b for b in hidden["blocks"]}
    assert MORE & set(blocks) == {ids.ESP_CODE, ids.ASSIGNED_TO}
    assert blocks[ids.ESP_CODE]["element"]["initial_option"]["value"] == "2"
    assert blocks[ids.ASSIGNED_TO]["element"]["initial_option"]["text"]["text"] == "Ann Lee"
    assert json.loads(hidden["private_metadata"]) == {"channel_id": "C1"}
    button = _button(hidden)
    assert button is not None
    assert button["text"]["text"] == "More filters"


def test_a_click_says_what_it_wants_whatever_the_form_shows() -> None:
    assert more_filters.wanted({"value": more_filters.SHOW}) is True
    assert more_filters.wanted({"value": more_filters.HIDE}) is False
    assert more_filters.wanted({"value": "something else"}) is None


def test_optional_is_said_only_where_slack_says_it() -> None:
    """Slack writes "(optional)" after the label of every input it lets be left empty; the form adds it nowhere."""
    view = move_view.build(channel_id="C1", more=True)
    header = next(b for b in view["blocks"] if b["type"] == "header")
    assert header["text"]["text"] == "Which leads"
    assert "optional" not in json.dumps(view["blocks"]).replace('"optional": true', "").replace('"optional": false', "")
    optional = {b["block_id"] for b in view["blocks"] if b.get("optional")}
    assert optional == {ids.LIMIT, ids.SEARCH, ids.FILTER, ids.OPTIONS} | MORE


def test_a_preview_brings_back_no_hint_beside_a_field_filled_in_meanwhile() -> None:
    view = move_view.build(channel_id="C1")
    assert "hint" in next(b for b in view["blocks"] if b.get("block_id") == ids.SEARCH)
    rebuilt = move_view.rebuild(_as_slack_has_it(view, search="acme"), preview="*3 leads*")
    assert "hint" not in next(b for b in rebuilt["blocks"] if b.get("block_id") == ids.SEARCH)

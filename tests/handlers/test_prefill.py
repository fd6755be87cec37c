"""The words after `/leads move`: quoting, kinds, limits, what is refused in words, and what the modal then says."""

from __future__ import annotations

import pytest

from bot.pickers import Choice, Resolution, Suggestions
from handlers import ids, move_form, move_view, options
from handlers.prefill import Fill, Prefill, PrefillError, Wanted, looking_up, parse, resolved
from storage.orders import EndpointKind


def _error(text: str) -> str:
    with pytest.raises(PrefillError) as raised:
        parse(text)
    return raised.value.message


# --- reading the words -----------------------------------------------------------------------------------------


def test_nothing_after_the_verb_prefills_nothing() -> None:
    assert parse("") == Prefill()
    assert parse("   ") == Prefill()


def test_quoted_names_with_spaces_and_a_limit() -> None:
    assert parse('from:"Acme Outreach Q4" to:"Cold storage" limit:200') == Prefill(
        limit=200,
        named={ids.SOURCE: Wanted("Acme Outreach Q4"), ids.DESTINATION: Wanted("Cold storage")},
    )


def test_unquoted_single_words_and_any_order_and_case_of_keys() -> None:
    assert parse("LIMIT:5   To:warm from:acme") == Prefill(
        limit=5, named={ids.SOURCE: Wanted("acme"), ids.DESTINATION: Wanted("warm")}
    )


def test_a_kind_settles_campaign_or_list() -> None:
    parsed = parse('from:campaign:"Acme Q4" to:LIST:"Cold storage"')
    assert parsed.named == {
        ids.SOURCE: Wanted("Acme Q4", EndpointKind.CAMPAIGN),
        ids.DESTINATION: Wanted("Cold storage", EndpointKind.LIST),
    }
    assert parse("to:list:warm").named == {ids.DESTINATION: Wanted("warm", EndpointKind.LIST)}


def test_curly_quotes_from_autocorrect_and_unicode_names() -> None:
    assert parse("from:\u201cCaf\u00e9 \u2615 Q4\u201d to:\u201cK\u00f6ln\u201d").named == {
        ids.SOURCE: Wanted("Caf\u00e9 \u2615 Q4"),
        ids.DESTINATION: Wanted("K\u00f6ln"),
    }
    # Mixed: opened straight, closed curly.
    assert parse('from:"Acme Q4\u201d').named == {ids.SOURCE: Wanted("Acme Q4")}
    # A non-breaking space separates words too.
    assert parse("from:acme\u00a0to:warm").named == {ids.SOURCE: Wanted("acme"), ids.DESTINATION: Wanted("warm")}


def test_slack_escaping_is_undone_before_searching() -> None:
    # should_escape: true sends &, <, > as entities and @names as mention tokens.
    assert parse('from:"Sales &amp; Marketing" to:"a &lt;b&gt;"').named == {
        ids.SOURCE: Wanted("Sales & Marketing"),
        ids.DESTINATION: Wanted("a <b>"),
    }
    assert parse('from:"Leads <@U0ALICE|alice> <!subteam^S01|@team> <#C01|deals>"').named == {
        ids.SOURCE: Wanted("Leads @alice @team #deals")
    }
    # Only Slack's three entities are undone: a typed "&amp;copy" arrives as "&amp;amp;copy".
    assert parse('from:"R&amp;amp;copy"').named == {ids.SOURCE: Wanted("R&amp;copy")}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("frobnicate:1", "I don't know `frobnicate:`"),
        ("acme", "I don't know `acme`"),
        ('from:"Acme', "never closed"),
        ('from:"Acme"x', "space after the closing quote"),
        ('to:folder:"Cold storage"', "put the whole name in quotes"),
        ("from:acme from:globex", "given twice"),
        ('from:""', "needs the name"),
        ("from:", "needs the name"),
        ("limit:0", "`limit:0`"),
        ("limit:-5", "`limit:-5`"),
        ("limit:1.5", "`limit:1.5`"),
        ("limit:ten", "`limit:ten`"),
        ("limit:99999999999", "whole number"),
        ("limit:", "nothing after it"),
        ("from:" + "x" * 201, "longer than 200"),
    ],
)
def test_words_that_cannot_be_read_are_said_in_words(text: str, says: str) -> None:
    message = _error(text)
    assert says in message
    assert "from:" in message
    assert "limit:" in message


def test_the_largest_and_smallest_limits_are_taken() -> None:
    assert parse("limit:1").limit == 1
    assert parse("limit:10000000").limit == 10_000_000
    assert "10,000,000" in _error("limit:10000001")


def test_what_people_typed_is_escaped_in_the_error() -> None:
    message = _error("<!channel>:1 <@U0BOB>")
    # The mention tokens became "@channel" and "@U0BOB" text; nothing in the answer can notify anyone.
    assert "<!channel>" not in message
    assert "<@U0BOB>" not in message
    message = _error("&lt;!channel&gt;")
    assert "<!channel>" not in message
    assert "&lt;!channel&gt;" in message
    message = _error("weird:<b>&amp;")
    assert "<b>" not in message


# --- what the modal says -----------------------------------------------------------------------------------------


_ACME = Choice("campaign:c1", "Acme Outreach Q4")
_COLD = Choice("list:l1", "Cold storage")


def test_before_instantly_answers_each_named_field_says_it_is_being_looked_up() -> None:
    wanted = parse('from:"Acme Outreach Q4" limit:200')
    fill = looking_up(wanted)
    assert fill == Fill(limit=200, notes={ids.SOURCE: "Looking up \u201cAcme Outreach Q4\u201d in Instantly\u2026"})


def test_found_names_become_options_and_the_rest_notes() -> None:
    wanted = parse("from:acme to:list:cold limit:200 ")
    fill = resolved(wanted, {ids.SOURCE: Resolution(choice=_ACME), ids.DESTINATION: Resolution()})
    assert fill.picked == {ids.SOURCE: _ACME}
    assert fill.notes == {ids.DESTINATION: "No list is called \u201ccold\u201d. Pick one here."}


@pytest.mark.parametrize(
    ("text", "resolution", "note"),
    [
        ("from:acme", Resolution(), "No campaign or list is called \u201cacme\u201d. Pick one here."),
        (
            "from:acme",
            Resolution(campaigns=2, lists=1),
            "\u201cacme\u201d matches 2 campaigns and 1 list: pick one, or say from:campaign:\u201cacme\u201d or "
            "from:list:\u201cacme\u201d.",
        ),
        ("to:campaign:acme", Resolution(campaigns=3), "\u201cacme\u201d matches 3 campaigns: pick one."),
        ("to:acme", Resolution(lists=50, more=True), "\u201cacme\u201d matches at least 50 lists: pick one."),
        (
            "to:acme",
            Resolution(problem="Instantly was too slow to answer."),
            "Could not look up \u201cacme\u201d: Instantly was too slow to answer. Pick it here instead.",
        ),
    ],
)
def test_ambiguous_missing_and_failed_names_are_said_beside_the_field(
    text: str, resolution: Resolution, note: str
) -> None:
    wanted = parse(text)
    [block] = wanted.named
    assert resolved(wanted, {block: resolution}) == Fill(notes={block: note})


def test_a_long_name_is_shortened_in_the_note() -> None:
    wanted = parse('from:"' + "a" * 150 + '"')
    [note] = looking_up(wanted).notes.values()
    assert len(note) < 120
    assert "\u2026" in note


# --- the modal, built with a fill ------------------------------------------------------------------------------------


def _block(view: dict[str, object], block_id: str) -> dict[str, object]:
    blocks = view["blocks"]
    assert isinstance(blocks, list)
    return next(b for b in blocks if b.get("block_id") == block_id)


def test_the_modal_carries_the_options_the_limit_and_the_notes() -> None:
    fill = Fill(limit=200, picked={ids.SOURCE: _ACME}, notes={ids.DESTINATION: "No list is called \u201ccold\u201d."})
    view = move_view.build(channel_id="C1", fill=fill)
    source = _block(view, ids.SOURCE)
    assert source["element"]["initial_option"] == {  # type: ignore[index]
        "text": {"type": "plain_text", "text": "Acme Outreach Q4", "emoji": True},
        "value": "campaign:c1",
    }
    assert "hint" not in source
    destination = _block(view, ids.DESTINATION)
    assert "initial_option" not in destination["element"]  # type: ignore[operator]
    assert destination["hint"]["text"] == "No list is called \u201ccold\u201d."  # type: ignore[index]
    assert _block(view, ids.LIMIT)["element"]["initial_value"] == "200"  # type: ignore[index]


def test_the_modal_without_a_fill_is_unchanged() -> None:
    assert move_view.build(channel_id="C1") == move_view.build(channel_id="C1", fill=Fill())
    view = move_view.build(channel_id="C1")
    assert "initial_value" not in _block(view, ids.LIMIT)["element"]  # type: ignore[operator]


def test_a_long_label_is_cut_as_an_options_load_cuts_it_and_the_form_reads_it_back() -> None:
    long = Choice("list:l2", "L" * 90)
    view = move_view.build(channel_id="C1", fill=Fill(picked={ids.SOURCE: long, ids.DESTINATION: _ACME}))
    [offered] = options.option_groups(Suggestions(lists=(long,)))[0]["options"]
    source = _block(view, ids.SOURCE)["element"]
    assert source["initial_option"] == offered  # type: ignore[index]
    destination = _block(view, ids.DESTINATION)["element"]
    values = {
        ids.SOURCE: {ids.SOURCE: {"type": "external_select", "selected_option": source["initial_option"]}},  # type: ignore[index]
        ids.DESTINATION: {
            ids.DESTINATION: {"type": "external_select", "selected_option": destination["initial_option"]}  # type: ignore[index]
        },
    }
    order = move_form.parse({"state": {"values": values}})
    assert not isinstance(order, dict), order
    assert order.source.id == "l2"
    assert order.source.name == "L" * 75
    assert order.destination.name == "Acme Outreach Q4"

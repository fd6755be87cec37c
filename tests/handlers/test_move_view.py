"""The move modal's blocks: ids, element kinds, and the copy preselection."""

from __future__ import annotations

from bot.pickers import Choice, Suggestions
from handlers import ids, move_view, options
from storage.orders import MoveOptions


def _blocks(copy_leads: bool = False) -> dict[str, dict[str, object]]:
    view = move_view.build(channel_id="C1", copy_leads=copy_leads, more=True)
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def test_each_input_block_id_equals_its_action_id() -> None:
    for block_id, block in _blocks().items():
        element = block["element"]
        assert isinstance(element, dict)
        assert element["action_id"] == block_id


def test_fields_have_the_promised_kinds() -> None:
    kinds = {block_id: block["element"]["type"] for block_id, block in _blocks().items()}  # type: ignore[index]
    assert kinds == {
        ids.SOURCE: "external_select",
        ids.DESTINATION: "external_select",
        ids.MODE: "radio_buttons",
        ids.LIMIT: "number_input",
        ids.SEARCH: "plain_text_input",
        ids.FILTER: "static_select",
        ids.CONTACTS: "plain_text_input",
        ids.ASSIGNED_TO: "external_select",
        ids.ESP_CODE: "static_select",
        ids.ESG_CODE: "static_select",
        ids.OPTIONS: "checkboxes",
    }


def test_options_are_the_orders_on_off_options() -> None:
    element = _blocks()[ids.OPTIONS]["element"]
    assert [o["value"] for o in element["options"]] == list(MoveOptions.flag_names())  # type: ignore[index]


def test_copy_preselects_copying() -> None:
    assert _blocks(copy_leads=True)[ids.MODE]["element"]["initial_option"]["value"] == ids.MODE_COPY  # type: ignore[index]
    assert _blocks()[ids.MODE]["element"]["initial_option"]["value"] == ids.MODE_MOVE  # type: ignore[index]
    assert move_view.build(channel_id="C1", copy_leads=True)["callback_id"] == ids.MOVE_MODAL


def test_option_groups_separate_campaigns_and_lists_and_say_when_instantly_failed() -> None:
    suggestions = Suggestions(
        campaigns=(Choice("campaign:1", "Acme Q1"),),
        lists=(Choice("list:2", "Acme warm"),),
        problem="Instantly is slow to answer.",
    )
    groups = options.option_groups(suggestions)
    assert [g["label"]["text"] for g in groups] == ["Campaigns", "Lists", "Instantly"]
    assert groups[0]["options"][0]["value"] == "campaign:1"
    assert groups[2]["options"][0]["value"] == ids.UNAVAILABLE
    assert options.option_groups(Suggestions()) == []


def test_long_names_are_cut_to_slacks_limits() -> None:
    groups = options.option_groups(Suggestions(campaigns=(Choice("campaign:1", "x" * 200),)))
    assert len(groups[0]["options"][0]["text"]["text"]) == 75

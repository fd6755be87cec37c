"""The Home tab's builders: Run again is offered only for a job the move modal can hold again, and repeats all of
it (filters, options, assignee) as the modal's state."""

from __future__ import annotations

from dataclasses import replace

from bot.pickers import Choice
from handlers import home_view, ids, move_view
from storage.orders import LeadFilters, MoveOptions
from tests.factories import a_record, an_order


def _run_again_buttons(view: dict[str, object]) -> list[object]:
    blocks = view["blocks"]
    assert isinstance(blocks, list)
    return [b["accessory"]["action_id"] for b in blocks if "accessory" in b]


def test_a_move_back_of_a_thousand_emails_is_not_offered_again_and_a_short_list_is() -> None:
    emails = tuple(f"someone.with.a.long.name{n}@example.com" for n in range(1000))
    back = replace(a_record(), id=7, order=an_order().model_copy(update={"filters": LeadFilters(emails=emails)}))
    few = replace(a_record(), id=8, order=an_order().model_copy(update={"filters": LeadFilters(emails=emails[:3])}))

    view = home_view.build(jobs=[back, few], links={})

    assert _run_again_buttons(view) == [ids.home_run_again(8)]
    assert (
        home_view.cannot_run_again(back)
        == "This job named more e-mails than the form can hold, so it cannot be run again from here."
    )
    assert len("\n".join(emails)) > move_view.CONTACTS_MAX


def test_run_again_fills_in_every_filter_option_and_the_assignee() -> None:
    order = an_order().model_copy(
        update={
            "filters": LeadFilters(search="acme", lead_status="FILTER_VAL_CONTACTED", emails=("a@x.io", "b@x.io")),
            "options": MoveOptions(skip_duplicates=True, assign_to="u-1"),
        }
    )
    entered = home_view.run_again_entered(order, assignee=Choice("member:u-1", "Ann Lee (ann@x.io)"))
    view = move_view.build(channel_id="C1", fill=home_view.run_again_fill(order), entered=entered)
    elements = {b["block_id"]: b["element"] for b in view["blocks"] if b.get("type") == "input"}

    assert elements[ids.SEARCH]["initial_value"] == "acme"
    assert elements[ids.FILTER]["initial_option"]["value"] == "FILTER_VAL_CONTACTED"
    assert elements[ids.CONTACTS]["initial_value"] == "a@x.io\nb@x.io"
    assert [o["value"] for o in elements[ids.OPTIONS]["initial_options"]] == ["skip_duplicates"]
    assert elements[ids.ASSIGNED_TO]["initial_option"] == {
        "text": {"type": "plain_text", "text": "Ann Lee (ann@x.io)", "emoji": True},
        "value": "member:u-1",
    }


def test_an_assignee_instantly_no_longer_names_is_said_beside_the_field_not_dropped_silently() -> None:
    order = an_order().model_copy(update={"options": MoveOptions(assign_to="u-gone")})
    view = move_view.build(
        channel_id="C1", fill=home_view.run_again_fill(order, assignee_note=home_view.ASSIGNEE_NOT_FOUND)
    )
    [assignee] = [b for b in view["blocks"] if b.get("block_id") == ids.ASSIGNED_TO]
    assert assignee["hint"]["text"] == home_view.ASSIGNEE_NOT_FOUND
    assert "initial_option" not in assignee["element"]


def test_run_again_is_routed_for_every_job_and_for_tabs_published_before_buttons_carried_the_job() -> None:
    assert ids.HOME_RUN_AGAIN_ACTION.match(ids.home_run_again(12))
    assert ids.HOME_RUN_AGAIN_ACTION.match(ids.HOME_RUN_AGAIN)
    assert not ids.HOME_RUN_AGAIN_ACTION.match("home_run_again:x")


def test_neither_a_move_back_nor_a_job_whose_filters_were_forgotten_is_offered_again() -> None:
    back = replace(a_record(), id=3, order=an_order().model_copy(update={"takes_back": 2}))
    forgotten = replace(a_record(), id=4, details_forgotten=True)
    kept = replace(a_record(), id=5)

    view = home_view.build(jobs=[back, forgotten, kept], links={})

    assert _run_again_buttons(view) == [ids.home_run_again(5)]
    assert "Move back button" in str(home_view.cannot_run_again(back))
    assert "retention period" in str(home_view.cannot_run_again(forgotten))


def test_new_move_starts_in_the_latest_jobs_channels_mode_and_every_job_says_where_its_thread_is() -> None:
    waiting = a_record(announcement_channel=None, announcement_ts=None)
    view = home_view.build(jobs=[waiting], links={}, new_move_copies=True)
    buttons = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    [new] = [e for e in buttons if e["action_id"] == ids.HOME_NEW_MOVE]
    assert (new["text"]["text"], new["value"]) == ("New copy", waiting.channel_id)
    assert f"Thread to come in <#{waiting.channel_id}>" in str(view)
    assert ids.HOME_NEW_MOVE not in str(home_view.build(jobs=[], links={}, new_move_copies=False)), "no channel yet"

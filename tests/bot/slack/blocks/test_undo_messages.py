"""The Move back offer under a final reply: a button for a successful move Instantly ran (which leads moved is asked
when it is pressed), the reason when Instantly never named its job, nothing for a copy or a failure; and the
confirmation's question."""

from __future__ import annotations

from bot.slack.blocks import moved_leads_messages, thread_messages, undo_messages
from storage.models import Phase
from storage.records import JobRecord
from tests.factories import a_record, an_order, campaign, lead_list

ORDER = an_order(source=campaign("c1", "Acme <Q1>"), destination=lead_list("l1", "Warm"), limit=1500)


def _done(**changes: object) -> JobRecord:
    values: dict[str, object] = {
        "order": ORDER,
        "phase": Phase.DONE,
        "status": "success",
        "progress": 100,
        "moved_leads": 1234,
        "instantly_job_id": "job-1",
        **changes,
    }
    return a_record(**values)


def _actions(record: JobRecord) -> list[str]:
    _text, blocks = thread_messages.final_reply(record)
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_a_successful_move_offers_move_back_after_show_moved_leads() -> None:
    record = _done()
    assert _actions(record) == [moved_leads_messages.SHOW_MOVED_LEADS, undo_messages.MOVE_BACK]
    [actions] = [b for b in thread_messages.final_reply(record)[1] if b["type"] == "actions"]
    assert [e["value"] for e in actions["elements"]] == [str(record.id)] * 2


def test_a_move_without_an_instantly_job_says_why_there_is_no_button() -> None:
    record = _done(instantly_job_id=None)
    text, blocks = thread_messages.final_reply(record)
    assert _actions(record) == []
    assert "Instantly did not report which leads moved, so this move cannot be taken back here" in str(blocks)
    assert "taken back" not in text, "the notification text stays the outcome in words"


def test_a_copy_a_failure_and_an_empty_move_offer_nothing() -> None:
    copied = _done(order=an_order(source=ORDER.source, destination=ORDER.destination, copy=True))
    for record in (copied, _done(status="failed"), _done(moved_leads=0)):
        assert undo_messages.MOVE_BACK not in _actions(record)
        assert undo_messages.NOT_REPORTED not in str(thread_messages.final_reply(record)[1])


def test_a_move_backs_own_reply_offers_no_move_back_taking_it_back_again_is_a_new_move() -> None:
    moved_back = _done(order=ORDER.model_copy(update={"takes_back": 3}))
    assert _actions(moved_back) == [moved_leads_messages.SHOW_MOVED_LEADS]
    assert undo_messages.NOT_REPORTED not in str(thread_messages.final_reply(moved_back)[1])
    assert not undo_messages.offers_move_back(moved_back)


def test_the_confirmation_states_the_count_and_the_way_back_escaped() -> None:
    view = undo_messages.confirm_view(_done())
    assert undo_messages.question(_done()) == "Move 1,234 leads back from list Warm to campaign Acme &lt;Q1&gt;?"
    assert view["callback_id"] == undo_messages.CONFIRM_MODAL
    assert "only those go back" not in str(view["blocks"])
    assert (
        undo_messages.question(_done(moved_leads=None))
        == "Move the leads back from list Warm to campaign Acme &lt;Q1&gt;?"
    )
    assert "first 10,000" in str(undo_messages.confirm_view(_done(moved_leads=12_000))["blocks"])

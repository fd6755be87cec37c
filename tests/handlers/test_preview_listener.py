"""The preview listener's memory of open modals: only the newest action of a modal may retry over this process's own
update, updates of one modal take turns, and the memory stays bounded."""

from __future__ import annotations

from handlers.preview import _Latest


def test_only_the_newest_action_retries_and_over_the_hash_of_our_own_update() -> None:
    latest = _Latest()
    latest.saw("V1", "1700000000.000100")
    latest.saw("V1", "1700000000.000200")
    assert latest.retry_hash("V1", "1700000000.000200") is None, "no update of ours yet: nothing to retry over"
    latest.updated("V1", "h-ours")
    assert latest.retry_hash("V1", "1700000000.000200") == "h-ours"
    assert latest.retry_hash("V1", "1700000000.000100") is None, "an older action is dropped"
    latest.saw("V1", "1700000000.000150")  # delivered late, yet older than the newest
    assert latest.retry_hash("V1", "1700000000.000200") == "h-ours"


def test_one_modal_one_turn_and_the_oldest_modals_are_forgotten() -> None:
    latest = _Latest(size=2)
    turn = latest.saw("V1", "1.0")
    assert latest.saw("V1", "2.0") is turn
    assert latest.saw("V2", "1.0") is not turn
    latest.updated("V1", "h1")
    latest.saw("V3", "1.0")
    assert latest.retry_hash("V1", "2.0") is None, "V1 was the oldest and is forgotten"

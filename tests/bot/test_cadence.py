"""When a running job is looked at next (bot.cadence): the plain cadence, and the close looks around the end its pace
predicts, which start one interval early because every look sees a change up to an interval late."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.cadence import expected_end, fast_interval, next_poll_at, next_poll_delay

T0 = datetime(2026, 12, 6, 12, 0, 0)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_young_and_moving_jobs_are_polled_often_old_and_paused_ones_rarely() -> None:
    assert next_poll_delay(base=3, age_seconds=30, moved=False, status="in-progress") == 3
    assert next_poll_delay(base=3, age_seconds=3600, moved=True, status="in-progress") == 3
    quiet = [next_poll_delay(base=3, age_seconds=age, moved=False, status="in-progress") for age in (200, 700, 3600)]
    assert quiet == sorted(quiet)
    assert quiet[0] > 3
    assert quiet[-1] <= 60
    assert next_poll_delay(base=3, age_seconds=30, moved=False, status="paused") == 60


def test_the_pace_between_two_changes_says_when_the_job_ends() -> None:
    # 25% seen at 15 s, 50% at 30 s: a quarter every 15 s, so 100% at 60 s.
    assert expected_end(progress=50, seen_at=_at(30), before=25, before_seen_at=_at(15)) == _at(60)
    assert expected_end(progress=25, seen_at=_at(15), before=0, before_seen_at=_at(0)) == _at(60)


def test_no_pace_no_prediction() -> None:
    assert expected_end(progress=50, seen_at=_at(30), before=25, before_seen_at=None) is None
    assert expected_end(progress=25, seen_at=_at(30), before=50, before_seen_at=_at(15)) is None, "went back"
    assert expected_end(progress=100, seen_at=_at(30), before=50, before_seen_at=_at(15)) is None
    assert expected_end(progress=50, seen_at=_at(15), before=25, before_seen_at=_at(15)) is None


def test_far_from_its_end_a_job_keeps_the_plain_cadence() -> None:
    assert next_poll_at(now=_at(30), base=3, delay=3, expected_end_at=_at(60)) == _at(33)
    assert next_poll_at(now=_at(30), base=3, delay=3, expected_end_at=None) == _at(33)


def test_near_its_end_a_job_is_looked_at_from_one_interval_early_every_fast_interval() -> None:
    assert next_poll_at(now=_at(55), base=3, delay=3, expected_end_at=_at(60)) == _at(57), "the window opens at 57 s"
    assert fast_interval(3) == 1
    assert next_poll_at(now=_at(57), base=3, delay=3, expected_end_at=_at(60)) == _at(58)
    assert next_poll_at(now=_at(61), base=3, delay=3, expected_end_at=_at(60)) == _at(62), "still close, a bit after"


def test_a_job_long_past_its_expected_end_goes_back_to_the_plain_cadence() -> None:
    assert next_poll_at(now=_at(70), base=3, delay=3, expected_end_at=_at(60)) == _at(73)

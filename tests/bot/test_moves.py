"""How often a job is polled: often while young or moving, rarely when old or paused."""

from __future__ import annotations

from bot.moves import next_poll_delay


def test_young_and_moving_jobs_are_polled_often_old_and_paused_ones_rarely() -> None:
    assert next_poll_delay(base=3, age_seconds=30, moved=False, status="in-progress") == 3
    assert next_poll_delay(base=3, age_seconds=3600, moved=True, status="in-progress") == 3
    quiet = [next_poll_delay(base=3, age_seconds=age, moved=False, status="in-progress") for age in (200, 700, 3600)]
    assert quiet == sorted(quiet)
    assert quiet[0] > 3
    assert quiet[-1] <= 60
    assert next_poll_delay(base=3, age_seconds=30, moved=False, status="paused") == 60

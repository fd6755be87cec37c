"""Rate limiting for Slack writes: a token bucket that keeps a per-minute bound, and spacing per channel."""

from __future__ import annotations

from bot.slack.pacing import Spacing, TokenBucket
from bot.slack.writer import EDIT_BURST, EDITS_PER_SECOND
from tests.stand_ins import Clock


def test_the_edit_bucket_never_grants_more_than_fifty_in_any_minute() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=EDITS_PER_SECOND, capacity=EDIT_BURST, clock=clock)
    granted: list[float] = []
    while clock.now < 600:
        if bucket.try_take():
            granted.append(clock.now)
        clock.now += 0.05
    for i, start in enumerate(granted):
        assert sum(1 for t in granted[i:] if t < start + 60) <= 50
    assert len(granted) > 400  # and it does keep editing at close to the allowed pace


def test_slowing_down_halves_the_rate_for_a_while() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=1.0, capacity=1.0, clock=clock)
    bucket.slow_down(factor=0.5, seconds=10)
    assert bucket.rate == 0.5
    assert not bucket.try_take()
    clock.now = 2.0
    assert bucket.try_take()
    clock.now = 11.0
    assert bucket.rate == 1.0


def test_posts_are_spaced_per_channel_and_held_when_slack_asks() -> None:
    clock = Clock()
    spacing = Spacing(interval=1.0, clock=clock)
    assert spacing.try_take("C1")
    assert not spacing.try_take("C1")
    assert spacing.try_take("C2")
    assert spacing.busy() == {"C1", "C2"}
    clock.now = 1.0
    assert spacing.try_take("C1")
    spacing.hold("C1", 30)
    clock.now = 20.0
    assert not spacing.try_take("C1")
    assert spacing.wait_time("C1") == 11.0


def test_what_a_bucket_can_give_within_a_while_counts_what_it_has_and_what_comes() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=0.75, capacity=5.0, clock=clock)
    for _ in range(5):
        assert bucket.try_take()

    assert bucket.within(4.0) == 3.0
    bucket.slow_down(factor=0.5, seconds=60, drain=False)
    assert bucket.within(4.0) == 1.5

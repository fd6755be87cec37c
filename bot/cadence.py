"""When to ask Instantly about a running job next: every interval while it is young or moving, ever more rarely
while it is quiet, and often around the moment its pace says it ends, so its final reply comes soon after the end.

Pure: the poller's sweep (bot.poller) puts every job that is due in one request, so looking often at the few jobs
about to end costs a few ids in a batch, not a request each.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.instantly.schemas import JobStatus

# However fast a job moves, no more than this share of one interval between two looks at it.
FAST_SHARE = 1 / 3
# Looked at closely until this many intervals past its expected end; after that its pace was wrong: plain cadence.
OVERDUE_INTERVALS = 3


def fast_interval(base: float) -> float:
    """How often a job about to end is looked at (and how often the poller sweeps for due jobs)."""
    return base * FAST_SHARE


def next_poll_delay(*, base: float, age_seconds: float, moved: bool, status: str) -> float:
    """Young or moving jobs are polled every `base` seconds; quiet, old and paused ones ever more rarely."""
    ceiling = max(base, 60.0)
    if status == JobStatus.PAUSED:
        return ceiling
    if moved or age_seconds < 120:
        return base
    growth: float = 2.0 ** min(4, int(age_seconds // 300) + 1)
    return min(ceiling, base * growth)


def expected_end(*, progress: int, seen_at: datetime, before: int, before_seen_at: datetime | None) -> datetime | None:
    """When the job reaches 100% at the pace from `before` (first seen at `before_seen_at`) to `progress` (first seen
    at `seen_at`); None when there is no pace to go by. Both were seen up to an interval late, so the pace is fair
    and the end it gives is late by up to that lag: next_poll_at starts looking one interval early."""
    if before_seen_at is None or progress <= before or progress >= 100:
        return None
    seconds = (seen_at - before_seen_at).total_seconds()
    if seconds <= 0:
        return None
    per_second = (progress - before) / seconds
    return seen_at + timedelta(seconds=(100 - progress) / per_second)


def next_poll_at(*, now: datetime, base: float, delay: float, expected_end_at: datetime | None) -> datetime:
    """The plain cadence (`delay` from now), brought forward to the window around an expected end: from one interval
    before it, every fast interval, until OVERDUE_INTERVALS intervals after it."""
    plain = now + timedelta(seconds=delay)
    if expected_end_at is None or now > expected_end_at + timedelta(seconds=base * OVERDUE_INTERVALS):
        return plain
    opens = expected_end_at - timedelta(seconds=base)
    soonest = now + timedelta(seconds=fast_interval(base))
    return min(plain, max(soonest, opens))

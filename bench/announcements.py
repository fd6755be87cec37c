"""Which started jobs' announcements show the end (100%) in the fake Slack, and waiting a while for the rest once a
run has settled."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence

from bench.metrics import job_id_in
from simulators.slack import FakeSlack, Message

END_SHOWN = "100%"


class AnnouncementWatch:
    """Reads channels for announcements showing 100% and names each one's Instantly job: from its own metadata, or
    else from the final reply in its thread (leadmover may announce a move before Instantly has given it an id)."""

    def __init__(self, slack: FakeSlack, channels: Sequence[str], *, team_id: str | None = None) -> None:
        self._slack = slack
        self._channels = list(channels)
        self._team_id = team_id
        self._job_of: dict[tuple[str, str], str] = {}  # (channel, ts) -> job id; it never changes once known
        self._ended: set[str] = set()
        # Channels whose every announcement showed the end: a sweep copies every message of a channel, and at 5,000
        # jobs the bench would otherwise take CPU from the app it is timing.
        self._all_ended: set[str] = set()

    def jobs_at_end(self) -> set[str]:
        """The Instantly jobs whose announcement shows 100% by now (the end is a job's last edit: it stays)."""
        for channel in self._channels:
            if channel in self._all_ended:
                continue
            every_one = True
            for message in self._slack.messages(channel, team_id=self._team_id):
                job_id = self._job_of_announcement(channel, message) if END_SHOWN in message.text else ""
                if job_id:
                    self._ended.add(job_id)
                else:
                    every_one = False
            if every_one:
                self._all_ended.add(channel)
        return set(self._ended)

    def replies_after_the_end(self, started: Collection[str]) -> int:
        """How many of the `started` jobs' final replies came after their announcement showed the end: the
        announcement's last edit (or its post, if never edited) is older than the reply."""
        wanted, count = set(started), 0
        for channel in self._channels:
            for message in self._slack.messages(channel, team_id=self._team_id):
                if END_SHOWN not in message.text:
                    continue
                replies = self._slack.replies(channel, message.ts, team_id=self._team_id)
                reply = next((r for r in replies if job_id_in(r.metadata) in wanted), None)
                if reply is not None and _ts(message.edited_ts or message.ts) < _ts(reply.ts):
                    count += 1
        return count

    def _job_of_announcement(self, channel: str, message: Message) -> str:
        key = (channel, message.ts)
        job_id = self._job_of.get(key) or job_id_in(message.metadata)
        if not job_id:
            replies = self._slack.replies(channel, message.ts, team_id=self._team_id)
            job_id = next((found for reply in replies if (found := job_id_in(reply.metadata))), "")
        if job_id:
            self._job_of[key] = job_id
        return job_id


def _ts(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    return int(seconds), int(micros or 0)


def wait_for_announcements(
    watch: AnnouncementWatch,
    started: Collection[str],
    *,
    limit: float,
    alive: Callable[[], bool],
    poll: float = 1.0,
) -> tuple[int, float]:
    """Wait until the announcement of every job in `started` shows 100%, at most `limit` seconds and only while the
    app is alive. Returns how many did and the seconds waited (`limit` or a little more when not all did)."""
    began = time.monotonic()
    wanted = set(started)
    while True:
        done = len(watch.jobs_at_end() & wanted)
        waited = time.monotonic() - began
        if done >= len(wanted) or waited >= limit or not alive():
            return done, waited
        time.sleep(min(poll, max(0.0, limit - waited)))

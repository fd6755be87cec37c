"""The baseline: a job follower built the way other Instantly integrations do it, to compare leadmover with.

Instantly's starter kit, Pipedream and Activepieces each follow one job per request: `GET /background-jobs/{id}`
every few seconds (2 s here, the starter kit's pace). This one also posts an announcement when the job starts,
edits it on every change it sees, and posts the final reply in its thread the moment it sees the end. It keeps no
budget and no pacing: a 429 from Instantly just means "try again at the next tick", a Slack `ratelimited` edit is
dropped (the next change edits again) and a `ratelimited` post is retried after Slack's Retry-After.

It creates its own jobs with `POST /leads/move`, spread evenly over `--spread` seconds, then runs until killed, so
the benchmark can read its /proc figures the same way as leadmover's.

    python -m bench.baseline --instantly-url URL --instantly-key KEY --slack-url URL --slack-token TOKEN \\
        --jobs 100 --spread 300 --poll 2 --channels C1,C2 --source CAMPAIGN_ID --destination LIST_ID
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import heapq
import itertools
import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

TERMINAL = frozenset({"success", "failed", "cancelled"})
USER_AGENT = "baseline-follower/1.0 (leadmover benchmark)"


@dataclass
class _Job:
    number: int
    channel: str
    instantly_id: str = ""
    ts: str = ""  # the announcement
    seen: tuple[str, int] = ("", -1)
    status: str = ""
    progress: int = 0


class _Scheduler:
    """Run callables at given times on a fixed pool of worker threads."""

    def __init__(self, workers: int) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._cv = threading.Condition()
        self._threads = [threading.Thread(target=self._work, daemon=True) for _ in range(workers)]
        for thread in self._threads:
            thread.start()

    def at(self, when: float, task: Callable[[], None]) -> None:
        with self._cv:
            heapq.heappush(self._heap, (when, next(self._order), task))
            self._cv.notify()

    def _work(self) -> None:
        while True:
            with self._cv:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    self._cv.wait(None if not self._heap else max(0.0, self._heap[0][0] - time.monotonic()))
                _, _, task = heapq.heappop(self._heap)
            try:
                task()
            except Exception as exc:  # one job's bad answer must not stop the others
                print(f"baseline: task failed: {exc!r}", file=sys.stderr)


class Baseline:
    def __init__(
        self,
        *,
        instantly_url: str,
        instantly_key: str,
        slack_url: str,
        slack_token: str,
        jobs: int,
        spread: float,
        poll: float,
        channels: Sequence[str],
        source: str,
        destination: str,
        workers: int = 32,
    ) -> None:
        self._instantly = httpx.Client(
            base_url=instantly_url.rstrip("/") + "/",
            headers={"Authorization": f"Bearer {instantly_key}", "User-Agent": USER_AGENT},
            timeout=10.0,
            limits=httpx.Limits(max_connections=workers, max_keepalive_connections=workers),
        )
        self._slack = WebClient(token=slack_token, base_url=slack_url, timeout=10)
        self._jobs = jobs
        self._spread = spread
        self._poll = poll
        self._channels = list(channels)
        self._body = {"campaign": source, "to_list_id": destination}
        self._scheduler = _Scheduler(workers)
        self._done = 0
        self._lock = threading.Lock()
        self.finished = threading.Event()

    def run(self) -> None:
        start = time.monotonic()
        gap = self._spread / self._jobs if self._jobs else 0.0
        for number in range(self._jobs):
            job = _Job(number=number, channel=self._channels[number % len(self._channels)])
            self._scheduler.at(start + number * gap, functools.partial(self._start, job))
        if self._jobs == 0:
            self.finished.set()

    # --- one job -----------------------------------------------------------------------------------------

    def _later(self, seconds: float, task: Callable[[], None]) -> None:
        self._scheduler.at(time.monotonic() + seconds, task)

    def _start(self, job: _Job) -> None:
        response = self._instantly.post("leads/move", json=self._body)
        if response.status_code == 429:
            self._later(self._poll, lambda: self._start(job))
            return
        if response.status_code != 200:
            print(f"baseline: job {job.number} not started: {response.status_code}", file=sys.stderr)
            self._end()
            return
        answer = response.json()
        job.instantly_id = str(answer["id"])
        job.status, job.progress = str(answer["status"]), int(answer.get("progress") or 0)
        self._announce(job)

    def _metadata(self, job: _Job, event: str) -> dict[str, Any]:
        return {"event_type": event, "event_payload": {"instantly_job_id": job.instantly_id}}

    def _text(self, job: _Job) -> str:
        return f"Moving leads: {job.status} {job.progress}%"

    def _announce(self, job: _Job) -> None:
        try:
            answer = self._slack.chat_postMessage(
                channel=job.channel, text=self._text(job), metadata=self._metadata(job, "baseline_job_started")
            )
        except SlackApiError as exc:
            self._retry_post(job, exc, lambda: self._announce(job))
            return
        job.ts = str(answer["ts"])
        job.seen = (job.status, job.progress)
        self._later(self._poll, lambda: self._follow(job))

    def _follow(self, job: _Job) -> None:
        response = self._instantly.get(f"background-jobs/{job.instantly_id}")
        if response.status_code != 200:  # 429 or anything else: look again at the next tick
            self._later(self._poll, lambda: self._follow(job))
            return
        answer = response.json()
        job.status, job.progress = str(answer["status"]), int(answer.get("progress") or 0)
        if (job.status, job.progress) != job.seen:
            job.seen = (job.status, job.progress)
            # ratelimited or gone: the next change edits again
            with contextlib.suppress(SlackApiError):
                self._slack.chat_update(channel=job.channel, ts=job.ts, text=self._text(job))
        if job.status in TERMINAL:
            self._reply(job)
        else:
            self._later(self._poll, lambda: self._follow(job))

    def _reply(self, job: _Job) -> None:
        try:
            self._slack.chat_postMessage(
                channel=job.channel,
                thread_ts=job.ts,
                text=f"Job {job.instantly_id} ended: {job.status}",
                metadata=self._metadata(job, "baseline_job_finished"),
            )
        except SlackApiError as exc:
            self._retry_post(job, exc, lambda: self._reply(job))
            return
        self._end()

    def _retry_post(self, job: _Job, exc: SlackApiError, again: Callable[[], None]) -> None:
        if exc.response.get("error") == "ratelimited":
            wait = float(exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after") or 1)
            self._later(wait, again)
            return
        print(f"baseline: job {job.number}: Slack refused: {exc.response.get('error')}", file=sys.stderr)
        self._end()

    def _end(self) -> None:
        with self._lock:
            self._done += 1
            if self._done >= self._jobs:
                self.finished.set()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.baseline", description=__doc__.split("\n\n")[0])
    parser.add_argument("--instantly-url", required=True)
    parser.add_argument("--instantly-key", required=True)
    parser.add_argument("--slack-url", required=True)
    parser.add_argument("--slack-token", required=True)
    parser.add_argument("--jobs", type=int, required=True)
    parser.add_argument("--spread", type=float, required=True, help="seconds over which the jobs start")
    parser.add_argument("--poll", type=float, default=2.0, help="seconds between two looks at one job")
    parser.add_argument("--channels", required=True, help="comma-separated channel ids, used in turn")
    parser.add_argument("--source", required=True, help="campaign id to move leads from")
    parser.add_argument("--destination", required=True, help="lead list id to move leads to")
    parser.add_argument("--workers", type=int, default=32)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    baseline = Baseline(
        instantly_url=args.instantly_url,
        instantly_key=args.instantly_key,
        slack_url=args.slack_url,
        slack_token=args.slack_token,
        jobs=args.jobs,
        spread=args.spread,
        poll=args.poll,
        channels=args.channels.split(","),
        source=args.source,
        destination=args.destination,
        workers=args.workers,
    )
    print(json.dumps({"baseline": "started", "jobs": args.jobs}), flush=True)
    baseline.run()
    baseline.finished.wait()
    print(json.dumps({"baseline": "done"}), flush=True)
    # Stay alive (idle) until the benchmark has read our /proc figures and stops us.
    threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A watched workspace (issue 22): jobs started elsewhere at Instantly, which leadmover discovers and announces.

    python -m bench.run --watch --jobs 1000 [--time-scale 1] [--channels N] [--watch-seconds 30] [--drain S]
        [--json out.json]

Fresh fakes of Instantly and Slack run in this process with the real limits switched on (Instantly 100 requests/s
and 6,000/min, Slack `chat.update` about 50/min per workspace and `chat.postMessage` about 1/s per channel), and the
real app runs as a child process (`app.cli migrate`, then `app.cli serve --http`) with its defaults but for the
scaled POLL_INTERVAL_SECONDS and LEADMOVER_WATCH_SECONDS (`--watch-seconds` x the time scale, at least 1 s).

1. **The watch**, set before the first job by the admin U0WATCHADMIN: with one channel (the default), a signed
   bare `/leads watch` sent to the app as Slack does, so the channel hears of every type. The command's words name
   kinds ("imports" is two types), not single types, so N channels are written to the app's database with
   storage.watches.watch, which the command calls underneath. With N channels the jobs take N types (at least
   three: imports into lists, exports from campaigns, moves) and channel c watches types c, c + N, ...: leadmover
   announces a job in the first channel that hears of its type, so types are the only way to spread one
   workspace's jobs over channels, and Instantly names nine (JOB_KINDS): N is at most 9.
2. **The jobs**: `start_elsewhere` at Instantly, evenly over 5 minutes, job n of type n mod T, touching one of a
   few lists or campaigns and started by one of a few members (or "the API"); each runs pending -> 25 -> 50 -> 75
   -> success over a minute of wall clock. Nothing is started through leadmover.
3. **Figures**: announcements (once each, in the channel that watches the type, none missing), Instantly requests
   by kind (discovery listings, polls, name look-ups), 429s and Slack `ratelimited`; the discovery lag (creation at
   Instantly to the row leadmover wrote with via='watch', which queued the announcement: jobs.created_at), the
   announcement lag (creation to the announcement's chat.postMessage at the fake Slack), the posting wait between
   them, the final reply lag (the end at Instantly to the reply in the thread); per channel the posts and how fast
   they went out (Slack's post a second per channel is a floor on how soon N jobs can be told in one channel); the
   app's CPU seconds and peak RSS. A job never announced counts as an infinite lag: a percentile that lands on one
   shows as "not reached".
"""

from __future__ import annotations

import math
import resource
import shutil
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC
from pathlib import Path
from typing import Any, Final

from sqlalchemy import select

from bench.child import ROOT, Child, log_problems, start_leadmover_process
from bench.metrics import (
    JOBS_PATH,
    InstantlyHit,
    InstantlyLog,
    SlackHit,
    SlackLog,
    job_id_in,
    peak_in_window,
    per,
    percentile,
    shared_ids_in,
)
from bench.scenario import Scenario
from simulators.instantly import INSTANTLY_RATE_LIMITS, FakeInstantly, RecordedRequest
from simulators.slack import ApiCall, FakeSlack
from storage import watches
from storage.db import Database
from storage.models import JobRow

# Instantly's job types (its spec's enum) and what each touches: the first three are the mix the issue names.
JOB_KINDS: Final[tuple[tuple[str, str], ...]] = (
    ("import-leads", "list"),
    ("export-leads", "campaign"),
    ("move-leads", "list"),
    ("import-subscribers-from-crm", "list"),
    ("update-warmup-accounts", "workspace"),
    ("rename-variable", "campaign"),
    ("broadcast-ai-generate", "workspace"),
    ("broadcast-website-scrape", "workspace"),
    ("resync-subscriber-crm-tags", "workspace"),
)
MIN_TYPES: Final = 3
ADMIN: Final = "U0WATCHADMIN"
TOTALS: Final = (250, 1000, 5000)  # items per job, in turn
ENTITIES: Final = 4  # lists and campaigns the jobs touch, each
MEMBERS: Final = 3  # Instantly members who start jobs, besides the owner and "the API"
REPORT_EVERY: Final = 30.0
# How often the bench reads which jobs the shared messages name (leadmover numbers them; Instantly ids them).
RESOLVE_EVERY: Final = 2.0


@dataclass(frozen=True)
class WatchPlan:
    """How many jobs, over how many watched channels, and leadmover's LEADMOVER_WATCH_SECONDS before scaling."""

    jobs: int
    channels: int = 1
    watch_seconds: float = 30.0

    def __post_init__(self) -> None:
        if not 1 <= self.channels <= len(JOB_KINDS):
            raise ValueError(
                f"--channels must be 1 to {len(JOB_KINDS)}: a channel watches job types, and Instantly has "
                f"{len(JOB_KINDS)}"
            )
        if self.jobs < 0 or self.watch_seconds <= 0:
            raise ValueError("--jobs must be at least 0 and --watch-seconds positive")

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(kind for kind, _ in JOB_KINDS[: max(MIN_TYPES, self.channels)])

    def scaled_watch_seconds(self, time_scale: float) -> float:
        return max(1.0, self.watch_seconds * time_scale)  # the app takes no less (bot/settings.py)

    def channel_ids(self) -> list[str]:
        return [f"C0WATCH{n:02d}" for n in range(self.channels)]

    def type_of(self, number: int) -> str:
        return self.types[number % len(self.types)]

    def watched_types(self, channel: int) -> tuple[str, ...]:
        """What channel `channel` watches: every type (empty) when it is the only one."""
        if self.channels == 1:
            return ()
        return tuple(kind for n, kind in enumerate(self.types) if n % self.channels == channel)

    def channel_of(self, job_type: str) -> str:
        return self.channel_ids()[self.types.index(job_type) % self.channels]


# --- what the fakes saw ----------------------------------------------------------------------------------------


class WatchInstantlyLog(InstantlyLog):
    """InstantlyLog with discovery told apart from polling: a listing sorted by `updated_at` is discovery."""

    def __init__(self) -> None:
        super().__init__()
        self.rounds = 0  # first pages: one a discovery round

    def add(self, request: RecordedRequest) -> None:
        if request.path == JOBS_PATH and "sort_column" in request.query:
            hit = InstantlyHit(request.at, "discovery", request.status, request.workspace_id or "")
            with self._lock:
                self.hits.append(hit)
                if "starting_after" not in request.query:
                    self.rounds += 1
            return
        super().add(request)


class WatchSlackLog(SlackLog):
    """SlackLog that also indexes announcements: a top-level post naming its Instantly job. A message that several
    jobs share names them by leadmover's numbers, which `resolve` turns into Instantly's ids from the app's rows."""

    def __init__(self) -> None:
        super().__init__()
        self.announced: dict[str, list[tuple[float, str]]] = defaultdict(list)  # job id -> (when, channel) each
        # leadmover's job number -> (when, channel, in a thread) of each shared message or reply naming it
        self.shared: dict[int, list[tuple[float, str, bool]]] = defaultdict(list)
        self._instantly_ids: dict[int, str] = {}

    def add(self, call: ApiCall, status: int, answer: dict[str, Any]) -> None:
        shared = shared_ids_in(call.args.get("metadata")) if call.method == "chat.postMessage" else []
        if shared:  # indexed here by leadmover's numbers, not by the first job's Instantly id
            call = replace(call, args={key: value for key, value in call.args.items() if key != "metadata"})
        super().add(call, status, answer)
        if call.method != "chat.postMessage" or not answer.get("ok"):
            return
        channel, in_thread = str(call.args.get("channel") or ""), bool(call.args.get("thread_ts"))
        with self._lock:
            for number in shared:
                self.shared[number].append((call.at, channel, in_thread))
        job_id = job_id_in(call.args.get("metadata"))
        if job_id and not in_thread:
            with self._lock:
                self.announced[job_id].append((call.at, channel))

    def resolve(self, instantly_ids: dict[int, str]) -> None:
        """leadmover's job numbers -> Instantly's ids, as the app's rows say (read from its database)."""
        with self._lock:
            self._instantly_ids.update(instantly_ids)

    def _shared_by_instantly_id(self, *, in_thread: bool) -> dict[str, list[tuple[float, str]]]:
        found: dict[str, list[tuple[float, str]]] = defaultdict(list)
        for number, posts in self.shared.items():
            job_id = self._instantly_ids.get(number)
            if job_id:
                found[job_id] += [(at, channel) for at, channel, threaded in posts if threaded is in_thread]
        return found

    def announced_ids(self) -> set[str]:
        return set(self.announcements())

    def announcements(self) -> dict[str, list[tuple[float, str]]]:
        with self._lock:
            merged = {job_id: list(posts) for job_id, posts in self.announced.items()}
            for job_id, posts in self._shared_by_instantly_id(in_thread=False).items():
                merged.setdefault(job_id, []).extend(posts)
            return {job_id: posts for job_id, posts in merged.items() if posts}

    def replied(self) -> set[str]:
        return set(self.snapshot()[1])

    def snapshot(self) -> tuple[list[SlackHit], dict[str, list[float]], int]:
        hits, replies, notes = super().snapshot()
        with self._lock:
            for job_id, posts in self._shared_by_instantly_id(in_thread=True).items():
                replies.setdefault(job_id, []).extend(at for at, _ in posts)
        return hits, {job_id: times for job_id, times in replies.items() if times}, notes


@dataclass
class WatchFakes:
    slack: FakeSlack
    instantly: FakeInstantly
    slack_log: WatchSlackLog
    instantly_log: WatchInstantlyLog
    lists: list[str]
    campaigns: list[str]
    starters: list[str | None]  # Instantly user ids who start jobs; None: Instantly names no one (the API)


@contextmanager
def watch_fakes(scenario: Scenario, plan: WatchPlan) -> Iterator[WatchFakes]:
    slack_log, instantly_log = WatchSlackLog(), WatchInstantlyLog()
    limits = scenario.enforce_limits
    with (
        FakeSlack(
            record_calls=False,
            keep_history=False,
            on_call=slack_log.add,
            update_limit_per_minute=50 if limits else None,
            post_rate_per_channel=1.0 if limits else None,
            post_burst=3.0,
            keep_alive=True,
        ) as slack,
        FakeInstantly(
            job_duration=scenario.job_duration,
            rate_limits=INSTANTLY_RATE_LIMITS if limits else (),
            record_requests=False,
            on_request=instantly_log.add,
        ) as instantly,
    ):
        slack.add_user(ADMIN, is_admin=True)
        for n, channel in enumerate(plan.channel_ids()):
            slack.add_channel(channel, f"watch-{n:02d}")
        lists = [instantly.add_list(f"Bench inbound {n}", leads=0) for n in range(ENTITIES)]
        campaigns = [instantly.add_campaign(f"Bench outbound {n}", leads=20) for n in range(ENTITIES)]
        members: list[str | None] = [
            instantly.add_member(f"member{n}@bench.example", first="Member", last=str(n)) for n in range(MEMBERS)
        ]
        starters = [instantly.owner_user_id, *members, None]
        yield WatchFakes(slack, instantly, slack_log, instantly_log, lists, campaigns, starters)


def start_job(f: WatchFakes, plan: WatchPlan, number: int) -> str:
    """Job `number`, started at Instantly by someone else: its type, what it touches and who started it rotate."""
    job_type = plan.type_of(number)
    touches = dict(JOB_KINDS)[job_type]
    pool = {"list": f.lists, "campaign": f.campaigns}.get(touches)
    entity = (touches, pool[number % len(pool)]) if pool else None
    return f.instantly.default_workspace.start_elsewhere(
        job_type, total=TOTALS[number % len(TOTALS)], entity=entity, user_id=f.starters[number % len(f.starters)]
    )


class Starter:
    """Starts the jobs evenly over the spread, noting each one's wall-clock creation (the app's clock is the same)."""

    def __init__(self, f: WatchFakes, plan: WatchPlan, spread: float) -> None:
        self._f, self._plan, self._spread = f, plan, spread
        self._lock = threading.Lock()
        self.created_wall: dict[str, float] = {}  # job id -> time.time() when it was started
        self.types: dict[str, str] = {}  # job id -> its type
        self.lag_max = 0.0
        self.failures: list[str] = []

    def run(self, begin: float) -> None:
        interval = self._spread / self._plan.jobs if self._plan.jobs else 0.0
        for number in range(self._plan.jobs):
            due = begin + number * interval
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self.lag_max = max(self.lag_max, time.monotonic() - due)
            wall = time.time()
            try:
                job_id = start_job(self._f, self._plan, number)
            except Exception as exc:  # the fake refusing a type would be a bench bug: count it, carry on
                self.failures.append(f"job {number}: {exc!r}")
                continue
            with self._lock:
                self.created_wall[job_id] = wall
                self.types[job_id] = self._plan.type_of(number)

    def started(self) -> dict[str, float]:
        with self._lock:
            return dict(self.created_wall)

    def job_types(self) -> dict[str, str]:
        with self._lock:
            return dict(self.types)


# --- the figures -----------------------------------------------------------------------------------------------


@dataclass
class ChannelFigures:
    channel: str
    watches: str  # the types, or "every type"
    jobs: int = 0  # started jobs of the types it watches
    announced: int = 0
    posts: int = 0  # chat.postMessage that Slack took: announcements and final replies
    first_post: float | None = None  # seconds after the first job started
    last_post: float | None = None
    posts_per_second: float | None = None  # posts / (last - first): the floor is about 1
    announcement_lag_p95: float | None = None
    posting_wait_p95: float | None = None


@dataclass
class WatchFigures:
    """Every figure of one watched-workspace run. A lag percentile of None with `*_missing` > 0: not reached."""

    jobs: int
    channels: int
    time_scale: float
    watch_seconds: float  # LEADMOVER_WATCH_SECONDS as the app ran it (scaled)
    poll_interval: float  # POLL_INTERVAL_SECONDS as the app ran it (scaled)
    spread: float
    job_seconds: float
    mode: str = "watch"
    watch_set_via: str = ""
    # announcements
    jobs_started: int = 0
    jobs_followed: int = 0  # rows the app wrote with via='watch'
    jobs_announced: int = 0
    duplicate_announcements: int = 0  # announcements beyond each job's first
    not_announced: int = 0
    wrong_channel: int = 0  # announced in a channel that does not watch the type
    channel_duplicates: int = 0  # the same, counted from the channels' messages at the end (a cross-check)
    jobs_replied: int = 0
    duplicate_replies: int = 0
    # Instantly
    instantly_requests: int = 0
    discovery_requests: int = 0
    discovery_rounds: int = 0
    poll_requests: int = 0
    picker_requests: int = 0  # names of lists, campaigns and members for the announcements
    other_requests: int = 0
    polls_per_job_minute: float | None = None
    instantly_429s: int = 0
    peak_instantly_1s: int = 0
    peak_instantly_60s: int = 0
    peak_discovery_60s: int = 0
    # Slack
    slack_calls: int = 0
    posts: int = 0
    updates: int = 0
    peak_updates_per_minute: int = 0
    peak_posts_per_channel_second: int = 0
    slack_ratelimited: int = 0
    # lags (seconds)
    discovery_lag_p50: float | None = None
    discovery_lag_p95: float | None = None
    discovery_lag_max: float | None = None
    discovery_missing: int = 0
    announcement_lag_p50: float | None = None
    announcement_lag_p95: float | None = None
    announcement_lag_max: float | None = None
    announcement_missing: int = 0
    posting_wait_p50: float | None = None  # from being followed to the announcement's post
    posting_wait_p95: float | None = None
    posting_wait_max: float | None = None
    final_lag_p50: float | None = None
    final_lag_p95: float | None = None
    final_lag_max: float | None = None
    final_missing: int = 0  # jobs that ended with no final reply by the end of the run
    # the process and the run
    peak_rss_mb: float | None = None
    cpu_seconds: float | None = None
    wall_seconds: float = 0.0
    settled_seconds: float | None = None  # from the first job's start until every job was announced and replied
    start_lag_max: float = 0.0
    bench_cpu_seconds: float = 0.0
    app_version: str = ""
    per_channel: list[ChannelFigures] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def lag_bound(self) -> float:
        """The issue's bound on the announcement lag p95: LEADMOVER_WATCH_SECONDS plus one poll interval."""
        return self.watch_seconds + self.poll_interval

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def from_dict(data: dict[str, Any]) -> WatchFigures:
    known = {f.name for f in fields(WatchFigures)}
    figures = WatchFigures(**{key: value for key, value in data.items() if key in known and key != "per_channel"})
    figures.per_channel = [ChannelFigures(**row) for row in data.get("per_channel", [])]
    return figures


def spread_of(values: Sequence[float], missing: int = 0) -> tuple[float | None, float | None, float | None]:
    """p50, p95 and max of `values` with `missing` infinite ones besides; None where that lands on one of those."""
    every = [*values, *([math.inf] * missing)]

    def finite(value: float | None) -> float | None:
        return None if value is None or math.isinf(value) else value

    return finite(percentile(every, 50)), finite(percentile(every, 95)), finite(max(every, default=None))


@dataclass
class Observed:
    """What one run saw, raw: the inputs of `compute`."""

    created_wall: dict[str, float]  # job id -> time.time() at its start
    job_times: dict[str, tuple[float, float | None]]  # job id -> (created, ended) in time.monotonic()
    job_types: dict[str, str]
    followed: dict[str, tuple[float, str]]  # job id -> (time.time() its row was written, its channel)
    announcements: dict[str, list[tuple[float, str]]]  # job id -> (time.monotonic(), channel) of each announcement
    replies: dict[str, list[float]]
    instantly: list[InstantlyHit]
    slack: list[SlackHit]
    rounds: int
    begin: float  # time.monotonic() when the first job was due
    now: float  # time.monotonic() when the run was over


def compute(figures: WatchFigures, plan: WatchPlan, seen: Observed) -> WatchFigures:
    f = figures
    started = list(seen.created_wall)
    f.jobs_started = len(started)
    f.jobs_followed = sum(1 for job_id in started if job_id in seen.followed)
    f.jobs_announced = sum(1 for job_id in started if seen.announcements.get(job_id))
    f.duplicate_announcements = sum(len(posts) - 1 for posts in seen.announcements.values() if len(posts) > 1)
    f.not_announced = f.jobs_started - f.jobs_announced
    f.wrong_channel = sum(
        1
        for job_id, posts in seen.announcements.items()
        if job_id in seen.job_types and any(channel != plan.channel_of(seen.job_types[job_id]) for _, channel in posts)
    )
    f.jobs_replied = sum(1 for job_id in started if seen.replies.get(job_id))
    f.duplicate_replies = sum(len(times) - 1 for times in seen.replies.values() if len(times) > 1)

    hits = seen.instantly
    f.instantly_requests = len(hits)
    f.discovery_requests = sum(1 for hit in hits if hit.kind == "discovery")
    f.discovery_rounds = seen.rounds
    f.poll_requests = sum(1 for hit in hits if hit.kind == "poll")
    f.picker_requests = sum(1 for hit in hits if hit.kind == "picker")
    f.other_requests = f.instantly_requests - f.discovery_requests - f.poll_requests - f.picker_requests
    lifetimes = [(end if end is not None else seen.now) - created for created, end in seen.job_times.values()]
    f.polls_per_job_minute = per(f.poll_requests, sum(lifetimes) / 60 / f.time_scale)
    f.instantly_429s = sum(1 for hit in hits if hit.status == 429)
    f.peak_instantly_1s = peak_in_window((hit.at for hit in hits), 1.0)
    f.peak_instantly_60s = peak_in_window((hit.at for hit in hits), 60.0)
    f.peak_discovery_60s = peak_in_window((hit.at for hit in hits if hit.kind == "discovery"), 60.0)

    calls = seen.slack
    f.slack_calls = len(calls)
    posts = [hit for hit in calls if hit.method == "chat.postMessage" and hit.ok]
    f.posts = len(posts)
    f.updates = sum(1 for hit in calls if hit.method == "chat.update" and hit.ok)
    f.peak_updates_per_minute = peak_in_window((hit.at for hit in calls if hit.method == "chat.update"), 60.0)
    posts_in: dict[str, list[float]] = defaultdict(list)
    for hit in posts:
        posts_in[hit.channel].append(hit.at)
    f.peak_posts_per_channel_second = max((peak_in_window(times, 1.0) for times in posts_in.values()), default=0)
    f.slack_ratelimited = sum(1 for hit in calls if hit.error == "ratelimited")

    discovery, announced, waits, finals = {}, {}, {}, []
    for job_id, wall in seen.created_wall.items():
        if job_id in seen.followed:
            discovery[job_id] = seen.followed[job_id][0] - wall
        created, ended = seen.job_times.get(job_id, (None, None))
        first = min((at for at, _ in seen.announcements.get(job_id, [])), default=None)
        if created is not None and first is not None:
            announced[job_id] = first - created
            if job_id in discovery:
                waits[job_id] = announced[job_id] - discovery[job_id]
        reply = min(seen.replies.get(job_id, []), default=None)
        if ended is not None and reply is not None:
            finals.append(reply - ended)
    f.discovery_missing = f.jobs_started - len(discovery)
    f.discovery_lag_p50, f.discovery_lag_p95, f.discovery_lag_max = spread_of(
        list(discovery.values()), f.discovery_missing
    )
    f.announcement_missing = f.jobs_started - len(announced)
    f.announcement_lag_p50, f.announcement_lag_p95, f.announcement_lag_max = spread_of(
        list(announced.values()), f.announcement_missing
    )
    f.posting_wait_p50, f.posting_wait_p95, f.posting_wait_max = spread_of(list(waits.values()), f.announcement_missing)
    ended_jobs = sum(1 for job_id in started if seen.job_times.get(job_id, (0.0, None))[1] is not None)
    f.final_missing = ended_jobs - len(finals)
    f.final_lag_p50, f.final_lag_p95, f.final_lag_max = spread_of(finals, f.final_missing)

    f.per_channel = []
    for index, channel in enumerate(plan.channel_ids()):
        types = plan.watched_types(index)
        row = ChannelFigures(channel, ", ".join(types) or "every type")
        mine = [job_id for job_id in started if plan.channel_of(seen.job_types.get(job_id, plan.types[0])) == channel]
        row.jobs = len(mine)
        row.announced = sum(1 for job_id in mine if job_id in announced)
        times = sorted(posts_in.get(channel, []))
        row.posts = len(times)
        if times:
            row.first_post, row.last_post = times[0] - seen.begin, times[-1] - seen.begin
            row.posts_per_second = per(len(times) - 1, times[-1] - times[0])
        missing = row.jobs - row.announced
        row.announcement_lag_p95 = spread_of([announced[j] for j in mine if j in announced], missing)[1]
        row.posting_wait_p95 = spread_of([waits[j] for j in mine if j in waits], missing)[1]
        f.per_channel.append(row)
    return f


# --- one run ---------------------------------------------------------------------------------------------------


def start_app(scenario: Scenario, plan: WatchPlan, f: WatchFakes, workdir: Path) -> tuple[Child, str]:
    settings = {
        "SLACK_BOT_TOKEN": f.slack.bot_token,
        "SLACK_SIGNING_SECRET": f.slack.signing_secret,
        "SLACK_API_URL": f.slack.api_url,
        "INSTANTLY_API_KEY": f.instantly.api_key,
        "INSTANTLY_API_URL": f.instantly.base_url,
        "DATABASE_URL": database_url(workdir),
        "POLL_INTERVAL_SECONDS": f"{scenario.poll_interval * scenario.time_scale:g}",
        "LEADMOVER_WATCH_SECONDS": f"{plan.scaled_watch_seconds(scenario.time_scale):g}",
        "INSTANTLY_BUDGET_PERCENT": f"{scenario.budget_percent:g}",
        "LOG_LEVEL": "WARNING",
        "LEADMOVER_APPROVALS": "false",
    }
    return start_leadmover_process(settings, workdir)


def head_commit(root: Path = ROOT) -> str:
    """The commit checked out, read from .git's files (git itself is not run: others may be working in the tree);
    "+tree" because whether the app's files differ from it is not known this way."""
    try:
        git = root / ".git"
        if git.is_file():  # a worktree: "gitdir: <path>"
            git = Path(git.read_text().split(":", 1)[1].strip())
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return f"{head[:7]}+tree"
        ref = head[5:]
        if (git / ref).is_file():
            return f"{(git / ref).read_text().strip()[:7]}+tree"
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(f" {ref}"):
                return f"{line[:7]}+tree"
    except (OSError, IndexError):
        pass
    return "unknown"


def database_url(workdir: Path) -> str:
    return f"sqlite:///{workdir / 'leadmover.db'}"


def set_watches(slack: FakeSlack, app_url: str, url: str, plan: WatchPlan, *, within: float = 15.0) -> str:
    """Each channel watches its types, as the admin asks with `/leads watch`; returns how the watches were set.

    The command's words name kinds of job ("imports" is two types), not single types: one channel watching every
    type is a bare `/leads watch`, signed and sent to the app as Slack does; N channels, one or a few types each,
    are written with storage.watches.watch, which the command calls underneath."""
    team_id = slack.team_id
    db = Database(url)
    try:
        if plan.channels == 1:
            channel = plan.channel_ids()[0]
            answer = slack.send_command(
                app_url, text="watch", team_id=team_id, user_id=ADMIN, user_name="watch.admin",
                channel_id=channel, channel_name="watch-00",
            )  # fmt: skip
            deadline = time.monotonic() + within
            while answer.status == 200 and time.monotonic() < deadline:
                if any(w.channel_id == channel and not w.job_types for w in watches.of_team(db, team_id=team_id)):
                    return "a signed `/leads watch` by an admin"
                time.sleep(0.1)
            said = [str(r.get("text", ""))[:120] for r in slack.responses][-1:]
            raise RuntimeError(f"/leads watch answered {answer.status} and set no watch: {said}")
        for index, channel in enumerate(plan.channel_ids()):
            watches.watch(db, team_id=team_id, channel_id=channel, job_types=plan.watched_types(index), by=ADMIN)
        return "storage.watches.watch (the command names kinds, not single types)"
    finally:
        db.dispose()


def followed_rows(url: str) -> tuple[dict[str, tuple[float, str]], dict[int, str]]:
    """For every job the app follows by watch: Instantly job id -> (time.time() its row was written, its channel),
    and leadmover's job number -> Instantly job id."""
    db = Database(url)
    try:
        with db.reading() as session:
            query = select(JobRow.id, JobRow.instantly_job_id, JobRow.created_at, JobRow.channel_id).where(
                JobRow.via == "watch"
            )
            rows = [row for row in session.execute(query) if row.instantly_job_id is not None]
            followed = {
                str(row.instantly_job_id): (row.created_at.replace(tzinfo=UTC).timestamp(), str(row.channel_id))
                for row in rows
            }
            return followed, {int(row.id): str(row.instantly_job_id) for row in rows}
    finally:
        db.dispose()


def channel_duplicates(slack: FakeSlack, channels: Sequence[str], numbers: dict[int, str]) -> int:
    """Announcements beyond each job's first, read from the channels themselves (a shared message names its jobs by
    leadmover's `numbers`)."""
    count: dict[str, int] = defaultdict(int)
    for channel in channels:
        for message in slack.messages(channel):
            shared = [numbers.get(number, "") for number in shared_ids_in(message.metadata)]
            for job_id in shared or [job_id_in(message.metadata)]:
                if job_id:
                    count[job_id] += 1
    return sum(n - 1 for n in count.values() if n > 1)


def run_watch(
    plan: WatchPlan, scenario: Scenario, *, keep: bool = False, progress: Callable[[str], None] = print
) -> WatchFigures:
    figures = WatchFigures(
        jobs=plan.jobs,
        channels=plan.channels,
        time_scale=scenario.time_scale,
        watch_seconds=plan.scaled_watch_seconds(scenario.time_scale),
        poll_interval=scenario.poll_interval * scenario.time_scale,
        spread=scenario.spread,
        job_seconds=scenario.job_duration,
    )
    tag = f"[watch {plan.jobs} x {plan.channels} ch]"
    workdir = Path(tempfile.mkdtemp(prefix=f"leadmover-bench-watch-{plan.jobs}-"))
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    began = time.monotonic()
    with ExitStack() as cleanup, watch_fakes(scenario, plan) as f:
        child, base_url = start_app(scenario, plan, f, workdir)
        cleanup.callback(child.stop)
        figures.app_version = head_commit()
        figures.watch_set_via = set_watches(f.slack, f"{base_url}/slack/events", database_url(workdir), plan)
        starter = Starter(f, plan, scenario.spread)
        begin = time.monotonic()
        thread = threading.Thread(target=starter.run, args=(begin,), name="bench-watch-starter", daemon=True)
        thread.start()

        resolved_at = 0.0

        def settled() -> bool:
            nonlocal resolved_at
            if time.monotonic() - resolved_at >= RESOLVE_EVERY:  # which job numbers the shared messages name
                resolved_at = time.monotonic()
                f.slack_log.resolve(followed_rows(database_url(workdir))[1])
            if thread.is_alive():
                return False
            started = set(starter.started())
            return started <= f.slack_log.announced_ids() and started <= f.slack_log.replied()

        deadline = begin + scenario.spread + scenario.job_duration + scenario.drain_seconds
        last_report = time.monotonic()
        while time.monotonic() < deadline:
            if settled():
                figures.settled_seconds = time.monotonic() - begin
                break
            if not child.alive():
                figures.problems.append(f"the leadmover process died: {child.log()[-2000:]}")
                break
            time.sleep(0.2)
            if time.monotonic() - last_report >= REPORT_EVERY:
                last_report = time.monotonic()
                progress(
                    f"  {tag} t={last_report - begin:.0f}s started={len(starter.started())} "
                    f"announced={len(f.slack_log.announced_ids())} replied={len(f.slack_log.replied())} "
                    f"instantly_reqs={f.instantly.request_count} slack_calls={f.slack.call_count}"
                )
        now = time.monotonic()
        thread.join(timeout=30)
        if child.alive():
            figures.peak_rss_mb, figures.cpu_seconds = child.stats()
        followed, numbers = followed_rows(database_url(workdir))
        f.slack_log.resolve(numbers)
        slack_hits, replies, _ = f.slack_log.snapshot()
        created = starter.started()
        seen = Observed(
            created_wall=created,
            job_times={job_id: times for job_id, times in f.instantly.job_times().items() if job_id in created},
            job_types=starter.job_types(),
            followed={},
            announcements=f.slack_log.announcements(),
            replies=replies,
            instantly=f.instantly_log.snapshot(),
            slack=slack_hits,
            rounds=f.instantly_log.rounds,
            begin=begin,
            now=now,
        )
        child.stop()
        seen.followed = followed
        compute(figures, plan, seen)
        figures.channel_duplicates = channel_duplicates(f.slack, plan.channel_ids(), numbers)
        figures.start_lag_max = starter.lag_max
        figures.problems.extend(starter.failures[:5])
        violations = f.slack.violations + f.instantly.violations
        if violations:
            figures.problems.append(f"{len(violations)} contract violations seen by the fakes, first: {violations[0]}")
        for count, line in log_problems(child.log())[:6]:
            figures.problems.append(f"log x{count}: {line}")
    figures.wall_seconds = time.monotonic() - began
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    figures.bench_cpu_seconds = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    if keep:
        progress(f"  {tag} kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return figures


# --- printing --------------------------------------------------------------------------------------------------

# (attribute, label, format)
ROWS: Final[tuple[tuple[str, str, str], ...]] = (
    ("jobs_started", "jobs started elsewhere at Instantly", "{:d}"),
    ("jobs_followed", "jobs followed by watch (rows with via='watch')", "{:d}"),
    ("jobs_announced", "jobs announced", "{:d}"),
    ("duplicate_announcements", "announcements beyond a job's first", "{:d}"),
    ("channel_duplicates", "the same, read from the channels at the end", "{:d}"),
    ("not_announced", "jobs not announced by the end", "{:d}"),
    ("wrong_channel", "jobs announced in a channel not watching the type", "{:d}"),
    ("jobs_replied", "jobs with a final reply", "{:d}"),
    ("duplicate_replies", "duplicate final replies", "{:d}"),
    ("discovery_lag_p50", "discovery lag p50 (s): created -> followed", "{:.1f}"),
    ("discovery_lag_p95", "discovery lag p95 (s)", "{:.1f}"),
    ("discovery_lag_max", "discovery lag max (s)", "{:.1f}"),
    ("posting_wait_p50", "posting wait p50 (s): followed -> announced", "{:.1f}"),
    ("posting_wait_p95", "posting wait p95 (s)", "{:.1f}"),
    ("posting_wait_max", "posting wait max (s)", "{:.1f}"),
    ("announcement_lag_p50", "announcement lag p50 (s): created -> in Slack", "{:.1f}"),
    ("announcement_lag_p95", "announcement lag p95 (s)", "{:.1f}"),
    ("announcement_lag_max", "announcement lag max (s)", "{:.1f}"),
    ("final_lag_p50", "final reply lag p50 (s): ended -> reply", "{:.1f}"),
    ("final_lag_p95", "final reply lag p95 (s)", "{:.1f}"),
    ("final_lag_max", "final reply lag max (s)", "{:.1f}"),
    ("instantly_requests", "Instantly requests, all", "{:d}"),
    ("discovery_requests", "Instantly discovery listings (pages)", "{:d}"),
    ("discovery_rounds", "discovery rounds (first pages)", "{:d}"),
    ("poll_requests", "Instantly polls", "{:d}"),
    ("polls_per_job_minute", "Instantly polls / job-minute", "{:.3f}"),
    ("picker_requests", "Instantly name look-ups (lists, campaigns, members)", "{:d}"),
    ("other_requests", "Instantly requests, other", "{:d}"),
    ("instantly_429s", "Instantly 429s", "{:d}"),
    ("peak_instantly_1s", "peak Instantly requests in any 1 s (budget 10)", "{:d}"),
    ("peak_instantly_60s", "peak Instantly requests in any 60 s (budget 600)", "{:d}"),
    ("peak_discovery_60s", "peak discovery listings in any 60 s (share 180)", "{:d}"),
    ("posts", "Slack posts (announcements + replies)", "{:d}"),
    ("updates", "Slack chat.update (progress edits)", "{:d}"),
    ("peak_updates_per_minute", "peak chat.update in any 60 s", "{:d}"),
    ("peak_posts_per_channel_second", "peak posts in one channel in any 1 s", "{:d}"),
    ("slack_ratelimited", "Slack ratelimited answers", "{:d}"),
    ("slack_calls", "Slack calls, all", "{:d}"),
    ("peak_rss_mb", "peak RSS (MB)", "{:.0f}"),
    ("cpu_seconds", "CPU seconds (after ready)", "{:.1f}"),
    ("settled_seconds", "every job announced and replied after (s)", "{:.0f}"),
    ("start_lag_max", "bench start lag max (s)", "{:.2f}"),
    ("wall_seconds", "wall seconds", "{:.0f}"),
    ("bench_cpu_seconds", "bench process CPU s (fakes, starter)", "{:.1f}"),
)
MISSING_OF: Final = {
    "discovery_lag": "discovery_missing",
    "posting_wait": "announcement_missing",
    "announcement_lag": "announcement_missing",
    "final_lag": "final_missing",
}


def _cell(figures: WatchFigures, name: str, fmt: str) -> str:
    value = getattr(figures, name)
    if value is None:
        missing = MISSING_OF.get(name.rsplit("_", 1)[0])
        return "not reached" if missing and getattr(figures, missing) else "n/a"
    return fmt.format(int(value)) if fmt.endswith("d}") else fmt.format(value)


def _num(value: float | None, fmt: str = "{:.1f}", none: str = "n/a") -> str:
    return none if value is None else fmt.format(value)


def targets(figures: WatchFigures) -> list[tuple[str, str, str, bool]]:
    """(target, measured, bound, holds) for each target of the issue, and the discovery lag on its own."""
    f = figures
    once = f.jobs_announced == f.jobs_started and f.duplicate_announcements == 0 and f.channel_duplicates == 0
    once = once and f.wrong_channel == 0
    bound = f"≤ {f.lag_bound:g} s"
    p95 = f.announcement_lag_p95
    discovery = f.discovery_lag_p95
    return [
        (
            "each job announced exactly once",
            f"{f.jobs_announced} of {f.jobs_started}, {f.duplicate_announcements} twice, "
            f"{f.wrong_channel} in another channel",
            "all, 0, 0",
            once,
        ),
        ("requests within the budget: Instantly 429s", str(f.instantly_429s), "0", f.instantly_429s == 0),
        (
            "announcement lag p95",
            _num(p95, "{:.1f} s", "not reached"),
            f"{bound} (LEADMOVER_WATCH_SECONDS + POLL_INTERVAL_SECONDS)",
            p95 is not None and p95 <= f.lag_bound,
        ),
        (
            "discovery lag p95 alone (no target of its own)",
            _num(discovery, "{:.1f} s", "not reached"),
            bound,
            discovery is not None and discovery <= f.lag_bound,
        ),
    ]


def render(figures: WatchFigures) -> str:
    """The run's figures, its channels and its targets as Markdown tables."""
    f = figures
    head = (
        f"== watched workspace: {f.jobs} jobs started elsewhere over {f.spread:g} s, {f.channels} watched "
        f"channel(s), time scale {f.time_scale:g}, LEADMOVER_WATCH_SECONDS {f.watch_seconds:g}, "
        f"POLL_INTERVAL_SECONDS {f.poll_interval:g}, code {f.app_version or '?'} (watch set via {f.watch_set_via}) =="
    )
    lines = [head, "", "| figure | value |", "|---|---:|"]
    lines += [f"| {label} | {_cell(f, name, fmt)} |" for name, label, fmt in ROWS]
    lines += [
        "",
        "| channel | watches | jobs | announced | posts | first post (s) | last post (s) | posts/s | "
        "announcement lag p95 (s) | posting wait p95 (s) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in f.per_channel:
        late = "not reached" if row.announced < row.jobs else "n/a"
        cells = [
            row.channel,
            row.watches,
            str(row.jobs),
            str(row.announced),
            str(row.posts),
            _num(row.first_post, "{:.0f}"),
            _num(row.last_post, "{:.0f}"),
            _num(row.posts_per_second, "{:.2f}"),
            _num(row.announcement_lag_p95, none=late),
            _num(row.posting_wait_p95, none=late),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| target | measured | bound | holds |", "|---|---|---|:---:|"]
    for label, measured, bound, holds in targets(f):
        lines.append(f"| {label} | {measured} | {bound} | {'✔' if holds else '✘'} |")
    busiest = max(f.per_channel, key=lambda row: row.jobs, default=None)
    if busiest is not None and busiest.jobs and f.spread > 0:
        apart = 2 * busiest.jobs  # an announcement and a final reply each, at about one post a second
        lines += [
            "",
            f"posts: the busiest channel ({busiest.channel}) took {busiest.posts} posts for {busiest.jobs} jobs. Jobs "
            "found together share a message (at most 50 a message) and their endings are gathered into a few "
            f"replies; a message each would need {apart} posts, at Slack's post a second per channel ≥ {apart} s "
            f"against the jobs' {f.spread + f.job_seconds:.0f} s timeline.",
        ]
    held = ", ".join(f"{label}: {'holds' if holds else 'MISSED'}" for label, _, _, holds in targets(f))
    lines.append(f"targets: {held}")
    lines.extend(f"!! {problem}" for problem in f.problems)
    return "\n".join(lines)

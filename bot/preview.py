"""What the move modal shows once a source is picked: how many leads it holds, how many the filters take, and a few.

A source's count is Instantly's rough total (campaign analytics, list verification stats), kept briefly per workspace
and source so that the confirmation of a move of everything can state it without asking again. What the filters take
is counted by paging POST /leads/list (bot.preview_counts) and kept for the approval to state the same number.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Final, TypeVar

from bot.instantly.client import InstantlyClient
from bot.instantly.errors import InstantlyError, InstantlyTimeout, Moment, in_words
from bot.instantly.requests import list_request, sample_ignores
from bot.preview_counts import COUNT_CAP, Taken, TakenCounts, countable
from storage.orders import Endpoint, EndpointKind, LeadFilters
from storage.records import JobRecord

log = logging.getLogger(__name__)
T = TypeVar("T")

CACHE_SECONDS: Final = 60.0
SAMPLE_CACHE_SECONDS: Final = 15.0
_NOT_COUNTED: Final = "no lead counted within the preview's time box"
_MAX_CACHED: Final = 2000


@dataclass(frozen=True)
class Preview:
    """A plain value: the source's lead count (None if unknown), how many leads the filters take (None with no filter
    or when not counted), a few e-mails the filters take, and a problem."""

    count: int | None = None
    taken: Taken | None = None
    uncountable: tuple[str, ...] = ()  # filters set that Instantly cannot count by (LeadFilters field names)
    sample: tuple[str, ...] = ()
    sampled: bool = False  # whether Instantly answered for the sample (an empty sample then means no match)
    ignored: tuple[str, ...] = ()  # filters the sample could not apply (LeadFilters field names)
    problem: str | None = None


class PreviewService:
    """Previews for every workspace, each through its own Instantly client; caches are keyed by workspace."""

    def __init__(
        self,
        *,
        instantly: Callable[[str], InstantlyClient],
        timeout: float,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        count_cap: int = COUNT_CAP,
    ) -> None:
        self._instantly = instantly
        self._timeout = timeout
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._lock = threading.Lock()
        # (when asked, the count); a place a finished move changed is kept in `_stale` until asked again.
        self._counts: dict[tuple[str, str, str], tuple[float, int | None]] = {}
        self._stale: set[tuple[str, str, str]] = set()
        self._samples: dict[tuple[str, str], tuple[float, tuple[str, ...]]] = {}
        self._asking: dict[tuple[str, str, str], Future[int | None]] = {}
        # Shared by every workspace, up to three tasks a preview (the count, the sample, the pages of a filtered
        # count), and a slow Instantly holds a worker to its time box.
        self._pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="leadmover-preview")
        self._taken = TakenCounts(instantly=instantly, pool=self._pool, cap=count_cap, clock=clock)

    def preview(self, *, team_id: str, source: Endpoint, filters: LeadFilters) -> Preview:
        """The count, what the filters take and the sample, asked side by side within one time box."""
        deadline = self._clock() + self._timeout
        count_future = self._pool.submit(self._count, team_id, source, self._timeout, False)
        sample_future = self._pool.submit(self._sample, team_id, source, filters)
        problems: list[str] = []
        taken = None
        if countable(filters):
            try:
                taken = self._taken.taken(team_id=team_id, source=source, filters=filters, deadline=deadline)
            except InstantlyError as exc:
                log.info("preview count: %s", exc)
                problems.append(in_words(exc, moment=Moment.PREVIEW))
            if taken is None and not problems:
                problems.append(in_words(InstantlyTimeout(_NOT_COUNTED), moment=Moment.PREVIEW))
        count = _result(count_future, deadline, self._clock, problems)
        sample = _result(sample_future, deadline, self._clock, problems)
        return Preview(
            count=count,
            taken=taken,
            uncountable=sample_ignores(filters),
            sample=sample or (),
            sampled=sample is not None,
            ignored=sample_ignores(filters) if sample is not None else (),
            problem=problems[0] if problems else None,
        )

    def count(
        self, *, team_id: str, source: Endpoint, timeout: float | None = None, stale_ok: bool = False
    ) -> int | None:
        """The source's lead count: remembered from a recent preview, else asked; None if Instantly could not say
        within `timeout` seconds, all told (the budget's wait and every phase of the request within it). With
        `stale_ok`, a count a finished move has changed since is good enough (words about a move already accepted,
        where a rush of moves from one place would otherwise ask Instantly for its count once a move)."""
        wait = timeout if timeout is not None else self._timeout
        try:
            return self._pool.submit(self._count, team_id, source, wait, stale_ok).result(timeout=wait)
        except FutureTimeout:
            log.info("count of %s %s unknown: Instantly took over %.1f s", source.kind, source.id, wait)
        except InstantlyError as exc:
            log.info("count of %s %s unknown: %s", source.kind, source.id, exc)
        except Exception:  # answered before Slack's ack: a count is never worth a failed submission
            log.exception("count of %s %s failed", source.kind, source.id)
        return None

    def taken(
        self, *, team_id: str, source: Endpoint, filters: LeadFilters, timeout: float, stale_ok: bool = False
    ) -> Taken | None:
        """How many leads the filters take: remembered from the preview, else counted within `timeout` seconds; None
        with no filter, filters Instantly cannot count by, or no count at all. With `stale_ok`, as in count()."""
        if not countable(filters):
            return None
        try:
            deadline = self._clock() + timeout
            return self._taken.taken(
                team_id=team_id, source=source, filters=filters, deadline=deadline, stale_ok=stale_ok
            )
        except InstantlyError as exc:
            log.info("count of %s %s with filters unknown: %s", source.kind, source.id, exc)
        except Exception:  # answered before Slack's ack: a count is never worth a failed submission
            log.exception("count of %s %s with filters failed", source.kind, source.id)
        return None

    def forget_counts(self, record: JobRecord) -> None:
        """A move or copy ended: the counts of its source and destination changed, so the next preview asks."""
        if record.order is None:
            return
        with self._lock:
            for place in (record.order.source, record.order.destination):
                key = (record.team_id, place.kind.value, place.id)
                if key in self._counts:
                    self._stale.add(key)
        for place in (record.order.source, record.order.destination):
            self._taken.forget(team_id=record.team_id, place=place)

    def _count(self, team_id: str, source: Endpoint, timeout: float, stale_ok: bool) -> int | None:
        """The count, remembered or asked; callers missing the same count at once share one request."""
        key = (team_id, source.kind.value, source.id)
        with self._lock:
            hit = self._counts.get(key)
            if (
                hit is not None
                and self._clock() - hit[0] < self._cache_seconds
                and (stale_ok or key not in self._stale)
            ):
                return hit[1]
            asking = self._asking.get(key)
            if asking is None:
                mine: Future[int | None] = Future()
                self._asking[key] = mine
        if asking is not None:
            return asking.result(timeout=timeout)
        try:
            client = self._instantly(team_id)
            if source.kind == EndpointKind.CAMPAIGN:
                count = client.campaign_leads_count(source.id, timeout=timeout)
            else:
                count = client.list_total_leads(source.id, timeout=timeout)
        except BaseException as exc:
            mine.set_exception(exc)
            raise
        finally:
            with self._lock:
                self._asking.pop(key, None)
        with self._lock:
            if len(self._counts) > _MAX_CACHED:
                self._counts.clear()
                self._stale.clear()
            self._counts[key] = (self._clock(), count)
            self._stale.discard(key)
        mine.set_result(count)
        return count

    def _sample(self, team_id: str, source: Endpoint, filters: LeadFilters) -> tuple[str, ...]:
        request = list_request(source=source, filters=filters)
        key = (team_id, request.model_dump_json())
        with self._lock:
            hit = self._samples.get(key)
        if hit is not None and self._clock() - hit[0] < min(self._cache_seconds, SAMPLE_CACHE_SECONDS):
            return hit[1]
        leads = self._instantly(team_id).sample_leads(request, timeout=self._timeout)
        emails = tuple(lead.email for lead in leads if lead.email)
        with self._lock:
            if len(self._samples) > _MAX_CACHED:
                self._samples.clear()
            self._samples[key] = (self._clock(), emails)
        return emails

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _result(future: Future[T], deadline: float, clock: Callable[[], float], problems: list[str]) -> T | None:
    """The future's value by the deadline, or None with the problem in words added to `problems`; none of them
    stops the form from working."""
    try:
        return future.result(timeout=max(0.0, deadline - clock()))
    except FutureTimeout:
        problems.append(in_words(InstantlyTimeout("no answer within the preview's time box"), moment=Moment.PREVIEW))
    except InstantlyError as exc:
        log.info("preview: %s", exc)
        problems.append(in_words(exc, moment=Moment.PREVIEW))
    return None

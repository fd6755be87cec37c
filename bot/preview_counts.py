"""How many of a source's leads its filters take: POST /leads/list paged within a time box, up to a cap."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from bot.instantly.client import InstantlyClient
from bot.instantly.errors import InstantlyError, InstantlyTimeout
from bot.instantly.requests import LIST_PAGE_MAX, list_request, sample_ignores
from storage.orders import Endpoint, LeadFilters

log = logging.getLogger(__name__)

COUNT_CAP: Final = 1000
# A form stays open for minutes: the approval and the confirmation state the number its preview showed.
TAKEN_CACHE_SECONDS: Final = 600.0
_MAX_CACHED: Final = 2000

_Key = tuple[str, str, str, str]  # team, source kind, source id, the filters as JSON


class Stop(StrEnum):
    """Why counting stopped before the last matching lead."""

    CAP = "cap"  # it reached the cap
    TIME = "time"  # the time box (or the request budget within it) ran out
    FAILED = "failed"  # Instantly failed to answer for a later page


@dataclass(frozen=True)
class Taken:
    """How many of the source's leads the filters take: exactly `leads`, or more than `leads` when counting stopped
    first (`stopped`)."""

    leads: int
    stopped: Stop | None = None

    @property
    def more(self) -> bool:
        return self.stopped is not None


def countable(filters: LeadFilters) -> bool:
    """Whether a filter is set and POST /leads/list can apply every filter set: else no count would be honest."""
    return filters != LeadFilters() and not sample_ignores(filters)


class _Tally:
    """One count under way: its pages add to it until it ends, or until someone waiting settles what it has."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._leads = 0
        self._settled = False
        self._result: Taken | None = None
        self._error: InstantlyError | None = None
        self.ended = threading.Event()

    def add(self, leads: int) -> int | None:
        """Count a page: the total so far, or None once the count is settled (paging should stop)."""
        with self._lock:
            if self._settled:
                return None
            self._leads += leads
            return self._leads

    def finish(self, taken: Taken | None, *, error: InstantlyError | None = None) -> None:
        with self._lock:
            if not self._settled:
                self._settled, self._result, self._error = True, taken, error
        self.ended.set()

    def settle(self) -> Taken | None:
        """The count as it stands: the end if reached, else more than what was counted (None when nothing was).
        Raises the error that stopped it before a lead was counted."""
        with self._lock:
            if not self._settled:
                self._settled = True
                self._result = Taken(self._leads, Stop.TIME) if self._leads else None
            if self._error is not None:
                raise self._error
            return self._result


class TakenCounts:
    """Filtered counts per workspace, source and filters, remembered so that the confirmation and the approval state
    what the preview showed; one count of the same thing at a time, each request spending the workspace's budget."""

    def __init__(
        self,
        *,
        instantly: Callable[[str], InstantlyClient],
        pool: Executor,
        cap: int,
        clock: Callable[[], float],
        cache_seconds: float = TAKEN_CACHE_SECONDS,
    ) -> None:
        self._instantly = instantly
        self._pool = pool
        self._cap = cap
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._cached: dict[_Key, tuple[float, Taken]] = {}
        self._stale: set[_Key] = set()
        self._counting: dict[_Key, _Tally] = {}

    def taken(
        self, *, team_id: str, source: Endpoint, filters: LeadFilters, deadline: float, stale_ok: bool = False
    ) -> Taken | None:
        """The count, remembered or counted until `deadline` (on this service's clock): then more than what was
        counted, or None if nothing was. Raises the InstantlyError that stopped it before a lead was counted."""
        key = (team_id, source.kind.value, source.id, filters.model_dump_json())
        with self._lock:
            hit = self._cached.get(key)
            if (
                hit is not None
                and self._clock() - hit[0] < self._cache_seconds
                and (stale_ok or key not in self._stale)
            ):
                return hit[1]
            tally = self._counting.get(key)
            if tally is None:
                tally = self._counting[key] = _Tally()
                self._pool.submit(self._page, key, tally, team_id, source, filters, deadline)
        tally.ended.wait(timeout=max(0.0, deadline - self._clock()))
        try:
            taken = tally.settle()
        finally:
            with self._lock:
                if self._counting.get(key) is tally:
                    del self._counting[key]
        if taken is not None:
            with self._lock:
                if len(self._cached) > _MAX_CACHED:
                    self._cached.clear()
                    self._stale.clear()
                self._cached[key] = (self._clock(), taken)
                self._stale.discard(key)
        return taken

    def forget(self, *, team_id: str, place: Endpoint) -> None:
        """A move to or from `place` ended: its counts are stale, asked again unless stale will do."""
        with self._lock:
            self._stale.update(key for key in self._cached if key[:3] == (team_id, place.kind.value, place.id))

    def _page(
        self, key: _Key, tally: _Tally, team_id: str, source: Endpoint, filters: LeadFilters, deadline: float
    ) -> None:
        """Page POST /leads/list in the largest pages Instantly answers, asking at most one lead past the cap: just
        enough to know that more than the cap match."""
        counted, cursor = 0, None
        try:
            client = self._instantly(team_id)
            while (left := deadline - self._clock()) > 0:
                limit = min(LIST_PAGE_MAX, self._cap + 1 - counted)
                request = list_request(source=source, filters=filters, limit=limit, starting_after=cursor)
                page = client.list_leads(request, timeout=left)
                total = tally.add(len(page.items))
                if total is None:  # whoever waited has settled the count already
                    return
                counted = total
                if counted > self._cap:
                    tally.finish(Taken(self._cap, Stop.CAP))
                    return
                if len(page.items) < limit or not page.next_starting_after:
                    tally.finish(Taken(counted))
                    return
                cursor = page.next_starting_after
            tally.finish(Taken(counted, Stop.TIME) if counted else None)
        except InstantlyError as exc:
            log.info("count of %s %s with filters stopped after %d leads: %s", source.kind, source.id, counted, exc)
            timed_out = isinstance(exc, InstantlyTimeout) or deadline - self._clock() <= 0
            stop = Stop.TIME if timed_out else Stop.FAILED
            tally.finish(Taken(counted, stop) if counted else None, error=None if counted else exc)
        except Exception:
            log.exception("count of %s %s with filters failed", source.kind, source.id)
            tally.finish(Taken(counted, Stop.FAILED) if counted else None)
        finally:
            with self._lock:
                if self._counting.get(key) is tally:
                    del self._counting[key]

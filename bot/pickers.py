"""Suggestions for the modal's pickers: campaigns, lead lists and members, searched as you type.

Each search is cached briefly and time-boxed, because Slack drops an options answer after 3 seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Final

from bot.instantly.client import InstantlyClient
from bot.instantly.errors import InstantlyError, InstantlyNotFound, InstantlyTimeout, Moment, in_words
from bot.slack.pacing import TokenBucket

log = logging.getLogger(__name__)

CACHE_SECONDS: Final = 30.0
PICKER_PAGE: Final = 50
# Searches one person may start: a few a second, so nobody's typing can spend the budget everyone's pickers share.
SEARCHES_PER_SECOND: Final = 4.0
SEARCH_BURST: Final = 8.0
_TOO_FAST: Final = "You are typing faster than Instantly can be searched. Pause a moment and type one more letter."
# What a picker's one option adds to Instantly's failure in words: the person can act on it from the picker.
_KEEP_TYPING: Final = "Keep typing or try again in a moment."
_TRY_AGAIN: Final = "Try again in a moment."


@dataclass(frozen=True)
class Choice:
    value: str  # "campaign:<id>", "list:<id>" or "member:<user_id>"
    label: str


@dataclass(frozen=True)
class Suggestions:
    campaigns: tuple[Choice, ...] = ()
    lists: tuple[Choice, ...] = ()
    members: tuple[Choice, ...] = ()
    problem: str | None = None  # set when Instantly failed or was too slow; shown as an option


@dataclass(frozen=True)
class Resolution:
    """A name looked up in Instantly: the one campaign or list it names, or how many it matched, or a problem."""

    choice: Choice | None = None
    campaigns: int = 0  # matches when there is not exactly one
    lists: int = 0
    more: bool = False  # a search came back full: there may be more than counted
    problem: str | None = None


class PickerService:
    def __init__(self, *, instantly: InstantlyClient, timeout: float, cache_seconds: float = CACHE_SECONDS) -> None:
        self._instantly = instantly
        self._timeout = timeout
        self._cache_seconds = cache_seconds
        self._cache: dict[tuple[str, str], tuple[float, tuple[Choice, ...]]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="leadmover-picker")
        self._searchers: dict[str, TokenBucket] = {}
        # Every name a search or a look-up saw, by choice value ("campaign:<id>"): what a move is shown with.
        self._names: dict[str, tuple[float, str]] = {}

    def _may_search(self, person: str) -> bool:
        with self._lock:
            bucket = self._searchers.get(person)
            if bucket is None:
                if len(self._searchers) > 10_000:
                    self._searchers.clear()
                bucket = self._searchers[person] = TokenBucket(rate=SEARCHES_PER_SECOND, capacity=SEARCH_BURST)
        return bucket.try_take()

    def endpoints(self, query: str, *, person: str = "") -> Suggestions:
        """Campaigns and lists whose name contains `query`, fetched side by side within the time box."""
        query = query.strip()[:100]
        if not self._may_search(person):
            return Suggestions(problem=_TOO_FAST)
        deadline = time.monotonic() + self._timeout
        futures = {kind: self._pool.submit(self._cached, kind, query) for kind in ("campaign", "list")}
        results: dict[str, tuple[Choice, ...]] = {}
        problem = None
        for kind, future in futures.items():
            try:
                results[kind] = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout as exc:
                problem = _as_option(exc)
            except InstantlyError as exc:
                log.warning("picker search for %r failed: %s", query, exc)
                problem = _as_option(exc)
        return Suggestions(campaigns=results.get("campaign", ()), lists=results.get("list", ()), problem=problem)

    def resolve(self, names: Mapping[str, tuple[str, str | None]]) -> dict[str, Resolution]:
        """Each {key: (name, kind or None)} looked up with the pickers' searches, side by side in one time box.

        An exact (case-insensitive) name wins over names that merely contain it; one partial match is taken too.
        """
        deadline = time.monotonic() + self._timeout
        searches = {
            (kind, name.strip()[:100]): self._pool.submit(self._cached, kind, name.strip()[:100])
            for name, wanted in names.values()
            for kind in ((wanted,) if wanted else ("campaign", "list"))
        }
        answers: dict[tuple[str, str], tuple[Choice, ...] | str] = {}
        for search, future in searches.items():
            try:
                answers[search] = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout as exc:
                # A name in a command, looked up once: the modal says this beside the field, and the person picks
                # there instead.
                answers[search] = _in_words(exc)
            except InstantlyError as exc:
                log.warning("resolving %r failed: %s", search[1], exc)
                answers[search] = _in_words(exc)
        return {key: _resolution(name, wanted, answers) for key, (name, wanted) in names.items()}

    def members(self, query: str, *, person: str = "") -> Suggestions:
        """Instantly workspace members whose name or email contains `query`."""
        if not self._may_search(person):
            return Suggestions(problem=_TOO_FAST)
        try:
            future = self._pool.submit(self._cached, "member", query.strip()[:100])
            return Suggestions(members=future.result(timeout=self._timeout))
        except FutureTimeout as exc:
            return Suggestions(problem=_as_option(exc))
        except InstantlyError as exc:
            log.warning("member search for %r failed: %s", query, exc)
            return Suggestions(problem=_as_option(exc))

    def _cached(self, kind: str, query: str) -> tuple[Choice, ...]:
        key = (kind, query.lower())
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and now - hit[0] < self._cache_seconds:
                return hit[1]
        choices = self._fetch(kind, query)
        with self._lock:
            if len(self._cache) > 1000:
                self._cache.clear()
            self._cache[key] = (time.monotonic(), choices)
        return choices

    def names(self, values: Sequence[str], *, timeout: float) -> dict[str, str | None]:
        """Instantly's current name of each choice value ("campaign:<id>", "list:<id>", "member:<user id>"), looked
        up side by side within `timeout`: from what a recent search or look-up saw, else asked by id. None for one
        Instantly does not know; InstantlyError or TimeoutError when Instantly could not say in time."""
        deadline = time.monotonic() + timeout
        futures = {value: self._pool.submit(self._name, value, timeout) for value in dict.fromkeys(values)}
        found: dict[str, str | None] = {}
        for value, future in futures.items():
            try:
                found[value] = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout as exc:
                raise TimeoutError(f"Instantly did not name {value} within {timeout:.1f} s") from exc
        return found

    def _name(self, value: str, timeout: float) -> str | None:
        now = time.monotonic()
        with self._lock:
            hit = self._names.get(value)
        if hit is not None and now - hit[0] < self._cache_seconds:
            return hit[1]
        kind, _, item_id = value.partition(":")
        name: str | None
        try:
            if kind == "campaign":
                name = self._instantly.get_campaign(item_id, timeout=timeout).name
            elif kind == "list":
                name = self._instantly.get_lead_list(item_id, timeout=timeout).name
            else:
                # Instantly searches members by name or e-mail, never by id: its first page is where teams' are.
                members = self._instantly.list_members(limit=100, timeout=timeout).items
                name = next((f"{m.display_name} ({m.email})" for m in members if m.user_id == item_id), None)
        except InstantlyNotFound:
            return None
        if name is not None:
            self._remember([Choice(value, name)])
        return name

    def _remember(self, choices: Sequence[Choice]) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._names) > 10_000:
                self._names.clear()
            self._names.update((choice.value, (now, choice.label)) for choice in choices)

    def _fetch(self, kind: str, query: str) -> tuple[Choice, ...]:
        choices = self._search(kind, query)
        self._remember(choices)
        return choices

    def _search(self, kind: str, query: str) -> tuple[Choice, ...]:
        if kind == "campaign":
            page = self._instantly.list_campaigns(search=query, limit=PICKER_PAGE, timeout=self._timeout)
            return tuple(Choice(f"campaign:{c.id}", c.name) for c in page.items)
        if kind == "list":
            lists = self._instantly.list_lead_lists(search=query, limit=PICKER_PAGE, timeout=self._timeout)
            return tuple(Choice(f"list:{item.id}", item.name) for item in lists.items)
        members = self._instantly.list_members(search=query, limit=PICKER_PAGE, timeout=self._timeout)
        return tuple(Choice(f"member:{m.user_id}", f"{m.display_name} ({m.email})") for m in members.items)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _in_words(exc: InstantlyError | FutureTimeout) -> str:
    """A search's failure, or no answer within the time box, in words (bot.instantly.errors, Moment.SEARCH)."""
    error = exc if isinstance(exc, InstantlyError) else InstantlyTimeout("no answer within the picker's time box")
    return in_words(error, moment=Moment.SEARCH)


def _as_option(exc: InstantlyError | FutureTimeout) -> str:
    """The failure as the one option a picker then shows: in words, and what to do next."""
    slow = not isinstance(exc, InstantlyError) or isinstance(exc, InstantlyTimeout)
    return f"{_in_words(exc)} {_KEEP_TYPING if slow else _TRY_AGAIN}"


def _resolution(
    name: str, wanted: str | None, answers: Mapping[tuple[str, str], tuple[Choice, ...] | str]
) -> Resolution:
    found: list[Choice] = []
    more = False
    for kind in (wanted,) if wanted else ("campaign", "list"):
        answer = answers[(kind, name.strip()[:100])]
        if isinstance(answer, str):
            return Resolution(problem=answer)
        found += answer
        more = more or len(answer) >= PICKER_PAGE
    exact = [choice for choice in found if choice.label.casefold() == name.strip().casefold()]
    if len(exact) == 1 or (not exact and len(found) == 1 and not more):
        return Resolution(choice=(exact or found)[0])
    counted = exact or found
    return Resolution(
        campaigns=sum(c.value.startswith("campaign:") for c in counted),
        lists=sum(c.value.startswith("list:") for c in counted),
        more=more and not exact,
    )

"""The helpers the fake Instantly's endpoints share: error bodies, comma lists, cursors and pages, timestamps."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from itertools import pairwise

from simulators.instantly.protocol import Clock, after, csv, error_body, page

ITEMS = [{"id": "a"}, {"id": "b"}, {"id": "c"}]


def test_error_body_is_fastifys() -> None:
    assert error_body(404, "Background job not found") == {
        "statusCode": 404,
        "error": "Not Found",
        "message": "Background job not found",
    }
    assert error_body(429, "x")["error"] == "Too Many Requests"


def test_csv_reads_a_comma_separated_query_value() -> None:
    assert csv(None) is None
    assert csv("a, b,,a ,") == {"a", "b"}
    assert csv("") == set()  # given but empty selects nothing, unlike absent


def test_after_returns_what_follows_the_cursor() -> None:
    assert after(ITEMS, None, "id") == ITEMS
    assert after(ITEMS, "a", "id") == ITEMS[1:]
    assert after(ITEMS, "c", "id") == []
    assert after(ITEMS, "zzz", "id") == []  # an unknown cursor has nothing after it


def test_page_cuts_at_the_limit_and_names_the_next_cursor() -> None:
    assert page(list(ITEMS), 2, "id") == {"items": ITEMS[:2], "next_starting_after": "b"}
    assert page(list(ITEMS), 3, "id") == {"items": ITEMS}
    assert page(list(ITEMS), 10, "id") == {"items": ITEMS}
    assert page([], 10, "id") == {"items": []}


def test_clock_stamps_are_millisecond_iso_and_never_repeat() -> None:
    clock = Clock()
    in_a_row = [clock.stamp() for _ in range(50)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda _: clock.stamp(), range(200)))

    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", stamp) for stamp in in_a_row + together)
    assert len(set(in_a_row + together)) == 250
    # Each stamp sorts after the one before it, as text and as time (timestamp cursors rely on both).
    assert in_a_row == sorted(in_a_row)
    times = [datetime.fromisoformat(stamp) for stamp in in_a_row]
    assert all(later > earlier for earlier, later in pairwise(times))
    assert clock.stamp() > max(together)

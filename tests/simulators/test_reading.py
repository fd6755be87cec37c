"""What a reader's client makes of mentions and dates: names it knows, and times in the reader's own zone."""

from __future__ import annotations

from datetime import UTC, datetime

from simulators.reading import Reader, for_reader, zone_named
from simulators.render import render_message, render_view

NEW_YORK = Reader(names={"U0DANA": "dana"}, zone=zone_named("America/New_York"))
STAMP = 1773151320  # 2026-03-10 14:02 UTC, 10:02 in New York (daylight saving time)


def test_a_date_is_drawn_in_the_readers_zone_and_a_mention_by_name() -> None:
    text = f"<@U0DANA> · Finished <!date^{STAMP}^{{date_short_pretty}} at {{time}}|2026-03-10 14:02 UTC> · <@U0X>"
    assert for_reader(text, NEW_YORK) == "<@U0DANA|dana> · Finished Mar 10, 2026 at 10:02 AM · <@U0X>"


def test_today_and_ago_follow_the_readers_now() -> None:
    now = datetime(2026, 3, 10, 14, 5, tzinfo=UTC)
    reader = Reader(zone=zone_named("America/New_York"), now=now)
    assert for_reader(f"<!date^{STAMP}^{{date_short_pretty}}|x>", reader) == "Today"
    assert for_reader(f"<!date^{STAMP}^{{ago}}|x>", reader) == "3 minutes ago"


def test_the_demos_renderer_shows_names_local_times_and_a_home_tab_titled_home() -> None:
    text = {"type": "mrkdwn", "text": f"<@U0DANA> <!date^{STAMP}^{{time}}|x>"}
    message = {"blocks": [{"type": "section", "text": text}]}
    assert render_message(message, NEW_YORK) == "@dana 10:02 AM"
    assert render_view({"type": "home", "blocks": []}).splitlines()[1] == "| Home |"

"""The final reply: the outcome in words, the count, how long it took, what can be done next (never the moved e-mails
themselves), the time in each reader's zone, a plain notification text, and who is mentioned when."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.instantly.schemas import JobStatus
from bot.slack.blocks import thread_messages
from storage.channel_settings import DEFAULT, ChannelSettings
from storage.orders import MoveMode
from tests.factories import WHEN, a_record, an_order, campaign, lead_list

RECORD = a_record(
    order=an_order(source=campaign("c1", "Acme <Q1> & co"), destination=lead_list("l1", "Warm"), limit=1500),
    finished_at=WHEN + timedelta(minutes=2, seconds=5),
)
MENTIONING = ChannelSettings(mention_on_success=True)


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(0, "0 s"), (42, "42 s"), (125, "2 min 05 s"), (3600, "1 h 00 min"), (3720 + 59, "1 h 02 min")],
)
def test_a_duration_reads_as_people_say_it(seconds: int, said: str) -> None:
    assert thread_messages.duration(WHEN, WHEN + timedelta(seconds=seconds)) == said


def test_a_clock_running_backwards_never_shows_a_negative_duration() -> None:
    assert thread_messages.duration(WHEN, WHEN - timedelta(seconds=3)) == "0 s"


@pytest.mark.parametrize(
    ("status", "moved", "copy_leads", "settings", "expected"),
    [
        ("success", 1234, False, DEFAULT, "Move completed. 1,234 leads moved to list Warm in 2 min 05 s."),
        ("success", 1234, False, MENTIONING, "Move completed. <@U1>, 1,234 leads moved to list Warm in 2 min 05 s."),
        (
            "success",
            None,
            True,
            DEFAULT,
            "Copy completed. Leads copied to list Warm in 2 min 05 s; Instantly did not report how many.",
        ),
        (
            "failed",
            10,
            False,
            DEFAULT,
            "Move failed. <@U1>, Instantly reports the job failed at 40% in 2 min 05 s. 10 leads were moved",
        ),
        ("cancelled", None, False, DEFAULT, "Move cancelled. <@U1>, the job was cancelled in Instantly at 40%"),
    ],
)
def test_the_text_names_the_outcome_count_and_duration_in_plain_words(
    status: str, moved: int | None, copy_leads: bool, settings: ChannelSettings, expected: str
) -> None:
    mode = MoveMode.COPY if copy_leads else MoveMode.MOVE
    record = replace(RECORD, status=status, moved_leads=moved, order=RECORD.order.model_copy(update={"mode": mode}))

    text, _ = thread_messages.final_reply(record, settings=settings)

    assert text.startswith(expected)
    assert "*" not in text, "a notification shows mrkdwn raw"
    assert not re.search(r":[a-z_]+:", text), "nor emoji codes"


@pytest.mark.parametrize("status", [JobStatus.FAILED, JobStatus.CANCELLED, "expired"])
def test_a_job_that_did_not_succeed_always_mentions_its_requester(status: str) -> None:
    settings = ChannelSettings(mention_on_success=False)
    text, blocks = thread_messages.final_reply(replace(RECORD, status=status), settings=settings)
    assert "<@U1>" in text
    assert "<@U1>" in blocks[0]["text"]["text"]


def test_a_success_mentions_only_where_the_channel_wants_it() -> None:
    done = replace(RECORD, status="success", moved_leads=3)
    assert "<@U1>" not in str(thread_messages.final_reply(done, settings=DEFAULT))
    assert "<@U1>" in str(thread_messages.final_reply(done, settings=MENTIONING))


def test_the_blocks_show_the_outcome_and_when_it_finished_in_each_readers_zone() -> None:
    done = replace(RECORD, status="success", moved_leads=1234)

    _text, blocks = thread_messages.final_reply(done)

    shown = [block["text"]["text"] if "text" in block else block["elements"][0]["text"] for block in blocks[:2]]
    assert shown[0] == ":white_check_mark: *Move completed.* 1,234 leads moved to list *Warm* in 2 min 05 s."
    finished = RECORD.finished_at
    assert finished is not None
    epoch = int(finished.replace(tzinfo=UTC).timestamp())
    assert shown[1].startswith("Job #7 · campaign *Acme &lt;Q1&gt; &amp; co* → list *Warm* · ")
    assert shown[1].endswith(f"Finished <!date^{epoch}^{{date_short_pretty}} at {{time}}|2026-11-26 09:32 UTC>")
    assert "a" * 24 not in str(blocks), "Instantly's id is for /leads status"


def test_no_finish_time_leaves_its_line_out() -> None:
    running = replace(RECORD, status="success", moved_leads=0, finished_at=None)

    text, blocks = thread_messages.final_reply(running)

    assert len(blocks) == 2
    assert " in " not in text.split("Warm")[1], "no duration without an end"
    assert "Finished" not in str(blocks)


def test_names_in_the_plain_text_are_escaped_but_not_starred() -> None:
    order = an_order(destination=lead_list("l1", "<!here> & co"))
    text, _ = thread_messages.final_reply(replace(RECORD, order=order, status="success", moved_leads=1))
    assert "list &lt;!here&gt; &amp; co in" in text


def test_the_finished_time_is_a_slack_date_with_a_utc_fallback() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5)
    record = replace(RECORD, status="failed", finished_at=at, created_at=at - timedelta(seconds=5))
    _, blocks = thread_messages.final_reply(record)
    assert "|2026-01-02 03:04 UTC>" in str(blocks[-1])

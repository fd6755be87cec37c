"""What people read: status words for every job status, the progress bar, the final reply's wording."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from bot import messages
from bot.schemas import JobStatus
from storage.models import Phase
from storage.records import Endpoint, JobRecord

RECORD = JobRecord(
    id=7,
    team_id="T1",
    channel_id="C1",
    user_id="U1",
    copy_leads=False,
    source=Endpoint("campaign", "c1", "Acme <Q1> & co"),
    destination=Endpoint("list", "l1", "Warm"),
    request_body={"campaign": "c1", "to_list_id": "l1", "limit": 1500},
    phase=Phase.RUNNING,
    instantly_job_id="a" * 24,
    status="in-progress",
    progress=40,
    moved_leads=None,
    error=None,
    start_attempted_at=None,
    announcement_channel="C1",
    announcement_ts="1.1",
    final_reply_ts=None,
    next_poll_at=datetime(2026, 11, 26, 9, 30),
    created_at=datetime(2026, 11, 26, 9, 30),
    updated_at=datetime(2026, 11, 26, 9, 30),
    finished_at=None,
)


@pytest.mark.parametrize("status", list(JobStatus))
def test_every_documented_status_has_words(status: JobStatus) -> None:
    words = messages.status_words(status)
    assert words
    assert words != status.value


def test_an_unknown_status_is_shown_as_it_is() -> None:
    assert messages.status_words("re-queued") == "Re queued"
    text, _ = messages.announcement(replace(RECORD, status="re-queued"))
    assert "Re queued" in text


def test_progress_bar() -> None:
    assert messages.progress_bar(0) == "░" * 20 + " 0%"
    assert messages.progress_bar(50).startswith("█" * 10 + "░" * 10)
    assert messages.progress_bar(250).endswith(" 100%")


def test_announcement_names_who_what_where_and_the_job_and_escapes_names() -> None:
    _, blocks = messages.announcement(RECORD)
    shown = str(blocks)
    assert "<@U1> is moving up to 1,500 leads" in shown
    assert "Acme &lt;Q1&gt; &amp; co" in shown
    assert "a" * 24 in shown
    assert "40%" in shown


@pytest.mark.parametrize(
    ("status", "moved", "copy_leads", "expected"),
    [
        ("success", 1234, False, "Move completed. <@U1>, 1,234 leads moved to list *Warm*."),
        (
            "success",
            None,
            True,
            "Copy completed. <@U1>, Leads copied to list *Warm*; Instantly did not report how many.",
        ),
        ("failed", 10, False, "Move failed. <@U1>, Instantly reports the job failed at 40%. 10 leads were moved"),
        ("cancelled", None, False, "Move cancelled. <@U1>, the job was cancelled in Instantly at 40%."),
    ],
)
def test_final_reply_names_the_outcome(status: str, moved: int | None, copy_leads: bool, expected: str) -> None:
    text, _ = messages.final_reply(replace(RECORD, status=status, moved_leads=moved, copy_leads=copy_leads))
    assert text.startswith(expected)


def test_usage_escapes_angle_brackets_for_mrkdwn() -> None:
    text, _ = messages.usage("/leads")
    assert "&lt;job-id&gt;" in text
    assert "<job-id>" not in text

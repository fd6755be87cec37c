"""What people read: status words for every job status, the progress bar, the final reply's wording."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot import messages
from bot.schemas import JobStatus
from storage.orders import MoveMode
from tests.factories import a_record, an_order, campaign, lead_list

RECORD = a_record(
    order=an_order(source=campaign("c1", "Acme <Q1> & co"), destination=lead_list("l1", "Warm"), limit=1500)
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
    text, _ = messages.final_reply(
        replace(
            RECORD,
            status=status,
            moved_leads=moved,
            order=RECORD.order.model_copy(update={"mode": MoveMode.COPY if copy_leads else MoveMode.MOVE}),
        )
    )
    assert text.startswith(expected)


def test_usage_escapes_angle_brackets_for_mrkdwn() -> None:
    text, _ = messages.usage("/leads")
    assert "&lt;job-id&gt;" in text
    assert "<job-id>" not in text


def test_words_from_instantly_never_become_mentions_or_links() -> None:
    hostile = "<!channel> <https://evil.example|re-auth here>"
    finished = replace(RECORD, status=hostile, error=None)
    failed = replace(RECORD, status=JobStatus.FAILED, error=hostile)

    texts = [
        messages.final_reply(finished)[0],
        messages.final_reply(failed)[0],
        messages.announcement(replace(RECORD, status=hostile))[0],
        messages.start_failed(RECORD, hostile)[0],
    ]

    for text in texts:
        assert "<!channel>" not in text
        assert "<https://" not in text
        assert "&lt;!channel&gt;" in text

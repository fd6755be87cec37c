"""What people read: status words for every job status, the progress bar, the final reply's wording."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC

import pytest

from bot.instantly.schemas import JobStatus
from bot.slack.blocks import job_lists, messages, thread_messages
from storage.orders import LeadFilters, MoveOptions
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
    assert "Job #7 · campaign *Acme &lt;Q1&gt; &amp; co* → list" in shown
    assert "a" * 24 not in shown, "Instantly's id is for /leads status"
    assert "40%" in shown


def test_usage_escapes_angle_brackets_for_mrkdwn() -> None:
    text, _ = messages.usage(lines=[("/leads status <job-id>", "one job in detail")])
    assert "&lt;job-id&gt;" in text
    assert "<job-id>" not in text


def test_words_from_instantly_never_become_mentions_or_links() -> None:
    hostile = "<!channel> <https://evil.example|re-auth here>"
    finished = replace(RECORD, status=hostile, error=None)
    failed = replace(RECORD, status=JobStatus.FAILED, error=hostile)

    texts = [
        thread_messages.final_reply(finished)[0],
        thread_messages.final_reply(failed)[0],
        messages.announcement(replace(RECORD, status=hostile))[0],
        messages.start_failed(RECORD, hostile)[0],
    ]

    for text in texts:
        assert "<!channel>" not in text
        assert "<https://" not in text
        assert "&lt;!channel&gt;" in text


def test_a_job_lists_age_is_shown_by_slack_to_each_reader() -> None:
    line = job_lists.job_line(RECORD)
    assert f"<!date^{int(RECORD.created_at.replace(tzinfo=UTC).timestamp())}^{{ago}}|" in line
    assert RECORD.created_at.strftime("%Y-%m-%d %H:%M UTC") + ">" in line


def test_the_filters_line_names_the_assignee_as_the_picker_showed_them_escaped() -> None:
    named = an_order().model_copy(update={"options": MoveOptions(assign_to="u-1", assign_to_name="Ann <Lee>")})
    assert messages.describe_filters(named) == "Filters and options: assigned to Ann &lt;Lee&gt;"
    unnamed = an_order().model_copy(update={"options": MoveOptions(assign_to="u-1")})
    assert messages.describe_filters(unnamed) == "Filters and options: assigned to a workspace member"


def test_a_move_back_says_what_it_returns_and_which_job_it_takes_back() -> None:
    order = an_order().model_copy(update={"filters": LeadFilters(emails=("a@x.io", "b@x.io")), "takes_back": 7})
    record = a_record(order=order, status="in-progress", progress=50)
    text, blocks = messages.announcement(record)
    assert job_lists.job_line(record).startswith("• Job #7 · campaign *Acme Q1* → list *Acme warm* (move back): ")
    assert messages.start_failed(record, "No.")[0].startswith("Your move back from")
    assert text == "Moving back 2 leads from Acme Q1 to Acme warm: In progress (50%)"
    line = "is moving back 2 leads from campaign *Acme Q1* to list *Acme warm*, taking back job #7."
    assert line in str(blocks)
    assert "listed emails" not in str(blocks), "its e-mails are the leads it returns, said once"

"""How a job only followed (`/leads track`) reads: named by Instantly's job type, with the same progress bar as a move,
a final reply with Instantly's counts and its own times, no Move back, and no Run again on App Home."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.instantly.schemas import BackgroundJob
from bot.moves import counts_of
from bot.slack.blocks import job_lists, messages, thread_messages
from handlers import home_view, ids
from storage.channel_settings import ChannelSettings
from storage.models import Phase
from tests.factories import WHEN, a_record

JOB = "6a" * 12
FOLLOWED = a_record(order=None, job_type="import-leads", instantly_job_id=JOB, started_at=WHEN - timedelta(minutes=3))
ENDED = a_record(
    order=None,
    job_type="import-leads",
    instantly_job_id=JOB,
    phase=Phase.FINISHED,
    status="success",
    progress=100,
    started_at=WHEN - timedelta(minutes=3),
    finished_at=WHEN + timedelta(seconds=5),
    job_counts=(("success_count", 950), ("failed_count", 50), ("total_to_process", 1000)),
)


def test_the_announcement_names_the_job_its_type_and_who_asked_with_the_move_progress_bar() -> None:
    text, blocks = messages.announcement(FOLLOWED)

    assert blocks[0]["text"]["text"] == "Following an Instantly job (Import leads) that <@U1> asked about."
    assert f"`{messages.progress_bar(40)}`" in blocks[1]["text"]["text"]
    assert "*In progress*" in blocks[1]["text"]["text"]
    assert text == "Following Import leads: In progress (40%). Job #7"
    assert blocks[-1]["elements"][0]["text"] == "Job #7 · Import leads"
    assert JOB not in str(blocks), "Instantly's id is for /leads status"
    assert "Filters" not in str(blocks)


def test_an_ended_announcement_shows_the_counts_instantly_gave() -> None:
    _, blocks = messages.announcement(ENDED)
    assert ":white_check_mark: *Completed* · 950 succeeded · 50 failed · 1,000 to process" in blocks[1]["text"]["text"]


@pytest.mark.parametrize(
    ("job_type", "words"),
    [
        ("export-leads", "Export leads"),
        ("move-leads", "Move leads"),
        ("resync-subscriber-crm-tags", "Re-sync subscriber CRM tags"),
        ("enrich-leads_v2", "Enrich leads v2"),
        ("<!channel>-@here", "&lt;!channel&gt; @\u2060here"),
        (None, "Instantly job"),
    ],
)
def test_job_types_read_in_the_specs_words_and_a_new_one_as_it_comes_made_safe(
    job_type: str | None, words: str
) -> None:
    assert messages.job_type_words(job_type) == words


def test_the_final_reply_tells_the_outcome_the_counts_and_instantlys_times_without_move_back() -> None:
    text, blocks = thread_messages.final_reply(ENDED)

    assert text == (
        "Import leads completed. Instantly reports the job completed in 3 min 05 s. "
        "Counts from Instantly: 950 succeeded · 50 failed · 1,000 to process."
    )
    assert blocks[0]["text"]["text"] == (
        ":white_check_mark: *Import leads completed.* Instantly reports the job completed in 3 min 05 s."
    )
    assert blocks[1]["elements"][0]["text"] == "Counts from Instantly: 950 succeeded · 50 failed · 1,000 to process"
    times = blocks[-1]["elements"][0]["text"]
    assert times.startswith(f"Job #7 · Import leads · Started {messages.slack_date(WHEN - timedelta(minutes=3))} · ")
    assert JOB not in times
    assert all(block["type"] != "actions" for block in blocks)


def test_a_failed_followed_job_mentions_the_requester_and_a_job_without_counts_says_so() -> None:
    failed = a_record(
        order=None, job_type="export-leads", status="failed", progress=60, finished_at=WHEN + timedelta(seconds=42)
    )
    text, blocks = thread_messages.final_reply(failed, settings=ChannelSettings())

    assert text == (
        "Export leads failed. <@U1>, Instantly reports the job failed at 60% in 42 s. Instantly reported no counts."
    )
    assert blocks[0]["text"]["text"].startswith(":x: *Export leads failed.* <@U1>, Instantly reports")
    assert blocks[1]["elements"][0]["text"] == "Instantly reported no counts."


def test_a_followed_move_shows_its_moved_count_once_but_offers_no_list_and_no_move_back() -> None:
    moved = a_record(
        order=None,
        job_type="move-leads",
        status="success",
        progress=100,
        moved_leads=12,
        job_counts=(("moved_leads", 12),),
        finished_at=WHEN,
    )
    text, blocks = thread_messages.final_reply(moved)

    assert text.endswith("Counts from Instantly: 12 leads moved.")
    assert all(block["type"] != "actions" for block in blocks)


def test_job_lists_show_followed_jobs() -> None:  # the help's track line: tests/handlers/test_verbs.py
    line = job_lists.job_line(FOLLOWED)
    assert line.startswith("• Job #7 · Import leads: in progress, 40% · <!date^")


def test_app_home_lists_a_followed_job_with_its_state_but_offers_no_run_again() -> None:
    view = home_view.build(jobs=[ENDED, a_record()], links={ENDED.id: "https://example.slack.com/archives/C1/p1"})

    followed = next(b for b in view["blocks"] if "Following" in str(b.get("text", "")))
    assert followed["text"]["text"] == (
        "*Following* an Instantly job (Import leads)\n"
        ":white_check_mark: *Completed* · 950 succeeded · 50 failed · 1,000 to process"
    )
    assert "accessory" not in followed
    buttons = [b["accessory"]["action_id"] for b in view["blocks"] if "accessory" in b]
    assert buttons == [ids.home_run_again(a_record().id)], "the move beside it still offers Run again"


def test_the_counts_kept_are_the_whole_numbers_in_the_jobs_data() -> None:
    job = BackgroundJob.model_validate(
        {
            "id": JOB,
            "workspace_id": "w",
            "type": "import-leads",
            "progress": 100,
            "status": "success",
            "created_at": "2026-01-01T00:00:00.000Z",
            "updated_at": "2026-01-01T00:01:00.000Z",
            "data": {
                "success_count": 3,
                "total": 4.0,
                "ratio": 0.5,
                "flag": True,
                "note": "x",
                "emails": ["a"],
                "negative": -1,
            },
        }
    )
    assert counts_of(job) == {"success_count": 3, "total": 4}

"""`leadmover demo` runs the whole flow on the simulators and shows what a person sees: names, local times, readable
sample leads, field errors in words, App Home titled Home, a workflow's step announced via its workflow and ending
with its outputs, a schedule made in the form whose first run (the demo moving the clock) is announced as scheduled
and listed; `--quiet` leaves the narration out."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app.demo import Narrator, run_demo
from app.demo_schedule import run_schedule
from app.local_stack import local_stack, seed
from bot.workflow_steps import MOVE_STEP
from simulators.reading import Reader, zone_named
from simulators.slack.function_specs import DEFAULT_MANIFEST, load_functions

ALICE_ZONE = "America/Los_Angeles"  # the simulated Slack's users.info says so


@pytest.fixture(scope="module")
def transcript() -> str:
    """What `leadmover demo --quiet` prints, run once for the tests of this module."""
    out = io.StringIO()
    assert run_demo(quiet=True, out=out) == 0
    return out.getvalue()


def test_demo_shows_the_flow_from_command_to_final_reply_as_a_person_sees_it(transcript: str) -> None:
    for expected in (
        '@alice: /leads move from:"Acme Q1 outbound" to:list:"Acme warm leads" limit:500',
        'From: <search dropdown> "Search campaigns and lists" = Acme Q1 outbound',
        "The campaign *Acme Q1 outbound* holds 1,250 leads.",
        "• dana.reyes@acme-corp.example",
        "Only these emails: Not an email address: bob@globex",
        "Asking Instantly to start the job",
        "@alice is moving up to 500 leads (the filters take 63) from campaign *Acme Q1 outbound*",
        "Move completed.",
        "[Move back]",
        "Move 63 leads back from list Acme warm leads to campaign Acme Q1 outbound?",
        "@alice is moving back 63 leads from list *Acme warm leads* to campaign *Acme Q1 outbound*, taking back job #1",
        "*Move back completed.* 63 leads moved back to campaign *Acme Q1 outbound*",
        "| Home |",
        "Your recent jobs",
        "[Run again]",
        "Your 2 most recent jobs",
        "Details: `/leads status #2`",
    ):
        assert expected in transcript, expected
    assert "U0ALICE" not in transcript, "people by their names"
    assert "UTC" not in transcript, "times in the reader's own zone"
    assert re.search(r"Finished (Today|Yesterday) at \d{1,2}:\d\d [AP]M", transcript)
    assert "(untitled)" not in transcript
    assert "{" not in transcript, "nothing printed as JSON"
    assert "──" not in transcript, "--quiet: no narration"
    assert "Demo complete" not in transcript
    before_the_schedule = transcript.split("/leads schedule ", 1)[0]
    assert before_the_schedule.count("[Show moved leads] [Move back]") == 1, "a Move back's reply offers no Move back"
    assert "example.com" not in transcript, "readable sample leads"
    assert "POST /api" not in transcript, "what Instantly received is narration"
    shown = {int(p) for p in re.findall(r"(\d+)%", transcript)}
    assert {0, 100} <= shown
    assert shown & {25, 50, 75}, "no intermediate progress was shown"


def test_the_narration_is_left_out_when_quiet_and_what_slack_shows_stays() -> None:
    for quiet, expected in ((True, "#sales · leadmover\n"), (False, "a step\n#sales · leadmover\n")):
        out = io.StringIO()
        narrator = Narrator(out, quiet=quiet)
        narrator.say("a step")
        narrator.shows("#sales · leadmover")
        assert out.getvalue() == expected


def test_demo_runs_a_workflow_step_and_shows_its_outputs_as_the_next_step_sees_them(transcript: str) -> None:
    menu = transcript.split("Workflow Builder · New deal handoff · Move Instantly leads · From\n", 1)[-1]
    assert menu.startswith("    │ Campaign: Acme Q1 outbound\n"), "the From menu as the builder sees it"
    assert "    │ … and 2 more" in menu
    for expected in (
        "Workflow Builder · New deal handoff · Move Instantly leads\n",
        '    │ To: list:"Acme warm leads"',
        "    │ Move or copy: Copy",
        "    │ At most this many leads: 200",
        "    │ Announce in: #sales",
        "@alice is copying up to 200 leads from campaign *Acme Q1 outbound* to list *Acme warm leads* via workflow"
        " *New deal handoff*.",
        "*Copy completed.* 200 leads copied to list *Acme warm leads*",
        "Workflow “New deal handoff” · outputs of Move Instantly leads\n",
        "    │ job_number: 3\n",
        "    │ status: completed\n",
        "    │ moved_count: 200\n",
    ):
        assert expected in transcript, expected
    outputs = transcript.split("outputs of Move Instantly leads\n", 1)[-1]
    for param in load_functions(DEFAULT_MANIFEST)[MOVE_STEP].outputs:
        assert re.search(rf"^    │ {param.name}: \S", outputs, re.MULTILINE), f"the step's output {param.name}"
    assert re.search(r"^    │ thread_url: https://\S+/archives/C0SALES/p\d+$", outputs, re.MULTILINE)
    reply = transcript.index("*Copy completed.*")
    assert transcript.index("via workflow *New deal handoff*") < reply < transcript.index("job_number: 3")


def _day(words: str) -> date:
    """A date as the demo's reader sees it ("Dec 14, 2026", or "Today")."""
    if words == "Today":
        return datetime.now(ZoneInfo(ALICE_ZONE)).date()
    return datetime.strptime(words, "%b %d, %Y").date()


def test_demo_makes_a_schedule_and_shows_its_first_run_and_the_list_in_order(transcript: str) -> None:
    chapter = transcript.split(
        '#sales · @alice: /leads schedule from:"Acme Q1 outbound" to:list:"Acme warm leads" limit:100\n', 1
    )
    assert len(chapter) == 2, "the chapter's command"
    shown = chapter[1]
    when = shown.index("Schedule a move · When\n")
    notice = shown.index("    │ | Scheduled |\n")
    announced = shown.index("#sales · leadmover (edited)\n")
    reply = shown.index("#sales · thread reply · leadmover\n")
    listed = shown.index("#sales · @alice: /leads schedules\n")
    assert when < notice < announced < reply < listed, "the When, the notice, the run, its reply, the list"
    for expected in (
        "    │ When\n",
        "    │     (*) Every week\n",
        '    │ Day of the week: <dropdown> "Pick a day" (optional)\n    │     * Monday\n',
        "    │ Time of day: <time picker> = 09:00\n",
        "    │     * America/Los Angeles (your time zone)\n",
    ):
        assert expected in shown[when:notice], expected
    assert "    │     * Tuesday" not in shown[when:notice], "a closed dropdown shows only what it holds"
    assert (
        "Scheduled: move up to 100 leads from campaign *Acme Q1 outbound* to list *Acme warm leads*, every Monday at "
        "09:00 (America/Los Angeles). First run: "
    ) in shown[notice:announced]
    assert "Each run is announced in #sales." in shown[notice:announced], "the channel by its name"
    assert (
        "@alice is moving up to 100 leads from campaign *Acme Q1 outbound* to list *Acme warm leads* (scheduled: "
        "every Monday at 09:00)."
    ) in shown[announced:reply]
    assert "*Completed* · 100 leads moved" in shown[announced:reply]
    assert "*Move completed.* 100 leads moved to list *Acme warm leads*" in shown[reply:listed]
    the_list = shown[listed:].split("\n\n", 1)[0]
    assert "(only you can see this)\n    │ *Your schedules* (1)\n" in the_list
    assert "every Monday at 09:00 (America/Los Angeles) · Next run: " in the_list
    assert "[Pause] [Run now] [Edit] [Delete]" in the_list
    last = re.search(r"Last run (.+?) at 9:00 AM: started job #4 · Runs are announced in #sales", the_list)
    following = re.search(r"Next run: (.+?) at 9:00 AM\n", the_list)
    assert last, the_list
    assert following, the_list
    assert _day(last.group(1)).weekday() == 0, "the first run was on a Monday at 09:00"
    assert _day(following.group(1)) - _day(last.group(1)) == timedelta(days=7), "and the next is a week on"
    assert "Monday 09:00 comes" not in transcript, "--quiet: the clock's narration is left out"


def test_the_schedule_chapter_says_that_it_moves_the_clock(tmp_path: Path) -> None:
    out = io.StringIO()
    narrator = Narrator(out)
    narrator.reader = Reader(names={"U0ALICE": "alice"}, zone=zone_named(ALICE_ZONE), now=datetime.now(UTC))
    with local_stack(database_url=f"sqlite:///{tmp_path / 'demo.db'}", poll_interval_seconds=0.2) as stack:
        seed(stack.instantly, readable=True)
        assert run_schedule(stack, narrator, channel="C0SALES", channel_name="sales", person="U0ALICE")
    told = out.getvalue()
    clock = told.index("Monday 09:00 comes. The demo does not wait for it: it moves the clock of leadmover's scheduler")
    assert told.index("| Scheduled |") < clock < told.index("(scheduled: every Monday at 09:00)")
    assert re.search(r"to the first run, Monday \d{1,2} \w+ 09:00 \(America/Los_Angeles\); Slack and Instantly", told)

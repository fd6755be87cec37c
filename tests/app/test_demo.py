"""`leadmover demo` runs the whole flow on the simulators and shows what a person sees: names, local times, readable
sample leads, field errors in words, App Home titled Home, a workflow's step announced via its workflow and ending
with its outputs; `--quiet` leaves the narration out."""

from __future__ import annotations

import io
import re

import pytest

from app.demo import Narrator, run_demo
from bot.workflow_steps import MOVE_STEP
from simulators.slack.function_specs import DEFAULT_MANIFEST, load_functions


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
    assert transcript.count("[Show moved leads] [Move back]") == 1, "a Move back's own reply offers no Move back"
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

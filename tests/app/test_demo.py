"""`leadmover demo` runs the whole flow on the simulators and narrates what a person sees."""

from __future__ import annotations

import io
import re

from app.demo import run_demo


def test_demo_narrates_the_flow_from_command_to_final_reply() -> None:
    out = io.StringIO()
    assert run_demo(quiet=True, out=out) == 0
    transcript = out.getvalue()
    for expected in (
        '@alice: /leads move from:"Acme Q1 outbound" to:list:"Acme warm leads" limit:500',
        'From: <search dropdown> "Search campaigns and lists" = Acme Q1 outbound',
        "The campaign *Acme Q1 outbound* holds 1,250 leads.",
        "Campaigns: Acme Q1 outbound",
        "• lead10@",
        "Not an email address: bob@globex",
        "Asking Instantly to start the job",
        "Move completed.",
        "[Move back]",
        "Move 362 leads back from list Acme warm leads to campaign Acme Q1 outbound?",
        "is moving back 362 leads from list *Acme warm leads* to campaign *Acme Q1 outbound*, taking back leadmover #1",
        "*Move back completed.* 362 leads moved back to campaign *Acme Q1 outbound*",
        "Your recent jobs",
        "[Run again]",
        "Your 2 most recent jobs",
        '"to_list_id"',
        "Demo complete",
    ):
        assert expected in transcript, expected
    shown = {int(p) for p in re.findall(r"(\d+)%", transcript)}
    assert {0, 100} <= shown
    assert shown & {25, 50, 75}, "no intermediate progress was shown"

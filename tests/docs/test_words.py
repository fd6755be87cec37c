"""docs/words.md against what leadmover says: every kind of message, built by the real builders, is free of the
words the glossary's avoid list keeps out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.preview import Preview
from bot.slack.blocks import approval_messages, job_lists, messages, thread_messages, undo_messages
from handlers import channel_settings_view, commands, home_view, move_view, preview_view
from storage.approvals import Approval
from storage.channel_settings import DEFAULT
from storage.models import ApprovalState, Phase
from storage.orders import LeadFilters, MoveOptions
from tests.factories import WHEN, a_record, an_order, campaign

WORDS = Path(__file__).resolve().parents[2] / "docs" / "words.md"


def avoided() -> list[str]:
    """The avoid list: the first `code` of each bullet under "## Avoid"."""
    section = WORDS.read_text(encoding="utf-8").split("## Avoid", 1)[1]
    return [match.lower() for match in re.findall(r"^- `([^`]+)`", section, flags=re.MULTILINE)]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _said() -> dict[str, str]:
    """Every kind of message leadmover shows, by what it is, as the words in it."""
    order = an_order(
        limit=500,
        filters=LeadFilters(search="acme", lead_status="FILTER_LEAD_INTERESTED", email_provider=1),
        options=MoveOptions(skip_duplicates=True, ignore_source_filters=True),
    )
    running = a_record(order=order, lead_count=2480)
    ended = replace(running, phase=Phase.DONE, progress=100, moved_leads=362, finished_at=WHEN + timedelta(minutes=2))
    tracked = replace(running, order=None, job_type="import-leads")
    undo = replace(ended, order=order.model_copy(update={"takes_back": 3}))
    shown: dict[str, Any] = {}
    for status in ("pending", "in-progress", "paused", "success", "failed", "cancelled", None):
        shown[f"announcement {status}"] = messages.announcement(replace(running, status=status))
        shown[f"tracked {status}"] = messages.announcement(replace(tracked, status=status))
    for status in ("success", "failed", "cancelled", None):
        shown[f"final reply {status}"] = thread_messages.final_reply(replace(ended, status=status, error="too long"))
        shown[f"tracked reply {status}"] = thread_messages.final_reply(replace(tracked, status=status))
    shown["move back reply"] = thread_messages.final_reply(replace(undo, status="success"))
    shown["jobs"] = job_lists.job_list([running, tracked, ended], everyone=True)
    shown["status"] = job_lists.job_detail(running)
    approval = Approval(
        job_id=7, team_id="T1", channel_id="C1", message_ts="1.1", state=ApprovalState.PENDING, decided_by=None,
        decided_at=None, reason=None, expires_at=WHEN,
    )  # fmt: skip
    shown["approval"] = approval_messages.request(running, approval)
    shown["approval of a move back"] = approval_messages.request(undo, approval)
    shown["move back confirmation"] = undo_messages.confirm_view(replace(ended, status="success"))
    shown["form"] = move_view.build(channel_id="C1", more=True)  # every field, More filters open
    shown["preview"] = preview_view.preview_text(
        source=campaign(), filters=order.filters, preview=Preview(count=2480, sample=("a@b.example",), sampled=True)
    )
    shown["confirmation"] = preview_view.confirm_view(order=order, count=2480, channel_id="C1")
    shown["home"] = home_view.build(jobs=[ended, tracked, undo], links={}, running=[running], new_move_copies=False)
    shown["settings"] = channel_settings_view.settings_view(channel_id="C1", current=DEFAULT)
    shown["help"] = commands.usage("/leads", admin=True)
    return {what: " ".join(_strings(built)) for what, built in shown.items()}


def test_the_glossary_has_an_avoid_list() -> None:
    assert {"no longer followed", "queued at instantly", "lead-finder"} <= set(avoided())


@pytest.mark.parametrize(("what", "words"), sorted(_said().items()))
def test_no_message_uses_an_avoided_word(what: str, words: str) -> None:
    used = [word for word in avoided() if word in words.lower()]
    assert not used, f"{what} says {used}: docs/words.md says what to say instead"

"""What approvers and requesters read (bot.slack.blocks.approval_messages): the request names who asks, what, from where
to where, how many, with which filters and in which mode, with Approve and Reject buttons carrying the job id and an
expiry each reader sees in their own time zone; once decided the buttons give way to who decided and why; the reply
tells the requester. Nothing a person or Instantly typed can mention, link or notify anyone."""

from __future__ import annotations

import calendar
import re
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from bot.slack.blocks import approval_messages
from bot.slack.blocks.messages import Blocks
from simulators.slack.blockkit import check_message_blocks
from storage.approvals import Approval
from storage.models import ApprovalState, Phase
from storage.orders import LeadFilters, MoveOptions
from storage.records import JobRecord
from tests.factories import a_record, an_order, campaign, lead_list

EXPIRES = datetime(2026, 11, 27, 9, 30)
RECORD = a_record(
    id=42,
    user_id="UREQ",
    channel_id="CASKED",
    phase=Phase.AWAITING_APPROVAL,
    instantly_job_id=None,
    order=an_order(source=campaign("c-1", "Q4 outbound"), destination=lead_list("l-2", "Cold leads")),
)
HOSTILE = "<!channel> look @here & <https://evil.example|re-auth> @everyone"


def _approval(state: ApprovalState = ApprovalState.PENDING, **changes: Any) -> Approval:
    approval = Approval(
        job_id=RECORD.id,
        team_id="T1",
        channel_id="CAPPROVE",
        message_ts="1.1",
        state=state,
        decided_by=None if state == ApprovalState.PENDING else "UAPP",
        decided_at=None,
        reason=None,
        expires_at=EXPIRES,
    )
    return replace(approval, **changes)


def _strings(value: Any) -> list[str]:
    """Every string in a message's blocks."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _shown(text: str, blocks: Blocks) -> str:
    return "\n".join([text, *_strings(blocks)])


def _actions(blocks: Blocks) -> list[dict[str, Any]]:
    return [block for block in blocks if block["type"] == "actions"]


def _assert_nothing_broadcasts(shown: str) -> None:
    assert "<!" not in shown
    assert "<http" not in shown
    assert re.search(r"@(here|channel|everyone)\b", shown) is None


# --- the request --------------------------------------------------------------------------------------------------


def test_the_request_names_who_asks_what_from_where_to_where() -> None:
    text, blocks = approval_messages.request(RECORD, _approval())

    first = blocks[0]["text"]["text"]
    assert first.startswith(":raised_hand: *Approval needed.* <@UREQ> asks to move")
    assert "from campaign *Q4 outbound* to list *Cold leads*" in first
    assert "asked in <#CASKED>" in first
    assert text.startswith("Approval needed: <@UREQ> asks to move")
    assert "*" not in text, "the plain-text fallback has no mrkdwn marks"


@pytest.mark.parametrize(
    ("limit", "counted", "said"),
    [
        (None, 2480, "*all 2,480 leads*"),
        (None, None, "*every matching lead (Instantly could not count them just now)*"),
        (25000, None, "*up to 25,000 leads*"),
        (25000, 2480, "*up to 25,000 leads (the source holds 2,480)*"),
        (500, 2480, "*up to 500 leads*"),
    ],
)
def test_a_request_states_a_number_of_leads_or_says_instantly_could_not_count(
    limit: int | None, counted: int | None, said: str
) -> None:
    record = replace(RECORD, order=RECORD.move.model_copy(update={"limit": limit}), lead_count=counted)

    _, blocks = approval_messages.request(record, _approval())

    assert said in blocks[0]["text"]["text"]


def test_a_request_with_filters_and_no_limit_states_the_sources_count() -> None:
    order = RECORD.move.model_copy(update={"filters": LeadFilters(search="acme.com")})
    _, blocks = approval_messages.request(replace(RECORD, order=order, lead_count=2480), _approval())
    assert "*every matching lead of the 2,480 in the source*" in blocks[0]["text"]["text"]


@pytest.mark.parametrize(
    ("limit", "matching", "more", "said"),
    [
        (None, 412, False, "asks to move *412 leads* from"),
        (None, 1, False, "asks to move *1 lead* from"),
        (None, 1000, True, "asks to move *more than 1,000 of 2,480 leads* from"),
        (5000, 412, False, "asks to move *up to 5,000 leads (the filters take 412)* from"),
        (5000, 1000, True, "asks to move *up to 5,000 leads (the source holds 2,480)* from"),
        (100, 412, False, "asks to move *up to 100 leads* from"),
    ],
)
def test_a_request_with_filters_states_what_they_take_as_the_preview_counted(
    limit: int | None, matching: int, more: bool, said: str
) -> None:
    order = RECORD.move.model_copy(update={"filters": LeadFilters(search="acme.com"), "limit": limit})
    record = replace(RECORD, order=order, lead_count=2480, matching_count=matching, matching_more=more)
    text, blocks = approval_messages.request(record, _approval())
    assert said in blocks[0]["text"]["text"]
    assert said.replace("*", "") in text, "the notification says the same"
    decided_text, _ = approval_messages.decided(record, _approval(ApprovalState.APPROVED))
    assert said.replace("*", "") in decided_text, "and so does the request once decided"


def test_more_than_the_cap_of_an_unknown_count_is_said_without_it() -> None:
    order = RECORD.move.model_copy(update={"filters": LeadFilters(search="acme.com")})
    record = replace(RECORD, order=order, lead_count=None, matching_count=1000, matching_more=True)
    _, blocks = approval_messages.request(record, _approval())
    assert "asks to move *more than 1,000 leads* from" in blocks[0]["text"]["text"]


def test_a_move_back_request_says_what_it_takes_back_and_how_many() -> None:
    order = RECORD.move.model_copy(update={"takes_back": 12, "filters": LeadFilters(emails=("a@x.io",))})
    _, blocks = approval_messages.request(replace(RECORD, order=order, lead_count=2500), _approval())
    text = blocks[0]["text"]["text"]
    assert "asks to move back *2,500 leads*" in text
    assert "Taking back job #12" in text


def test_a_request_names_its_filters_and_options() -> None:
    order = an_order(
        filters=LeadFilters(search="acme.com", lead_status="FILTER_VAL_ACTIVE", emails=("a@x.io", "b@x.io")),
        options=MoveOptions(skip_duplicates=True),
    )

    _, blocks = approval_messages.request(replace(RECORD, order=order), _approval())

    section = blocks[0]["text"]["text"]
    assert "Filters and options: matching “acme.com”" in section
    assert "2 listed emails" in section
    assert "skip duplicates" in section


def test_a_request_without_filters_says_every_lead_in_the_source() -> None:
    _, blocks = approval_messages.request(RECORD, _approval())

    assert "Filters: none, so every lead in the source." in blocks[0]["text"]["text"]


@pytest.mark.parametrize(
    ("copy", "verb", "mode"),
    [(False, "asks to move", "Mode: *Move* (the leads leave the source)"), (True, "asks to copy", "Mode: *Copy* ·")],
)
def test_a_request_names_the_mode(copy: bool, verb: str, mode: str) -> None:
    record = replace(RECORD, order=an_order(copy=copy, source=campaign(), destination=lead_list()))

    _, blocks = approval_messages.request(record, _approval())

    section = blocks[0]["text"]["text"]
    assert verb in section
    assert mode in section


def test_the_request_has_approve_and_reject_buttons_carrying_the_job_id() -> None:
    _, blocks = approval_messages.request(RECORD, _approval())

    [actions] = _actions(blocks)
    assert actions["block_id"] == approval_messages.ACTIONS_BLOCK
    approve, reject = actions["elements"]
    assert (approve["type"], approve["action_id"], approve["style"], approve["value"]) == (
        "button",
        approval_messages.APPROVE,
        "primary",
        "42",
    )
    assert approve["text"]["text"] == "Approve"
    assert (reject["type"], reject["action_id"], reject["style"], reject["value"]) == (
        "button",
        approval_messages.REJECT,
        "danger",
        "42",
    )
    assert reject["text"]["text"] == "Reject"


def test_the_request_says_when_it_expires_in_each_readers_time_zone() -> None:
    _, blocks = approval_messages.request(RECORD, _approval())

    stamp = calendar.timegm(EXPIRES.timetuple())
    expiry = blocks[-1]["elements"][0]["text"]
    assert f"<!date^{stamp}^{{date_short_pretty}} at {{time}}|2026-11-27 09:30 UTC>" in expiry
    assert "other than the requester" in expiry


# --- once decided -------------------------------------------------------------------------------------------------


def test_an_approved_request_loses_its_buttons_and_says_who_approved() -> None:
    text, blocks = approval_messages.decided(RECORD, _approval(ApprovalState.APPROVED))

    assert _actions(blocks) == []
    assert "Approved by <@UAPP>" in blocks[-1]["elements"][0]["text"]
    assert "<@UREQ> asks to move" in blocks[0]["text"]["text"]
    assert text.startswith(":white_check_mark: Approved by <@UAPP>")


def test_a_rejected_request_says_who_rejected_it_and_why() -> None:
    _, blocks = approval_messages.decided(RECORD, _approval(ApprovalState.REJECTED, reason="Too big for a Friday"))

    assert _actions(blocks) == []
    assert blocks[-1]["elements"][0]["text"] == ":no_entry: Rejected by <@UAPP>: “Too big for a Friday”"


def test_a_request_rejected_without_a_reason_says_who_rejected_it() -> None:
    _, blocks = approval_messages.decided(RECORD, _approval(ApprovalState.REJECTED))

    assert blocks[-1]["elements"][0]["text"] == ":no_entry: Rejected by <@UAPP>."


@pytest.mark.parametrize(
    ("state", "words"), [(ApprovalState.EXPIRED, ":hourglass: Expired."), (ApprovalState.CANCELLED, "Cancelled.")]
)
def test_an_expired_or_cancelled_request_says_so_and_why(state: ApprovalState, words: str) -> None:
    approval = _approval(state, decided_by="leadmover", reason="Nobody decided in time.")

    _, blocks = approval_messages.decided(RECORD, approval)

    assert _actions(blocks) == []
    outcome = blocks[-1]["elements"][0]["text"]
    assert words in outcome
    assert "Nobody decided in time." in outcome


# --- the reply to the requester ---------------------------------------------------------------------------------


def test_the_reply_to_a_rejected_move_mentions_the_requester_and_who_rejected_it() -> None:
    text, blocks = approval_messages.not_approved_reply(RECORD, _approval(ApprovalState.REJECTED, reason="Not now"))

    assert text == (
        "<@UREQ>, your move was not approved, so nothing changed in Instantly. <@UAPP> rejected it: “Not now”"
    )
    assert blocks[0]["text"]["text"] == text


def test_the_reply_to_an_expired_copy_mentions_the_requester_and_the_reason() -> None:
    record = replace(RECORD, order=an_order(copy=True))
    approval = _approval(ApprovalState.EXPIRED, decided_by="leadmover", reason="Nobody decided within 24 hours.")

    text, _ = approval_messages.not_approved_reply(record, approval)

    assert text.startswith("<@UREQ>, your copy was not approved")
    assert text.endswith("Nobody decided within 24 hours.")


# --- what people typed ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [ApprovalState.REJECTED, ApprovalState.EXPIRED, ApprovalState.CANCELLED])
def test_a_reason_never_mentions_or_notifies_anyone(state: ApprovalState) -> None:
    approval = _approval(state, reason=HOSTILE)

    for text, blocks in (
        approval_messages.decided(RECORD, approval),
        approval_messages.not_approved_reply(RECORD, approval),
    ):
        shown = _shown(text, blocks)
        _assert_nothing_broadcasts(shown)
        assert "&lt;!channel&gt;" in shown
        assert "@\u2060here" in shown


def test_names_and_filters_never_mention_or_notify_anyone() -> None:
    order = an_order(
        source=campaign("c-1", "<!channel> Q4"),
        destination=lead_list("l-2", "@here <https://evil.example|list>"),
        filters=LeadFilters(search="@everyone <!subteam^S1>"),
    )
    record: JobRecord = replace(RECORD, order=order)

    for text, blocks in (
        approval_messages.request(record, _approval()),
        approval_messages.decided(record, _approval(ApprovalState.APPROVED)),
    ):
        shown = _shown(text, blocks)
        # The expiry is the one <!…> leadmover writes itself.
        _assert_nothing_broadcasts(re.sub(r"<!date\^[^>]*>", "", shown))
        assert "&lt;!channel&gt; Q4" in shown


@pytest.mark.parametrize("state", list(ApprovalState))
def test_every_message_is_valid_block_kit(state: ApprovalState) -> None:
    approval = _approval(state, reason=HOSTILE if state != ApprovalState.PENDING else None)
    if state == ApprovalState.PENDING:
        built = [approval_messages.request(RECORD, approval)]
    else:
        built = [approval_messages.decided(RECORD, approval), approval_messages.not_approved_reply(RECORD, approval)]

    for _text, blocks in built:
        assert check_message_blocks(blocks) == []

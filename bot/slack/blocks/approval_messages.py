"""Block Kit for a big move's request for approval: the request with its buttons, the request once decided, and the
reply that tells the requester it was not approved. Its action ids are shared with handlers/approvals.py."""

from __future__ import annotations

from datetime import UTC
from typing import Any, Final

from bot.slack.blocks.messages import (
    Blocks,
    context,
    describe_filters,
    endpoint_phrase,
    escape,
    job_button,
    job_number,
    lead_count_phrase,
    noun_of,
    section,
)
from storage.approvals import Approval
from storage.models import ApprovalState
from storage.records import JobRecord

APPROVE: Final = "approve_move"
REJECT: Final = "reject_move"
ACTIONS_BLOCK: Final = "approval_actions"
METADATA_EVENT_REQUEST: Final = "leadmover_approval_requested"
METADATA_EVENT_REPLY: Final = "leadmover_approval_replied"

_DECIDED: Final[dict[ApprovalState, str]] = {
    ApprovalState.APPROVED: ":white_check_mark: Approved by <@{by}>. It is starting, and is followed in its channel.",
    ApprovalState.REJECTED: ":no_entry: Rejected by <@{by}>{reason}",
    ApprovalState.EXPIRED: ":hourglass: Expired. {reason}",
    ApprovalState.CANCELLED: ":no_entry_sign: Cancelled. {reason}",
}


def _summary(record: JobRecord) -> str:
    order = record.move
    verb = noun_of(order).lower()
    count = f"*{lead_count_phrase(record)}*"
    if order.takes_back is not None:
        filters = f"Taking back job {job_number(order.takes_back)}: the leads Instantly says it moved"
    else:
        filters = describe_filters(order) or "Filters: none, so every lead in the source"
    mode = "" if order.takes_back is not None else f"\nMode: *{'Copy' if order.copies else 'Move'}*"
    mode += "" if order.copies or order.takes_back is not None else " (the leads leave the source)"
    return (
        f"<@{record.user_id}> asks to {verb} {count} from {endpoint_phrase(order.source)} to "
        f"{endpoint_phrase(order.destination)}.\n{filters}.{mode} · asked in <#{record.channel_id}>"
    )


def _expiry(approval: Approval) -> str:
    # Slack shows a <!date> in each reader's own time zone; the fallback is for clients that cannot.
    stamp = int(approval.expires_at.replace(tzinfo=UTC).timestamp())
    fallback = approval.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    when = f"<!date^{stamp}^{{date_short_pretty}} at {{time}}|{fallback}>"
    return f"Needs an approver other than the requester. Expires {when}."


def request(record: JobRecord, approval: Approval) -> tuple[str, Blocks]:
    """The request as first posted: who asked, what, and the Approve and Reject buttons."""
    summary = _summary(record)
    buttons: dict[str, Any] = {
        "type": "actions",
        "block_id": ACTIONS_BLOCK,
        "elements": [
            job_button(APPROVE, "Approve", record.id, style="primary"),
            job_button(REJECT, "Reject", record.id, style="danger"),
        ],
    }
    blocks: Blocks = [section(f":raised_hand: *Approval needed.* {summary}"), buttons, context(_expiry(approval))]
    return f"Approval needed: {_plain(summary)}", blocks


def decided(record: JobRecord, approval: Approval) -> tuple[str, Blocks]:
    """The request once decided: the buttons give way to the decision."""
    reason = escape(approval.reason or "")
    if approval.state == ApprovalState.REJECTED:
        reason = f": “{reason}”" if reason else "."
    outcome = _DECIDED[approval.state].format(by=approval.decided_by or "", reason=reason)
    summary = _summary(record)
    return f"{_plain(outcome)} {_plain(summary)}", [section(summary), context(outcome)]


def not_approved_reply(record: JobRecord, approval: Approval) -> tuple[str, Blocks]:
    """Told to the requester in the request's thread."""
    verb = "copy" if record.move.copies else "move"
    if approval.state == ApprovalState.REJECTED:
        why = f"<@{approval.decided_by}> rejected it" + (f": “{escape(approval.reason)}”" if approval.reason else ".")
    else:
        why = escape(approval.reason or "")
    text = f"<@{record.user_id}>, your {verb} was not approved, so nothing changed in Instantly. {why}"
    return text, [section(text)]


def _plain(text: str) -> str:
    """A notification's plain-text fallback: mrkdwn's emphasis marks dropped."""
    return text.replace("*", "").replace(":raised_hand: ", "")

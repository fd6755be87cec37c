"""Block Kit for a schedule's request for approval: what it moves, how often and when it first runs, with Approve
and Reject; and the request once decided. Its action ids are shared with handlers/schedule_approvals.py."""

from __future__ import annotations

from typing import Final

from bot.recurrence import Recurrence
from bot.slack.blocks.messages import Blocks, context, describe_filters, endpoint_phrase, noun_of, section
from storage.orders import LeadFilters, MoveOrder

APPROVE: Final = "approve_schedule"
REJECT: Final = "reject_schedule"
ACTIONS_BLOCK: Final = "schedule_approval_actions"


def what(order: MoveOrder) -> str:
    """What each run moves, in a phrase: "copy up to 200 leads from campaign *A* to list *B*"; with no limit,
    "every lead" or "every lead the filters take"."""
    verb = "copy" if order.copies else "move"
    if order.limit is not None:
        leads = f"up to {order.limit:,} lead{'' if order.limit == 1 else 's'}"
    else:
        leads = "every lead" if order.filters == LeadFilters() else "every lead the filters take"
    return f"{verb} {leads} from {endpoint_phrase(order.source)} to {endpoint_phrase(order.destination)}"


def request(
    *, schedule_id: int, owner_id: str, order: MoveOrder, recurrence: Recurrence, first_run: str
) -> tuple[str, Blocks]:
    """The request: who, what, how often, from when; `first_run` is a Slack date token."""
    when = f"{recurrence.words()} ({recurrence.zone_words()})"
    line = f"*Approval needed:* <@{owner_id}> wants to {what(order)}, {when}, first {first_run}."
    blocks: Blocks = [section(line)]
    filters = describe_filters(order)
    if filters:
        blocks.append(context(filters))
    blocks.append(
        context(
            f"Schedule #{schedule_id}. Approved once, each run then starts without asking again; a change of its "
            f"{noun_of(order).lower()} asks again. An admin or approver other than <@{owner_id}> decides."
        )
    )
    value = str(schedule_id)
    blocks.append(
        {
            "type": "actions",
            "block_id": ACTIONS_BLOCK,
            "elements": [
                {
                    "type": "button",
                    "action_id": APPROVE,
                    "text": {"type": "plain_text", "text": "Approve"},
                    "style": "primary",
                    "value": value,
                },
                {
                    "type": "button",
                    "action_id": REJECT,
                    "text": {"type": "plain_text", "text": "Reject"},
                    "style": "danger",
                    "value": value,
                },
            ],
        }
    )
    text = f"Approval needed: a schedule by <@{owner_id}> to {what(order)}, {when}"
    return text.replace("*", ""), blocks


def decided(
    *, schedule_id: int, owner_id: str, order: MoveOrder, recurrence: Recurrence, by: str, approved: bool
) -> tuple[str, Blocks]:
    """The request once decided: its buttons give way to the decision."""
    when = f"{recurrence.words()} ({recurrence.zone_words()})"
    verdict = f":white_check_mark: Approved by <@{by}>" if approved else f":no_entry: Not approved by <@{by}>"
    after = "; its runs start without asking again." if approved else "; it will not run."
    line = f"Schedule #{schedule_id} by <@{owner_id}>: {what(order)}, {when}."
    return f"{verdict.split(' ', 1)[1]}: schedule #{schedule_id}", [section(line), context(verdict + after)]

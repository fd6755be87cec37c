"""The Approve and Reject buttons of a request for approval, and the small modal that asks why it is rejected.

Anyone may press; only admins and approvers, and never the requester, change anything. Everyone else is told why
in a message only they see.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Final

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.approvals import Decision
from bot.slack.blocks import approval_messages
from handlers.context import services_of, team_and_user
from handlers.modals import open_modal
from storage.models import ApprovalState

log = logging.getLogger(__name__)

REJECT_MODAL: Final = "reject_move"
REASON: Final = "reason"  # block_id and action_id of the reason input

View = dict[str, Any]


def register(app: App) -> None:
    app.action(approval_messages.APPROVE)(handle_approve)
    app.action(approval_messages.REJECT)(handle_reject)
    app.view(REJECT_MODAL)(handle_reject_reason)


def _text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def reason_view(*, job_id: int, channel_id: str) -> View:
    return {
        "type": "modal",
        "callback_id": REJECT_MODAL,
        "title": _text("Reject this move"),
        "submit": _text("Reject"),
        "close": _text("Cancel"),
        "private_metadata": json.dumps({"job_id": job_id, "channel_id": channel_id}),
        "blocks": [
            {
                "type": "input",
                "block_id": REASON,
                "optional": True,
                "label": _text("Why? (the requester sees this)"),
                "element": {"type": "plain_text_input", "action_id": REASON, "multiline": True, "max_length": 500},
            }
        ],
    }


def _pressed(body: dict[str, Any], context: BoltContext) -> tuple[str, str, int | None]:
    """(team id, who pressed, the job the button is for)."""
    team_id, user_id = team_and_user(body, context)
    action = (body.get("actions") or [{}])[0]
    value = str(action.get("value") or "")
    return team_id, user_id, int(value) if value.isdigit() and len(value) < 12 else None


def _tell(respond: Respond, decision: Decision, *, what: str) -> None:
    """Say privately why pressing changed nothing; a decision that took effect shows in the request itself."""
    if decision.refusal is not None:
        respond(response_type="ephemeral", replace_original=False, text=decision.refusal)
    elif decision.already is not None:
        by = f" by <@{decision.already.decided_by}>" if decision.already.decided_by not in (None, "leadmover") else ""
        state = {ApprovalState.APPROVED: "approved", ApprovalState.REJECTED: "rejected"}.get(
            decision.already.state, decision.already.state.value
        )
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=f"This request was already {state}{by}, so your {what} changed nothing.",
        )


def handle_approve(ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    ack()
    team_id, user_id, job_id = _pressed(body, context)
    if job_id is None:
        return
    decision = services_of(context).approvals.approve(team_id=team_id, job_id=job_id, approver=user_id)
    _tell(respond, decision, what="approval")


def handle_reject(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext) -> None:
    ack()
    team_id, user_id, job_id = _pressed(body, context)
    if job_id is None:
        return
    services = services_of(context)
    refused = services.approvals.refusal(team_id=team_id, job_id=job_id, approver=user_id)
    if refused is not None:
        _tell(respond, refused, what="rejection")
        return
    channel_id = str((body.get("channel") or {}).get("id") or "")
    view = reason_view(job_id=job_id, channel_id=channel_id)
    open_modal(client=client, respond=respond, trigger_id=body["trigger_id"], view=view, again="Press Reject again.")


def handle_reject_reason(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services = services_of(context)
    team_id, user_id = team_and_user(body, context)
    try:
        job_id = int(json.loads(view.get("private_metadata") or "{}")["job_id"])
    except (ValueError, KeyError, TypeError):
        ack(response_action="errors", errors={REASON: "This form lost track of its request. Press Reject again."})
        return
    values = (view.get("state") or {}).get("values") or {}
    reason = str(((values.get(REASON) or {}).get(REASON) or {}).get("value") or "").strip()
    decision = services.approvals.reject(team_id=team_id, job_id=job_id, approver=user_id, reason=reason or None)
    if decision.refusal is not None:
        ack(response_action="errors", errors={REASON: decision.refusal})
    elif decision.already is not None:
        ack(response_action="errors", errors={REASON: f"This request was already {decision.already.state.value}."})
    else:
        ack()

"""The Workflow Builder step "Move Instantly leads" (manifest.yml, `functions.move_instantly_leads`) and the menu
of campaigns and lists its From and To inputs offer (`functions.instantly_places`).

Each run is written down and its move asked for through the door before Slack's event is acknowledged: a run Slack
heard acknowledged is never lost, and one it delivers again starts nothing new. How it ends is told to Slack later,
by the writer (bot.slack.step_ends), when its move has ended.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from slack_bolt import Ack, App, BoltContext, Complete, Fail

from bot.pickers import Choice
from bot.workflow_steps import MOVE_STEP, PLACES_STEP
from handlers.context import services_of

log = logging.getLogger(__name__)

NOT_TAKEN: Final = (
    "leadmover could not take this run in just now, so nothing was moved. Slack delivers it again shortly; if the "
    "step still fails, run the workflow again."
)
NO_MENU: Final = "Instantly could not list the campaigns and lists just now ({problem}). Open the menu again."


def register(app: App) -> None:
    app.function(MOVE_STEP, auto_acknowledge=False)(handle_move_step)
    app.function(PLACES_STEP, auto_acknowledge=False)(handle_places)


def handle_move_step(ack: Ack, event: dict[str, Any], inputs: dict[str, Any], fail: Fail, context: BoltContext) -> None:
    services = services_of(context)
    try:
        opened = services.workflow_steps.run(
            team_id=str(context.team_id or ""),
            execution_id=str(event.get("function_execution_id") or ""),
            workflow_execution_id=event.get("workflow_execution_id"),
            token=str(event.get("bot_access_token") or context.function_bot_access_token or ""),
            inputs=inputs,
        )
    except Exception:
        # Not acknowledged: Slack delivers the run again, and whatever this attempt wrote is found then.
        log.exception("could not take in a workflow run; Slack will deliver it again")
        return
    ack()
    if opened.error is not None and not opened.written:
        fail(opened.error)  # nothing could be written, so the outbox cannot tell Slack: it is told now


def handle_places(ack: Ack, complete: Complete, fail: Fail, context: BoltContext) -> None:
    services = services_of(context)
    try:
        choices = services.workflow_steps.places(str(context.team_id or ""))
    except LookupError as exc:
        fail(NO_MENU.format(problem=str(exc).rstrip(".")))
    else:
        complete(outputs={"options": [menu_option(choice) for choice in choices]})
    finally:
        ack()


def menu_option(choice: Choice) -> dict[str, Any]:
    """One entry of the From and To menus: the kind first, so a campaign and a list of one name tell apart."""
    kind = "Campaign" if choice.value.startswith("campaign:") else "List"
    return {"text": {"type": "plain_text", "text": f"{kind}: {choice.label}"[:75]}, "value": choice.value}

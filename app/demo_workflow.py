"""The demo's chapter on the Workflow Builder step (README: "Moves from Workflow Builder"): a workflow, "New deal
handoff", runs leadmover's step "Move Instantly leads" for the demo's person. Told as Slack shows it: the step's From
menu as the workflow's builder sees it, the inputs they set, the move announced in the channel "via workflow" and
its thread's reply, then the step's outputs as the workflow's next step sees them."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Final

from bot.workflow_inputs import INPUT_TITLES
from bot.workflow_steps import MOVE_STEP

if TYPE_CHECKING:
    from app.demo import Narrator
    from app.local_stack import LocalStack
    from simulators.slack import Message

WORKFLOW: Final = "New deal handoff"
STEP_TITLE: Final = "Move Instantly leads"  # manifest.yml, functions.move_instantly_leads.title
MENU_SHOWN: Final = 4  # how many of the From menu's options the chapter prints
PICKED: Final = "Campaign: Acme Q1 outbound"
TO_TYPED: Final = 'list:"Acme warm leads"'
LIMIT: Final = 200
# The step's output_parameters (manifest.yml), in the order the workflow's next step lists them.
OUTPUTS: Final = ("job_number", "instantly_job_id", "status", "moved_count", "thread_url")


def _menu(stack: LocalStack, out: Narrator) -> str | None:
    """The builder opens the From menu (leadmover fills it: instantly_places); the value of the option they pick."""
    started = time.monotonic()
    options = stack.slack.load_step_options(stack.app_url, callback_id=MOVE_STEP, input_name="from")
    out.say(f"The From menu, filled by leadmover in {(time.monotonic() - started) * 1000:.0f} ms, opens on:")
    out.shows(f"Workflow Builder · {WORKFLOW} · {STEP_TITLE} · {INPUT_TITLES['from']}")
    labels = [str(option["text"]["text"]) for option in options]
    more = f"\n… and {len(labels) - MENU_SHOWN} more (typing narrows the menu)" if len(labels) > MENU_SHOWN else ""
    out.block("\n".join(labels[:MENU_SHOWN]) + more)
    return next((str(o["value"]) for o in options if o["text"]["text"] == PICKED), None)


def _set_up(out: Narrator, *, channel_name: str, name: str) -> None:
    """The step's inputs as Workflow Builder lists them once the builder has set them."""
    out.say(f"@{name} picks “{PICKED}”, types the list's name into To, and sets the rest:")
    out.shows(f"Workflow Builder · {WORKFLOW} · {STEP_TITLE}")
    shown = {
        "from": PICKED,
        "to": TO_TYPED,
        "mode": "Copy",
        "limit": f"{LIMIT}",
        "channel_id": f"#{channel_name}",
        "user_id": "Person who used this workflow",
        "workflow_name": WORKFLOW,
    }
    out.block("\n".join(f"{INPUT_TITLES[name]}: {value}" for name, value in shown.items()))


def _announced(stack: LocalStack, channel: str, before: int) -> Message | None:
    """The step's announcement once it says the move ended (its last edit is paced, so it may follow the reply)."""
    posted = stack.slack.messages(channel)[before:]
    return posted[0] if posted and "*Completed*" in str(posted[0].blocks) else None


def _outputs(outputs: dict[str, Any]) -> str:
    return "\n".join(f"{name}: {outputs[name]}" for name in OUTPUTS if name in outputs)


def run_workflow(stack: LocalStack, out: Narrator, *, channel: str, channel_name: str, person: str) -> bool:
    """The chapter; True when the step ended with every output and the channel was told it came via the workflow."""
    name = out.reader.names.get(person, "someone")
    out.say(f"@{name} builds a workflow, “{WORKFLOW}”, and adds leadmover's step {STEP_TITLE} to it.")
    source = _menu(stack, out)
    if source is None:
        out.shows(f"Workflow Builder · the From menu has no “{PICKED}”")
        return False
    _set_up(out, channel_name=channel_name, name=name)
    before = len(stack.slack.messages(channel))
    inputs = {
        "from": source,
        "to": TO_TYPED,
        "mode": "copy",
        "limit": LIMIT,
        "channel_id": channel,
        "user_id": person,
        "workflow_name": WORKFLOW,
    }
    out.say(f"@{name} runs the workflow. Slack sends leadmover the step (function_executed); the move is announced:")
    started = time.monotonic()
    run = stack.slack.run_step(stack.app_url, callback_id=MOVE_STEP, inputs=inputs)
    try:
        done = stack.slack.functions.wait_for_end(run.function_execution_id, timeout=30)
    except TimeoutError:
        out.shows(f"Workflow “{WORKFLOW}” · {STEP_TITLE} is still running after 30 s")
        return False
    took = time.monotonic() - started
    stack.slack.wait_for(lambda: _announced(stack, channel, before) is not None, timeout=5)
    posted = stack.slack.messages(channel)[before:]
    replies = stack.slack.replies(channel, posted[0].ts) if posted else []
    if posted:
        out.shows(f"#{channel_name} · leadmover{' (edited)' if len(posted[0].history) > 1 else ''}")
        out.message(posted[0])
    if replies:
        out.shows(f"#{channel_name} · thread reply · leadmover")
        out.message(replies[0])
    if done.state != "completed":
        out.shows(f"Workflow “{WORKFLOW}” · {STEP_TITLE} failed: {done.error}")
        return False
    out.say(f"The step ends {took:.0f} s after it started (functions.completeSuccess); the workflow's next step sees:")
    outputs = done.outputs or {}
    out.shows(f"Workflow “{WORKFLOW}” · outputs of {STEP_TITLE}")
    out.block(_outputs(outputs))
    via = bool(posted) and f"via workflow *{WORKFLOW}*" in str(posted[0].blocks)
    return via and bool(replies) and all(name in outputs for name in OUTPUTS)

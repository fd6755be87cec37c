"""`leadmover demo`: the real app against the loopback simulators, narrated as what a person sees in Slack."""

from __future__ import annotations

import json
import logging
import sys
import tempfile
import textwrap
import time
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from bot import logs
from bot.simulators.render import render_message, render_view
from bot.simulators.slack import Message
from bot.simulators.stack import LocalStack, local_stack, seed
from handlers import ids

CHANNEL = "C0SALES"


class Narrator:
    def __init__(self, out: TextIO) -> None:
        self._out = out

    def say(self, line: str = "") -> None:
        print(line, file=self._out, flush=True)

    def block(self, text: str, indent: str = "    │ ") -> None:
        for line in text.splitlines() or [""]:
            self.say(indent + line)

    def step(self, title: str) -> None:
        self.say()
        self.say(f"── {title} " + "─" * max(0, 72 - len(title)))


def _options(answer: dict[str, Any]) -> list[dict[str, Any]]:
    groups = answer.get("option_groups") or [{"label": {"text": ""}, "options": answer.get("options", [])}]
    return [{"group": g["label"]["text"], **o} for g in groups for o in g["options"]]


def _pick(stack: LocalStack, view: dict[str, Any], action_id: str, query: str, out: Narrator) -> dict[str, Any]:
    answer = stack.slack.load_options(stack.app_url, view_id=view["id"], action_id=action_id, value=query)
    options = _options(answer.json())
    out.say(f'@alice types "{query}" into {action_id.title()}; leadmover suggests ({answer.elapsed * 1000:.0f} ms):')
    for option in options:
        out.say(f"    {option['group']:>10}: {option['text']['text']}")
    chosen = options[0]
    out.say(f"@alice picks {chosen['text']['text']}")
    return {"text": chosen["text"], "value": chosen["value"]}


def _edited_beyond(stack: LocalStack, versions: int) -> bool:
    return len(stack.slack.messages(CHANNEL)[0].history) > versions


def _watch(stack: LocalStack, out: Narrator, *, timeout: float = 30.0) -> Message | None:
    """Print every version of the announcement as Slack shows it, until the thread gets its reply."""
    shown = 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = stack.slack.messages(CHANNEL)
        if messages:
            announcement = messages[0]
            for text, blocks in announcement.history[shown:]:
                label = "#sales · leadmover" if shown == 0 else "#sales · leadmover (edited)"
                out.say(label)
                out.block(render_message({"text": text, "blocks": blocks}))
                shown += 1
            replies = stack.slack.replies(CHANNEL, announcement.ts)
            if replies:
                out.say("#sales · thread reply · leadmover")
                out.block(render_message(replies[0]))
                # The announcement's own last edit is paced like every edit, so it may follow the reply.
                stack.slack.wait_for(partial(_edited_beyond, stack, shown), timeout=5)
                for text, blocks in stack.slack.messages(CHANNEL)[0].history[shown:]:
                    out.say("#sales · leadmover (edited)")
                    out.block(render_message({"text": text, "blocks": blocks}))
                return replies[0]
        time.sleep(0.05)
    return None


def _narrate(stack: LocalStack, out: Narrator) -> bool:
    seed(stack.instantly)
    out.step("1. A person asks")
    out.say("#sales · @alice: /leads move")
    response = stack.slack.send_command(stack.app_url, text="move", channel_id=CHANNEL)
    stack.slack.wait_for(lambda: bool(stack.slack.opened_views()), timeout=5)
    view = stack.slack.opened_views()[0]
    out.say(f"Slack opens the modal ({response.elapsed * 1000:.0f} ms after the command):")
    out.block(render_view(view))

    out.step("2. Filling in the modal")
    source = _pick(stack, view, ids.SOURCE, "acme", out)
    destination = _pick(stack, view, ids.DESTINATION, "warm", out)
    values = {ids.SOURCE: source, ids.DESTINATION: destination, ids.LIMIT: "500", ids.OPTIONS: ["skip_duplicates"]}
    out.say("@alice sets “At most 500 leads”, ticks “Skip duplicates” and presses Start")
    typo = {**values, ids.CONTACTS: "ann@acme.com, bob@globex"}
    bad = stack.slack.submit_view(stack.app_url, view_id=view["id"], values=typo)
    out.say("(first, with a typo in “Only these emails”: bob@globex) → Slack shows under the field:")
    out.block(json.dumps(bad.json().get("errors"), ensure_ascii=False))
    submitted = stack.slack.submit_view(stack.app_url, view_id=view["id"], values=values)
    out.say(f"(typo removed) → accepted in {submitted.elapsed * 1000:.0f} ms; the modal now says:")
    out.block(render_view(submitted.json()["view"]))

    out.step("3. In the channel")
    reply = _watch(stack, out)
    stack.slack.wait_for(lambda: "started job" in json.dumps(stack.slack.view(view["id"])), timeout=5)
    out.say("The modal, if still open, reads:")
    out.block(render_view(stack.slack.view(view["id"])))

    out.step("4. Later")
    out.say("#sales · @alice: /leads jobs")
    jobs = stack.slack.send_command(stack.app_url, text="jobs", channel_id=CHANNEL).json()
    out.say("(only you can see this)")
    out.block(render_message(jobs))

    out.step("What Instantly received")
    [body] = stack.instantly.move_bodies()
    out.block(f"POST /api/v2/leads/move {json.dumps(body, indent=2)}")
    polls = sum(1 for r in stack.instantly.requests if r.path.startswith("/api/v2/background-jobs"))
    out.say(f"    and {polls} polls of GET /api/v2/background-jobs, each covering every unfinished job at once")
    problems = stack.slack.violations + stack.instantly.violations
    for problem in problems:
        out.say(f"CONTRACT VIOLATION: {problem}")
    return reply is not None and "completed" in reply.text and not problems


def run_demo(*, quiet: bool = False, out: TextIO = sys.stdout) -> int:
    """Run the whole flow once on a fresh SQLite file; 0 when the final reply landed and no contract was broken."""
    logs.configure(level="ERROR" if quiet else "WARNING", secrets=())
    narrator = Narrator(out)
    narrator.say("leadmover demo: the real app, with loopback simulators of Slack and Instantly standing in")
    with tempfile.TemporaryDirectory(prefix="leadmover-demo-") as folder:
        database_url = f"sqlite:///{Path(folder) / 'demo.db'}"
        with local_stack(database_url=database_url, poll_interval_seconds=0.4) as stack:
            ok = _narrate(stack, narrator)
    narrator.say()
    narrator.say(
        textwrap.dedent(
            """\
        Demo complete: the move was announced, its progress shown and its final reply posted in the thread."""
            if ok
            else "Demo FAILED: see above."
        )
    )
    logging.shutdown()
    return 0 if ok else 1

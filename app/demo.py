"""`leadmover demo`: the real app against the loopback simulators, narrated as what a person sees in Slack: people by
their names and times in their own zone, as users.info describes them. `--quiet` prints only what Slack shows."""

from __future__ import annotations

import json
import logging
import sys
import tempfile
import textwrap
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from slack_sdk import WebClient

from app.demo_schedule import run_schedule
from app.demo_workflow import run_workflow
from app.local_stack import LocalStack, local_stack, seed
from bot import logs
from bot.secrets import new_key
from bot.slack.blocks import undo_messages
from handlers import ids, more_filters
from simulators.reading import Reader, zone_named
from simulators.render import render_message, render_view
from simulators.slack import Message

CHANNEL = "C0SALES"
DEMO_USER = "U0ALICE"  # who the simulated Slack says typed the commands
PEOPLE = ("U0BOB",)  # others a message may mention
SEARCH = "dana"  # what the person narrows the move down to: every Dana of the campaign


class Narrator:
    """Prints what Slack shows (`shows`, `block`, `message`, `view`) and, unless quiet, the story around it (`say`,
    `step`). `reader` is the person reading: their names for people and their time zone."""

    def __init__(self, out: TextIO, *, quiet: bool = False) -> None:
        self._out = out
        self._quiet = quiet
        self.reader = Reader()

    def _print(self, line: str) -> None:
        print(line, file=self._out, flush=True)

    def say(self, line: str = "") -> None:
        if not self._quiet:
            self._print(line)

    def shows(self, line: str) -> None:
        """Where something appears in Slack, as its client labels it ("#sales · leadmover")."""
        self._print(line)

    def block(self, text: str, indent: str = "    │ ") -> None:
        for line in text.splitlines() or [""]:
            self._print(indent + line)

    def aside(self, text: str, indent: str = "    │ ") -> None:
        """A block of the story that Slack does not show (what Instantly received)."""
        for line in text.splitlines() or [""]:
            self.say(indent + line)

    def message(self, message: Message | dict[str, Any]) -> None:
        self.block(render_message(message, self.reader))

    def view(self, view: dict[str, Any]) -> None:
        self.block(render_view(view, self.reader))

    def step(self, title: str) -> None:
        self.say()
        self.say(f"── {title} " + "─" * max(0, 72 - len(title)))


def _reader(stack: LocalStack, user_id: str) -> Reader:
    """The demo's person as Slack's users.info describes them: everyone's display names, and their own zone."""
    token = stack.settings.slack_bot_token
    client = WebClient(token=token.get_secret_value() if token else None, base_url=stack.settings.slack_api_url)
    names: dict[str, str] = {}
    zone = "UTC"
    for person in (user_id, *PEOPLE):
        user = client.users_info(user=person)["user"]
        names[person] = user["profile"].get("display_name") or user["name"]
        zone = str(user.get("tz") or zone) if person == user_id else zone
    return Reader(names=names, zone=zone_named(zone), now=datetime.now(UTC))


def _errors_in_words(view: dict[str, Any], errors: dict[str, str]) -> str:
    """A submission's field errors as Slack shows them: under each field, by its label."""
    labels = {b.get("block_id"): (b.get("label") or {}).get("text", "") for b in view.get("blocks") or []}
    return "\n".join(f"{labels.get(field) or field}: {error}" for field, error in errors.items())


def _options(answer: dict[str, Any]) -> list[dict[str, Any]]:
    groups = answer.get("option_groups") or [{"label": {"text": ""}, "options": answer.get("options", [])}]
    return [{"group": g["label"]["text"], **o} for g in groups for o in g["options"]]


def _suggestions(stack: LocalStack, view: dict[str, Any], action_id: str, query: str, out: Narrator) -> None:
    answer = stack.slack.load_options(stack.app_url, view_id=view["id"], action_id=action_id, value=query)
    out.say(f'Typing "{query}" into {action_id.title()} instead would suggest ({answer.elapsed * 1000:.0f} ms):')
    for option in _options(answer.json()):
        out.say(f"    {option['group']:>10}: {option['text']['text']}")


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
                out.shows(label)
                out.message({"text": text, "blocks": blocks})
                shown += 1
            replies = stack.slack.replies(CHANNEL, announcement.ts)
            if replies:
                out.shows("#sales · thread reply · leadmover")
                out.message(replies[0])
                # The announcement's own last edit is paced like every edit, so it may follow the reply.
                stack.slack.wait_for(partial(_edited_beyond, stack, shown), timeout=5)
                for text, blocks in stack.slack.messages(CHANNEL)[0].history[shown:]:
                    out.shows("#sales · leadmover (edited)")
                    out.message({"text": text, "blocks": blocks})
                return replies[0]
        time.sleep(0.05)
    return None


def _thread(stack: LocalStack) -> list[Message]:
    anchors = stack.slack.messages(CHANNEL)
    return stack.slack.replies(CHANNEL, anchors[0].ts) if anchors else []


def _preview_block(view: dict[str, Any]) -> dict[str, Any]:
    block: dict[str, Any] = next(b for b in view["blocks"] if b.get("block_id") == ids.PREVIEW)
    return {"text": "", "blocks": [block]}


def _has_block(view: dict[str, Any], block_id: str) -> bool:
    return any(b.get("block_id") == block_id for b in view["blocks"])


def _preview_of(view: dict[str, Any]) -> str:
    return render_message(_preview_block(view))


def _ask(stack: LocalStack, out: Narrator) -> dict[str, Any]:
    """Step 1: the command names what to move; the modal opens at once and is filled in a moment later."""
    out.step("1. A person asks, naming what they want")
    command = 'move from:"Acme Q1 outbound" to:list:"Acme warm leads" limit:500'
    out.shows(f"#sales · @alice: /leads {command}")
    response = stack.slack.send_command(stack.app_url, text=command, channel_id=CHANNEL)
    stack.slack.wait_for(lambda: bool(stack.slack.opened_views()), timeout=5)
    view = stack.slack.opened_views()[0]
    out.say(f"Slack opens the modal {response.elapsed * 1000:.0f} ms after the command, while the names are looked up;")
    out.say("a moment later leadmover fills it in (views.update), with a preview of the source:")
    stack.slack.wait_for(lambda: "holds 1," in _preview_of(stack.slack.view(view["id"])), timeout=5)
    filled = stack.slack.view(view["id"])
    out.view(filled)
    return filled


def _narrow(stack: LocalStack, view: dict[str, Any], out: Narrator) -> None:
    """Step 2: a filter changes the preview; a typo is refused beside its field; Start."""
    out.step("2. Narrowing it down")
    _suggestions(stack, view, ids.SOURCE, "acme", out)
    out.say(f"@alice types “{SEARCH}” into “Name or email contains” and presses Enter; the preview follows:")
    before = _preview_of(view)
    stack.slack.click_in_view(stack.app_url, view_id=view["id"], action_id=ids.SEARCH, values={ids.SEARCH: SEARCH})
    stack.slack.wait_for(lambda: _preview_of(stack.slack.view(view["id"])) != before, timeout=5)
    out.message(_preview_block(stack.slack.view(view["id"])))
    values = {ids.SEARCH: SEARCH, ids.OPTIONS: ["skip_duplicates"]}
    out.say("@alice presses More filters; the e-mail list, provider, gateway and assignee join the form:")
    stack.slack.click_in_view(stack.app_url, view_id=view["id"], action_id=ids.MORE_FILTERS, value=more_filters.SHOW)
    stack.slack.wait_for(lambda: _has_block(stack.slack.view(view["id"]), ids.CONTACTS), timeout=5)
    typo = {**values, ids.CONTACTS: "ann@acme.com, bob@globex"}
    bad = stack.slack.submit_view(stack.app_url, view_id=view["id"], values=typo)
    out.say("@alice pastes “ann@acme.com, bob@globex” into “Only these emails” and presses Start → under the field:")
    out.block(_errors_in_words(stack.slack.view(view["id"]), bad.json().get("errors") or {}))
    submitted = stack.slack.submit_view(stack.app_url, view_id=view["id"], values=values)
    out.say(
        f"(list removed, “Skip duplicates” ticked) → accepted in {submitted.elapsed * 1000:.0f} ms; the modal says:"
    )
    out.view(submitted.json()["view"])


def _move_back(stack: LocalStack, reply: Message, out: Narrator) -> Message | None:
    """Step 4: Move back, confirmed with the count, runs in the same thread."""
    out.step("4. Taking it back")
    out.say("@alice presses Move back under the reply; Slack opens:")
    opened = len(stack.slack.opened_views())
    stack.slack.click(stack.app_url, channel=CHANNEL, ts=reply.ts, action_id=undo_messages.MOVE_BACK)
    stack.slack.wait_for(lambda: len(stack.slack.opened_views()) > opened, timeout=5)
    confirmation = stack.slack.opened_views()[-1]
    out.view(confirmation)
    out.say("@alice confirms. The move back is announced in the same thread, and ends with its own reply:")
    stack.slack.submit_view(stack.app_url, view_id=confirmation["id"], values={})
    stack.slack.wait_for(lambda: len(_thread(stack)) >= 3, timeout=30)
    thread = _thread(stack)
    if len(thread) < 3:
        return None
    stack.slack.wait_for(lambda: "Completed" in _thread(stack)[1].text, timeout=5)
    for message in _thread(stack)[1:3]:
        out.shows("#sales · thread reply · leadmover")
        out.message(message)
    return _thread(stack)[2]


def _home(stack: LocalStack, out: Narrator) -> bool:
    out.step("5. App Home")
    out.say("@alice opens leadmover's Home tab:")
    stack.slack.open_home(stack.app_url, user_id=DEMO_USER)
    stack.slack.wait_for(lambda: stack.slack.home_view(DEMO_USER) is not None, timeout=5)
    home = stack.slack.home_view(DEMO_USER)
    if home is None:
        return False
    out.shows("leadmover · Home")
    out.view(home)
    return True


def _narrate(stack: LocalStack, out: Narrator) -> bool:
    seed(stack.instantly, readable=True)
    out.reader = _reader(stack, DEMO_USER)
    view = _ask(stack, out)
    _narrow(stack, view, out)

    out.step("3. In the channel")
    reply = _watch(stack, out)
    if reply is None:
        return False
    back = _move_back(stack, reply, out)
    home_shown = _home(stack, out)

    out.step("6. Later")
    out.shows("#sales · @alice: /leads jobs")
    jobs = stack.slack.send_command(stack.app_url, text="jobs", channel_id=CHANNEL).json()
    out.shows("(only you can see this)")
    out.message(jobs)

    out.step("7. From a workflow")
    via_workflow = run_workflow(stack, out, channel=CHANNEL, channel_name="sales", person=DEMO_USER)

    out.step("8. On a schedule")
    scheduled = run_schedule(stack, out, channel=CHANNEL, channel_name="sales", person=DEMO_USER)

    out.step("What Instantly received")
    for body in stack.instantly.move_bodies():
        shown = dict(body)
        if len(body.get("contacts", ())) > 3:
            shown["contacts"] = [*body["contacts"][:3], f"… and {len(body['contacts']) - 3} more"]
        out.aside(f"POST /api/v2/leads/move {json.dumps(shown, indent=2, ensure_ascii=False)}")
    polls = sum(1 for r in stack.instantly.requests if r.path.startswith("/api/v2/background-jobs"))
    out.say(f"    and {polls} polls of GET /api/v2/background-jobs, each covering every unfinished job at once")
    problems = stack.slack.violations + stack.instantly.violations
    for problem in problems:
        out.shows(f"CONTRACT VIOLATION: {problem}")
    moved_back = back is not None and "Move back completed" in back.text
    return "completed" in reply.text and moved_back and home_shown and via_workflow and scheduled and not problems


def run_demo(*, quiet: bool = False, out: TextIO = sys.stdout) -> int:
    """Run the whole flow once on a fresh SQLite file; 0 when the final reply landed and no contract was broken."""
    logs.configure(level="ERROR" if quiet else "WARNING", secrets=())
    narrator = Narrator(out, quiet=quiet)
    narrator.say("leadmover demo: the real app, with loopback simulators of Slack and Instantly standing in")
    with tempfile.TemporaryDirectory(prefix="leadmover-demo-") as folder:
        database_url = f"sqlite:///{Path(folder) / 'demo.db'}"
        # The workflow step keeps each run's Slack token sealed: without a key it refuses to run (chapter 7).
        key = new_key()
        with local_stack(database_url=database_url, poll_interval_seconds=0.4, leadmover_encryption_key=key) as stack:
            ok = _narrate(stack, narrator)
    narrator.say()
    if ok:
        narrator.say(
            textwrap.dedent(
                """\
            Demo complete: the move was prefilled and previewed, announced, its progress shown, its final reply
            posted in the thread, moved back in that thread, and listed in App Home; then a workflow's step copied
            leads, announced "via workflow" in the channel, and ended with its outputs for the workflow's next step;
            and a schedule made in the form ran at its time (the demo moved the clock), announced as scheduled."""
            )
        )
    else:
        narrator.shows("Demo FAILED: see above.")
    logging.shutdown()
    return 0 if ok else 1

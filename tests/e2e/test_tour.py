"""The tour's renderer draws what the app really sends: a move run over signed HTTP against the simulators (the
form filled from the command, its preview, the announcement, the final reply with Move back, App Home), a move
run by the Workflow Builder step, and a schedule's run and `/leads schedules`, each drawn as HTML with nothing
unsupported and no emoji shortcode left raw; and the tour's own final reply, its workflow step's announcement and
reply, and its scheduled run's announcement and list of schedules have the shape of the real ones."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from app.local_stack import DemoWorkspace, LocalStack, local_stack, seed
from bot.moves import Requester
from bot.schedules import recurrence_of
from bot.secrets import new_key
from bot.slack.blocks import messages, thread_messages
from bot.workflow_steps import MOVE_STEP
from docs.tour import scenes
from handlers import ids, schedules_view
from simulators.slack.html_pages import Post, home_page, message_page, modal_page
from storage import schedules as stored_schedules
from storage.clock import utcnow
from storage.orders import Endpoint, EndpointKind
from storage.schedules import ScheduleRecord
from tests.e2e.flows import submit_move

CHANNEL = "C0SALES"
NAMES = {CHANNEL: "sales", "U0ALICE": "Alice"}
_RAW_EMOJI = re.compile(r":[a-z0-9_+-]+:")


def _drawn(page: str) -> str:
    assert "[unsupported" not in page
    text = re.sub(r"<[^>]+>", " ", page.split("<body", 1)[-1])
    assert not _RAW_EMOJI.findall(text), "an emoji the renderer does not know"
    return page


def _shape(blocks: list[Mapping[str, Any]]) -> list[tuple[str, tuple[str, ...]]]:
    """Each block's type and the action_ids in it: what a reader of the picture would see as its layout."""
    return [
        (str(b["type"]), tuple(str(e.get("action_id", "")) for e in b.get("elements", []) if e.get("type") == "button"))
        for b in blocks
    ]


def test_everything_a_move_shows_in_slack_is_drawn_and_the_tour_has_the_real_shape(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    slack = stack.slack
    slack.send_command(stack.app_url, text='move from:"Acme Q1 outbound" to:list:"Acme warm leads" limit:40')
    assert slack.wait_for(lambda: bool(slack.opened_views()), timeout=5)
    view_id = slack.opened_views()[0]["id"]
    assert slack.wait_for(lambda: "holds 1,250 leads" in str(slack.view(view_id)), timeout=5)
    _drawn(modal_page(slack.view(view_id), names=NAMES))

    submitted = submit_move(slack, stack.app_url, view_id=view_id, values={ids.OPTIONS: ["skip_duplicates"]})
    _drawn(modal_page(submitted.json()["view"], names=NAMES))
    assert slack.wait_for(lambda: bool(slack.messages(CHANNEL)), timeout=10)
    anchor = slack.messages(CHANNEL)[0]
    assert slack.wait_for(lambda: bool(slack.replies(CHANNEL, anchor.ts)), timeout=15)
    [reply] = slack.replies(CHANNEL, anchor.ts)
    _drawn(message_page([Post(blocks=anchor.blocks)], channel="sales", names=NAMES, thread=[Post(blocks=reply.blocks)]))

    slack.open_home(stack.app_url, user_id="U0ALICE")
    assert slack.wait_for(lambda: slack.home_view("U0ALICE") is not None, timeout=5)
    home = slack.home_view("U0ALICE")
    assert home is not None
    _drawn(home_page(home, names=NAMES))

    _, pictured = thread_messages.final_reply(scenes.SUCCEEDED)
    assert _shape(pictured) == _shape(reply.blocks), "the tour's final reply is laid out as the real one"


def test_a_move_from_a_workflow_step_is_drawn_and_the_tours_scene_has_its_shape(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tour-step.db'}"
    with local_stack(database_url=url, leadmover_encryption_key=new_key()) as running:
        workspace = seed(running.instantly)
        inputs = {
            "from": f"campaign:{workspace.campaigns['Acme Q1 outbound']}",
            "to": 'list:"Acme warm leads"',
            "mode": "copy",
            "limit": 40,
            "channel_id": CHANNEL,
            "user_id": "U0ALICE",
            "workflow_name": scenes.WORKFLOW,
        }
        run = running.slack.run_step(running.app_url, callback_id=MOVE_STEP, inputs=inputs)
        done = running.slack.functions.wait_for_end(run.function_execution_id, timeout=20)
        assert done.state == "completed", done.error
        anchor = running.slack.messages(CHANNEL)[0]
        [reply] = running.slack.replies(CHANNEL, anchor.ts)
        page = message_page(
            [Post(blocks=anchor.blocks)], channel="sales", names=NAMES, thread=[Post(blocks=reply.blocks)]
        )
        assert f"via workflow <b>{scenes.WORKFLOW}</b>" in _drawn(page)
        assert running.slack.violations == []

    _, announced = messages.announcement(scenes.HANDED_OFF)
    _, ended = thread_messages.final_reply(scenes.HANDED_OFF)
    assert _shape(announced) == _shape(anchor.blocks), "the tour's workflow announcement is laid out as the real one"
    assert _shape(ended) == _shape(reply.blocks), "the tour's workflow reply is laid out as the real one"


def _unnumbered(shape: list[tuple[str, tuple[str, ...]]]) -> list[tuple[str, tuple[str, ...]]]:
    """A shape with each schedule's number left out of its buttons' action_ids ("schedule_pause:3")."""
    return [(kind, tuple(re.sub(r":\d+$", "", action) for action in actions)) for kind, actions in shape]


def test_a_schedules_run_and_its_list_are_drawn_and_the_tours_scene_has_their_shape(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    """The tour's schedule, made for real (every Monday at 09:00): its first run, told by the scheduler's round once
    its time is moved to now, and `/leads schedules` after it."""
    order = scenes.SCHEDULE.order.model_copy(
        update={
            "limit": 40,
            "source": Endpoint(kind=EndpointKind.CAMPAIGN, id=workspace.campaigns["Acme Q1 outbound"], name="Acme Q1"),
            "destination": Endpoint(kind=EndpointKind.LIST, id=workspace.lists["Acme warm leads"], name="Acme warm"),
        }
    )
    made = stack.services.schedules.create(
        requester=Requester(team_id=stack.slack.team_id, user_id="U0ALICE", channel_id=CHANNEL),
        order=order,
        recurrence=recurrence_of(scenes.WEEKLY),
    )
    assert isinstance(made, ScheduleRecord), made
    due = utcnow() - timedelta(seconds=1)
    stored_schedules.edit(stack.services.db, schedule_id=made.id, order=made.order, when=made.when, next_run_at=due)
    stack.services.schedules.tick()  # or the scheduler's own round, if it came first: the run starts once

    slack = stack.slack

    def ended() -> bool:
        posted = slack.messages(CHANNEL)
        return bool(posted) and "*Completed*" in str(posted[0].blocks) and bool(slack.replies(CHANNEL, posted[0].ts))

    told = slack.wait_for(ended, timeout=30)
    assert told, f"the scheduled run did not end: {[m.text for m in slack.messages(CHANNEL)]}"
    anchor = slack.messages(CHANNEL)[0]
    [reply] = slack.replies(CHANNEL, anchor.ts)
    listed = slack.send_command(stack.app_url, text=ids.SCHEDULES, channel_id=CHANNEL).json()
    page = message_page([Post(blocks=anchor.blocks), Post(blocks=listed["blocks"])], channel="sales", names=NAMES)
    drawn = _drawn(page)
    assert f"(scheduled: {scenes.SCHEDULED_RUN.via_name})." in drawn
    assert "started job #1" in drawn
    _drawn(message_page([Post(blocks=anchor.blocks)], channel="sales", names=NAMES, thread=[Post(blocks=reply.blocks)]))

    _, announced = messages.announcement(scenes.SCHEDULED_RUN)
    _, pictured = schedules_view.schedule_list([scenes.SCHEDULE], viewer=scenes.PERSON)
    assert _shape(announced) == _shape(anchor.blocks), "the tour's scheduled run is announced as the real one"
    assert _unnumbered(_shape(pictured)) == _unnumbered(_shape(listed["blocks"])), "the tour's list is the real one's"

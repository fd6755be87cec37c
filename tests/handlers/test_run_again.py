"""App Home's Run again, delivered signed to the real Bolt app: the form opens filled in as the job was, in the default
mode of the job's channel (issue 20, point 5), and stays in it once the preview fills it in; `/leads settings` says
where that default applies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.services import Services
from handlers import channel_settings_view, ids
from storage.channel_settings import ChannelSettings
from storage.db import Database
from storage.orders import MoveMode
from tests.bolt_requests import (
    CHANNEL,
    TEAM,
    USER,
    ListenerWork,
    SlackSends,
    as_slack_keeps_it,
    button_click_body,
)
from tests.factories import an_order, requested_job
from tests.stand_ins import SlackStandIn


def _run_again(sends: SlackSends, job_id: int) -> None:
    home = {"id": "V0HOME", "type": "home", "team_id": TEAM, "blocks": [], "state": {"values": {}}}
    body = button_click_body(
        home, action_id=ids.home_run_again(job_id), block_id=f"job_{job_id}", value=str(job_id), label="Run again"
    )
    assert sends.deliver(body).status == 200


def _views_open_answers_the_view(slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stand-in answers views.open as Slack does, with the view opened (Run again updates it next)."""
    serve = slack._serve

    def with_views(method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "views.open":
            view = args["view"] if isinstance(args["view"], dict) else json.loads(args["view"])
            return {"view": as_slack_keeps_it(view, view_id="V0AGAIN")}
        return serve(method, args)

    monkeypatch.setattr(slack, "_serve", with_views)


def _decoded(view: Any) -> dict[str, Any]:
    return view if isinstance(view, dict) else dict(json.loads(view))


def _mode(view: dict[str, Any]) -> tuple[str, str]:
    chosen = next(b for b in view["blocks"] if b.get("block_id") == ids.MODE)["element"]["initial_option"]
    return str(view["title"]["text"]), str(chosen["value"])


@pytest.mark.parametrize(
    ("job_copies", "channel_mode", "shown"),
    [
        (True, MoveMode.MOVE, ("Move leads", ids.MODE_MOVE)),
        (False, MoveMode.COPY, ("Copy leads", ids.MODE_COPY)),
    ],
)
def test_run_again_opens_in_the_channels_default_mode_whatever_the_job_was(
    sends: SlackSends,
    slack: SlackStandIn,
    work: ListenerWork,
    services: Services,
    sqlite_db: Database,
    job_copies: bool,
    channel_mode: MoveMode,
    shown: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _views_open_answers_the_view(slack, monkeypatch)
    job = requested_job(sqlite_db, order=an_order(copy=job_copies, limit=50), team=TEAM, channel=CHANNEL, user=USER)
    services.channel_settings.change(
        team_id=TEAM, channel_id=CHANNEL, user_id=USER, settings=ChannelSettings(default_mode=channel_mode)
    )
    _run_again(sends, job.id)
    work.join()
    [opened] = slack.calls_to("views.open")
    assert _mode(_decoded(opened.args["view"])) == shown
    [filled] = slack.calls_to("views.update")  # the preview and the assignee, a moment later
    assert filled.args["view_id"] == "V0AGAIN"
    assert _mode(_decoded(filled.args["view"])) == shown


def test_settings_say_the_default_applies_to_new_move_and_run_again() -> None:
    view = channel_settings_view.settings_view(channel_id=CHANNEL, current=ChannelSettings())
    said = json.dumps(view)
    assert "New move and Run again start as" in said
    assert "`/leads move` always opens a move and `/leads copy` a copy" in said
    assert "repeats a job as it was" not in said
    saved = json.dumps(channel_settings_view.saved_view(channel_id=CHANNEL, saved=ChannelSettings()))
    assert "New move and Run again start as a move" in saved

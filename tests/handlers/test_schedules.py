"""A schedule's buttons in the `/leads schedules` list, delivered signed to the real Bolt app: the presser's list is
replaced by the list as it now stands, with what was done said on top; a refusal is said in words to the presser
alone, and the list is left as it was. (App Home's buttons are tested end to end: the fake Slack keeps no
command's answer as a message a person could click in.)"""

from __future__ import annotations

import json
from datetime import time
from urllib.parse import urlencode

from bot.moves import Requester
from bot.recurrence import Frequency, Recurrence
from bot.schedules import Denied
from bot.services import Services
from handlers import ids
from storage.automation_models import ScheduleState
from storage.schedules import ScheduleRecord
from tests.bolt_requests import APP_ID, CHANNEL, TEAM, TRIGGER_ID, USER, VERIFICATION_TOKEN, ResponseUrl, SlackSends
from tests.factories import an_order

OTHER = "U2"


def _schedule(services: Services) -> ScheduleRecord:
    every_monday = Recurrence(Frequency.WEEKLY, time(9, 0), "America/New_York", weekday=0)
    made = services.schedules.create(
        requester=Requester(team_id=TEAM, user_id=USER, channel_id=CHANNEL), order=an_order(), recurrence=every_monday
    )
    assert not isinstance(made, Denied), made
    return made


def _press(sends: SlackSends, kind: str, record: ScheduleRecord, *, user: str, response_url: str) -> None:
    """`user` presses a button in the ephemeral list `/leads schedules` answered them with."""
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "acme-sales"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": CHANNEL,
            "is_ephemeral": True,
        },
        "trigger_id": TRIGGER_ID,
        "channel": {"id": CHANNEL, "name": "sales"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "block_id": "b1",
                "action_id": ids.schedule_action(kind, record.id),
                "value": str(record.id),
                "text": {"type": "plain_text", "text": "Pause", "emoji": True},
                "action_ts": "1700000000.000200",
            }
        ],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    response = sends.deliver(urlencode({"payload": json.dumps(payload)}))
    assert response.status == 200


def test_pause_in_the_list_replaces_it_with_the_list_as_it_now_stands(services: Services, sends: SlackSends) -> None:
    record = _schedule(services)
    with ResponseUrl() as response_url:
        _press(sends, ids.SCHEDULE_PAUSE, record, user=USER, response_url=response_url.url)
        [answer] = response_url.wait_for(1)
    assert answer["replace_original"] is True
    shown = str(answer["blocks"])
    assert f"Paused schedule #{record.id}: it does not run until it is resumed." in shown
    assert f"*Paused* (paused by <@{USER}>)" in shown
    assert ids.schedule_action(ids.SCHEDULE_RESUME, record.id) in shown
    assert services.schedules.visible_to(team_id=TEAM, user_id=USER)[0].state == ScheduleState.PAUSED


def test_delete_in_the_list_leaves_the_list_without_it(services: Services, sends: SlackSends) -> None:
    record = _schedule(services)
    with ResponseUrl() as response_url:
        _press(sends, ids.SCHEDULE_DELETE, record, user=USER, response_url=response_url.url)
        [answer] = response_url.wait_for(1)
    assert answer["replace_original"] is True
    assert answer["text"].startswith(f":wastebasket: Deleted schedule #{record.id}, which would move")
    assert "You have no schedules." in answer["text"]
    assert services.schedules.visible_to(team_id=TEAM, user_id=USER) == []


def test_someone_elses_schedule_is_refused_in_words_to_the_presser_alone(services: Services, sends: SlackSends) -> None:
    record = _schedule(services)
    with ResponseUrl() as response_url:
        _press(sends, ids.SCHEDULE_PAUSE, record, user=OTHER, response_url=response_url.url)
        [answer] = response_url.wait_for(1)
    assert answer == {
        "response_type": "ephemeral",
        "replace_original": False,
        "text": f":no_entry: Only <@{USER}>, who made this schedule, and admins may change it.",
    }
    assert services.schedules.visible_to(team_id=TEAM, user_id=USER)[0].state == ScheduleState.ACTIVE

"""The demo's chapter on schedules (README: "Moves on a schedule"): the demo's person types `/leads schedule` in the
channel, sets the form's When section to every Monday at 09:00 in their own time zone and saves it. Then Monday
09:00 comes: the demo moves the scheduler's clock there rather than wait for it, and the first run is announced
"(scheduled: every Monday at 09:00)", followed to its thread's reply like any move, and listed by `/leads schedules`
with its next run and how its last one went."""

from __future__ import annotations

import copy
import json
from datetime import UTC
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo

from bot.recurrence import Frequency
from bot.scheduler import Scheduler
from bot.slack.notices import Notices
from handlers import ids
from storage.schedules import ScheduleRecord

if TYPE_CHECKING:
    from app.demo import Narrator
    from app.local_stack import LocalStack

COMMAND: Final = 'schedule from:"Acme Q1 outbound" to:list:"Acme warm leads" limit:100'
MONDAY: Final = "0"  # the Day of the week option's value
AT: Final = "09:00"
WORDS: Final = "every Monday at 09:00"  # how leadmover says it (bot.recurrence)
_WHEN: Final = (ids.FREQUENCY, ids.WEEKDAY, ids.MONTH_DAY, ids.TIME_OF_DAY, ids.TIMEZONE)


def _element(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(b for b in view["blocks"] if b.get("block_id") == block_id)["element"]
    return found


def _as_set(view: dict[str, Any], picks: dict[str, str]) -> list[dict[str, Any]]:
    """The When section as the person's Slack client shows it once they have picked: each picked option chosen and
    every dropdown closed, showing only what it holds (Slack opens one only when it is clicked)."""
    start = next(i for i, b in enumerate(view["blocks"]) if b.get("type") == "header" and b["text"]["text"] == "When")
    shown = copy.deepcopy(view["blocks"][start:])
    for block in shown:
        element = block.get("element") or {}
        picked = picks.get(str(block.get("block_id")))
        if element.get("type") == "timepicker" and picked:
            element["initial_time"] = picked
        elif picked:
            element["initial_option"] = next(o for o in element["options"] if o["value"] == picked)
        if element.get("type") == "static_select":
            element["options"] = [element["initial_option"]] if "initial_option" in element else []
    return [b for b in shown if b.get("block_id") in _WHEN or b.get("type") == "header"]


def _named(value: Any, channel: str, channel_name: str) -> Any:
    """Blocks with the channel named as Slack's client names it ("#sales"); leadmover writes only its id."""
    return json.loads(json.dumps(value).replace(f"<#{channel}>", f"<#{channel}|{channel_name}>"))


def _schedule(stack: LocalStack, out: Narrator, *, channel: str, channel_name: str, name: str) -> dict[str, Any]:
    """The command, the form's When section as set, and the notice the form becomes; the submission's answer."""
    out.shows(f"#{channel_name} · @{name}: /leads {COMMAND}")
    opened = len(stack.slack.opened_views())
    stack.slack.send_command(stack.app_url, text=COMMAND, channel_id=channel)
    stack.slack.wait_for(lambda: len(stack.slack.opened_views()) > opened, timeout=5)
    view_id = stack.slack.opened_views()[-1]["id"]
    stack.slack.wait_for(lambda: "holds 1," in str(stack.slack.view(view_id)["blocks"]), timeout=5)
    view = stack.slack.view(view_id)
    zone = _element(view, ids.TIMEZONE)["initial_option"]["value"]
    out.say(f"The form opens as “{view['title']['text']}”, filled in like a move's, with a When section at its end.")
    out.say(f"The time zone of @{name}'s Slack profile is picked already; @{name} picks Every week, then Monday:")
    picks = {ids.FREQUENCY: Frequency.WEEKLY.value, ids.WEEKDAY: MONDAY, ids.TIME_OF_DAY: AT, ids.TIMEZONE: zone}
    out.shows(f"{view['title']['text']} · When")
    out.message({"text": "", "blocks": _as_set(view, picks)})
    submitted = stack.slack.submit_view(stack.app_url, view_id=view_id, values=picks)
    answer: dict[str, Any] = submitted.json()
    out.say(f"@{name} presses {view['submit']['text']}; nothing moves yet, and the form says:")
    if "view" in answer:
        out.view(_named(answer["view"], channel, channel_name))
    return answer


def _ended(stack: LocalStack, channel: str, before: int) -> bool:
    """The run's announcement says the move ended and its thread has the reply (either may come first)."""
    posted = stack.slack.messages(channel)[before:]
    return bool(posted) and "*Completed*" in str(posted[0].blocks) and bool(stack.slack.replies(channel, posted[0].ts))


def _monday_comes(stack: LocalStack, schedule: ScheduleRecord) -> int:
    """The scheduler's round at the schedule's first run: leadmover's scheduler on the app's database and door, its
    clock reading that moment. How many schedules it handled."""
    services = stack.services
    moved = Scheduler(
        db=services.db,
        door=services.door,
        notices=Notices(slack=services.workspaces.slack),
        owner=services.owner,
        clock=lambda: schedule.next_run_at,
    )
    return moved.tick()


def run_schedule(stack: LocalStack, out: Narrator, *, channel: str, channel_name: str, person: str) -> bool:
    """The chapter; True when the first run was announced as scheduled, ended with its reply, and the list shows it
    run with its next run to come."""
    name = out.reader.names.get(person, "someone")
    answer = _schedule(stack, out, channel=channel, channel_name=channel_name, name=name)
    mine = stack.services.schedules.visible_to(team_id=stack.slack.team_id, user_id=person)
    if answer.get("response_action") != "update" or not mine:
        out.shows(f"#{channel_name} · no schedule was made: {answer.get('errors') or answer}")
        return False
    schedule = mine[0]
    first = schedule.next_run_at.replace(tzinfo=UTC).astimezone(ZoneInfo(schedule.when.timezone))
    at = f"{first:%A} {first.day} {first:%B %H:%M} ({schedule.when.timezone})"
    out.say("Monday 09:00 comes. The demo does not wait for it: it moves the clock of leadmover's scheduler")
    out.say(f"to the first run, {at}; Slack and Instantly keep today's time. The scheduler finds the run due:")
    before = len(stack.slack.messages(channel))
    ran = _monday_comes(stack, schedule)
    stack.slack.wait_for(lambda: _ended(stack, channel, before), timeout=30)
    posted = stack.slack.messages(channel)[before:]
    replies = stack.slack.replies(channel, posted[0].ts) if posted else []
    if posted:
        out.shows(f"#{channel_name} · leadmover{' (edited)' if len(posted[0].history) > 1 else ''}")
        out.message(posted[0])
    if replies:
        out.shows(f"#{channel_name} · thread reply · leadmover")
        out.message(replies[0])
    out.say(f"@{name} lists their schedules: the next run is a week on, and how the last one went is kept:")
    out.shows(f"#{channel_name} · @{name}: /leads {ids.SCHEDULES}")
    listed = stack.slack.send_command(stack.app_url, text=ids.SCHEDULES, channel_id=channel).json()
    out.shows("(only you can see this)")
    out.message(_named(listed, channel, channel_name))
    scheduled = bool(posted) and f"(scheduled: {WORDS})" in str(posted[0].blocks)
    return ran == 1 and scheduled and bool(replies) and "started job #" in str(listed.get("blocks"))

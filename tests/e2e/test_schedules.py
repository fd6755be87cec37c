"""Schedules end to end over signed HTTP: `/leads schedule` opens the move form with a When section in the person's
time zone and saves a schedule; a When that cannot be is refused beside its field and a guest in words;
`/leads schedules` and App Home list each schedule with its buttons: Pause (the scheduler then skips it), Resume,
Run now (one move), Edit (the form again, filled in) and Delete; only its owner and admins may change one."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest

from app.local_stack import DemoWorkspace, LocalStack
from bot.moves import Requester
from bot.recurrence import Frequency, Recurrence
from bot.schedules import Denied
from handlers import home_view, ids, schedules_view
from storage import schedules as stored_schedules
from storage.automation_models import ScheduleState
from storage.clock import utcnow
from storage.orders import Endpoint, EndpointKind, MoveMode, MoveOrder
from storage.schedules import ScheduleRecord
from tests.e2e.flows import pick, preview_shows, show_more_filters

ADMIN, ALICE, BOB, GUEST = "U0ADMIN", "U0ALICE", "U0BOB", "U0GUEST"
CHANNEL = "C0SALES"
TEAM = "T0LEADMOVR"
WEEKLY: dict[str, Any] = {
    ids.FREQUENCY: Frequency.WEEKLY.value,
    ids.WEEKDAY: "0",
    ids.TIME_OF_DAY: "09:00",
    ids.TIMEZONE: "America/New_York",
}


@pytest.fixture(autouse=True)
def people(stack: LocalStack, workspace: DemoWorkspace) -> None:
    """The e2e stack (tests/e2e/conftest.py), seeded, with an admin, two members and a guest."""
    stack.slack.add_user(ADMIN, is_admin=True)
    stack.slack.add_user(ALICE)
    stack.slack.add_user(BOB)
    stack.slack.add_user(GUEST, is_restricted=True)


def open_form(stack: LocalStack, *, user: str = ALICE, text: str = ids.SCHEDULE) -> dict[str, Any]:
    slack = stack.slack
    trigger = slack.issue_trigger_id()
    response = slack.send_command(stack.app_url, text=text, user_id=user, trigger_id=trigger, channel_id=CHANNEL)
    assert response.status == 200
    assert response.elapsed < 3
    assert slack.wait_for(lambda: slack.view_opened_by(trigger) is not None, timeout=5), "no form opened"
    view = slack.view_opened_by(trigger)
    assert view is not None
    return view


def places(stack: LocalStack, view: dict[str, Any]) -> dict[str, Any]:
    return {
        ids.SOURCE: pick(stack, view, ids.SOURCE, "acme q1", "Acme Q1 outbound"),
        ids.DESTINATION: pick(stack, view, ids.DESTINATION, "warm", "Acme warm leads"),
    }


def submit(stack: LocalStack, view: dict[str, Any], values: dict[str, Any], *, user: str = ALICE) -> Any:
    response = stack.slack.submit_view(stack.app_url, view_id=view["id"], values=values, user_id=user)
    assert response.status == 200
    assert response.elapsed < 3
    return response.json()


def make(stack: LocalStack, *, user: str = ALICE, **when: Any) -> ScheduleRecord:
    """`user` schedules a copy of up to 200 leads of Acme Q1 outbound into Acme warm leads, every Monday at 09:00
    in New York unless `when` says otherwise; returns it as stored."""
    view = open_form(stack, user=user)
    values = {**places(stack, view), ids.MODE: ids.MODE_COPY, ids.LIMIT: "200", **WEEKLY, **when}
    answer = submit(stack, view, values, user=user)
    assert answer["response_action"] == "update", answer
    return stack.services.schedules.visible_to(team_id=TEAM, user_id=user)[0]


def element(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(b for b in view["blocks"] if b.get("block_id") == block_id)["element"]
    return found


def text_of(blocks: list[dict[str, Any]]) -> str:
    return str(blocks)


def action_ids(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def listed(stack: LocalStack, *, user: str = ALICE) -> dict[str, Any]:
    """The answer to `/leads schedules`, which only `user` sees."""
    response = stack.slack.send_command(stack.app_url, text=ids.SCHEDULES, user_id=user, channel_id=CHANNEL)
    assert response.status == 200
    assert response.elapsed < 3
    answer: dict[str, Any] = response.json()
    assert answer["response_type"] == "ephemeral"
    return answer


def home(stack: LocalStack, user: str = ALICE) -> dict[str, Any]:
    before = stack.slack.home_view(user)
    assert stack.slack.open_home(stack.app_url, user_id=user).status == 200
    assert stack.slack.wait_for(lambda: stack.slack.home_view(user) not in (None, before), timeout=5)
    view = stack.slack.home_view(user)
    assert view is not None
    return view


def press(stack: LocalStack, kind: str, record: ScheduleRecord, *, user: str = ALICE) -> None:
    """`user` presses a schedule's button in their Home tab (published already)."""
    before = stack.slack.home_view(user)
    response = stack.slack.click_in_home(stack.app_url, user_id=user, action_id=ids.schedule_action(kind, record.id))
    assert response.status == 200
    assert response.elapsed < 3
    if kind != ids.SCHEDULE_EDIT:
        assert stack.slack.wait_for(lambda: stack.slack.home_view(user) != before, timeout=5), "Home not redrawn"


def stored(stack: LocalStack, record: ScheduleRecord) -> ScheduleRecord:
    found = stored_schedules.get(stack.services.db, schedule_id=record.id)
    assert found is not None, f"schedule #{record.id} is gone"
    return found


def test_a_schedule_is_made_in_the_move_form_in_the_persons_time_zone(stack: LocalStack) -> None:
    view = open_form(stack)
    assert view["title"]["text"] == "Schedule a move"
    assert view["submit"]["text"] == "Schedule"
    zone = element(view, ids.TIMEZONE)
    assert zone["initial_option"]["value"] == "America/Los_Angeles", "users.info says Alice is in Los Angeles"
    assert zone["initial_option"]["text"]["text"] == "America/Los Angeles (your time zone)"
    assert len(zone["options"]) <= 100
    assert element(view, ids.TIME_OF_DAY)["type"] == "timepicker"

    values = {**places(stack, view), ids.MODE: ids.MODE_COPY, ids.LIMIT: "200", **WEEKLY}
    answer = submit(stack, view, values)

    [record] = stack.services.schedules.visible_to(team_id=TEAM, user_id=ALICE)
    assert (record.owner_id, record.channel_id, record.state) == (ALICE, CHANNEL, ScheduleState.ACTIVE)
    assert (record.when.frequency, record.when.weekday, record.when.at) == ("weekly", 0, "09:00")
    assert record.when.timezone == "America/New_York"
    assert (record.order.mode, record.order.limit, record.order.source.name) == (MoveMode.COPY, 200, "Acme Q1 outbound")
    assert record.next_run_at.weekday() == 0
    assert record.next_run_at > utcnow()
    notice = text_of(answer["view"]["blocks"])
    assert answer["view"]["title"]["text"] == "Scheduled"
    assert (
        "Scheduled: copy up to 200 leads from campaign *Acme Q1 outbound* to list *Acme warm leads*, every Monday "
        "at 09:00 (America/New York). First run: <!date^"
    ) in notice
    assert f"Each run is announced in <#{CHANNEL}>." in notice
    assert stack.instantly.move_bodies() == [], "a schedule moves nothing until it runs"


def test_named_places_fill_the_schedule_form_and_its_preview_and_more_filters_work(stack: LocalStack) -> None:
    view = open_form(stack, text=f'{ids.SCHEDULE} from:"Acme Q1 outbound" to:list:"Acme warm leads" limit:50')
    assert stack.slack.wait_for(
        lambda: "initial_option" in element(stack.slack.view(view["id"]), ids.SOURCE), timeout=5
    ), "the named places were not filled in"
    assert preview_shows(stack, view["id"], "holds 1,250 leads")
    view = show_more_filters(stack, stack.slack.view(view["id"]))
    assert view["title"]["text"] == "Schedule a move"
    assert {ids.FREQUENCY, ids.TIMEZONE} <= {b.get("block_id") for b in view["blocks"]}, "When lost on redraw"

    values = {ids.FREQUENCY: Frequency.DAILY.value, ids.TIME_OF_DAY: "07:15", ids.TIMEZONE: "Europe/Berlin"}
    answer = submit(stack, view, values)

    assert "move up to 50 leads" in text_of(answer["view"]["blocks"])
    assert "every day at 07:15 (Europe/Berlin)" in text_of(answer["view"]["blocks"])
    [record] = stack.services.schedules.visible_to(team_id=TEAM, user_id=ALICE)
    assert (record.order.limit, record.order.destination.kind, record.when.frequency) == (
        50,
        EndpointKind.LIST,
        "daily",
    )


def test_a_when_that_cannot_be_is_refused_beside_its_field(stack: LocalStack) -> None:
    view = open_form(stack)
    chosen = places(stack, view)

    weekly = submit(stack, view, {**chosen, ids.FREQUENCY: Frequency.WEEKLY.value})
    monthly = submit(stack, view, {**chosen, ids.FREQUENCY: Frequency.MONTHLY.value})

    assert weekly == {"response_action": "errors", "errors": {ids.WEEKDAY: "Pick the day of the week it runs on."}}
    assert monthly["errors"] == {ids.MONTH_DAY: "Pick the date it runs on, from the 1st to the 31st."}
    assert stack.services.schedules.visible_to(team_id=TEAM, user_id=ALICE) == []


def test_a_schedule_of_every_lead_says_so(stack: LocalStack) -> None:
    view = open_form(stack)
    answer = submit(stack, view, {**places(stack, view), **WEEKLY})
    notice = text_of(answer["view"]["blocks"])
    assert "Scheduled: move every lead from campaign *Acme Q1 outbound*" in notice
    assert "No limit and no filter: each run moves every lead in the campaign *Acme Q1 outbound*." in notice


def test_a_guest_is_told_in_words_and_gets_no_form(stack: LocalStack) -> None:
    before = len(stack.slack.opened_views())
    response = stack.slack.send_command(stack.app_url, text=ids.SCHEDULE, user_id=GUEST, channel_id=CHANNEL)
    assert response.status == 200
    assert stack.slack.wait_for(lambda: len(stack.slack.responses) > 0, timeout=5)
    said = stack.slack.responses[-1]
    assert said["response_type"] == "ephemeral"
    assert said["text"].startswith("Guests cannot move leads here"), said["text"]
    assert len(stack.slack.opened_views()) == before
    assert stack.services.schedules.visible_to(team_id=TEAM, user_id=GUEST) == []


def test_the_list_shows_each_schedule_with_its_buttons_and_says_how_to_make_one(stack: LocalStack) -> None:
    record = make(stack)

    answer = listed(stack)
    shown = text_of(answer["blocks"])
    for part in (
        f"*#{record.id}*",
        "Copy up to 200 leads from campaign *Acme Q1 outbound* to list *Acme warm leads*",
        "every Monday at 09:00 (America/New York)",
        "Next run: <!date^",
        "Not run yet",
    ):
        assert part in shown, shown
    assert action_ids(answer["blocks"]) == [
        ids.schedule_action(kind, record.id)
        for kind in (ids.SCHEDULE_PAUSE, ids.SCHEDULE_RUN_NOW, ids.SCHEDULE_EDIT, ids.SCHEDULE_DELETE)
    ]
    delete = answer["blocks"][-1]["elements"][-1]
    assert delete["confirm"]["confirm"]["text"] == "Delete"

    assert "You have no schedules." in listed(stack, user=BOB)["text"]
    assert f"`/leads {ids.SCHEDULE}`" in listed(stack, user=BOB)["text"]
    everyone = text_of(listed(stack, user=ADMIN)["blocks"])
    assert "Schedules in this workspace" in everyone
    assert f"Made by <@{ALICE}>" in everyone


def test_paused_it_is_listed_as_paused_and_the_scheduler_skips_it_until_resumed(stack: LocalStack) -> None:
    record = make(stack)
    home(stack)

    press(stack, ids.SCHEDULE_PAUSE, record)

    assert stored(stack, record).state == ScheduleState.PAUSED
    assert f":double_vertical_bar: *Paused* (paused by <@{ALICE}>)" in text_of(listed(stack)["blocks"])
    assert ids.schedule_action(ids.SCHEDULE_RESUME, record.id) in action_ids(listed(stack)["blocks"])
    assert "*Paused*" in str(stack.slack.home_view(ALICE))
    # Its Monday comes while it is paused: the scheduler leaves it be.
    due = utcnow() - timedelta(minutes=1)
    stored_schedules.edit(
        stack.services.db, schedule_id=record.id, order=record.order, when=record.when, next_run_at=due
    )
    assert stack.services.schedules.tick() == 0
    assert stored(stack, record).last_run_at is None, "the scheduler ran a paused schedule"

    press(stack, ids.SCHEDULE_RESUME, record)

    resumed = stored(stack, record)
    assert resumed.state == ScheduleState.ACTIVE
    assert resumed.next_run_at > utcnow()
    assert ids.schedule_action(ids.SCHEDULE_PAUSE, record.id) in action_ids(listed(stack)["blocks"])
    assert stack.instantly.move_bodies() == [], "the run missed while paused is not made up"


def test_run_now_starts_one_move_of_the_schedule(stack: LocalStack, workspace: DemoWorkspace) -> None:
    record = make(stack)
    home(stack)

    press(stack, ids.SCHEDULE_RUN_NOW, record)

    assert stack.slack.wait_for(lambda: len(stack.instantly.move_bodies()) == 1, timeout=10), "no move started"
    [body] = stack.instantly.move_bodies()
    assert body["limit"] == 200
    assert workspace.campaigns["Acme Q1 outbound"] in str(body)
    assert workspace.lists["Acme warm leads"] in str(body)
    ran = stored(stack, record)
    assert str(ran.last_outcome).startswith("started job #")
    assert ran.next_run_at == record.next_run_at, "Run now is besides the usual times"


def test_edit_opens_the_form_filled_in_and_changes_the_recurrence(stack: LocalStack) -> None:
    record = make(stack)
    home(stack)
    before = len(stack.slack.opened_views())

    press(stack, ids.SCHEDULE_EDIT, record)

    assert stack.slack.wait_for(lambda: len(stack.slack.opened_views()) > before, timeout=5), "no form opened"
    view = stack.slack.opened_views()[-1]
    assert view["title"]["text"] == f"Change schedule #{record.id}"
    assert element(view, ids.SOURCE)["initial_option"]["text"]["text"] == "Acme Q1 outbound"
    assert element(view, ids.MODE)["initial_option"]["value"] == ids.MODE_COPY
    assert element(view, ids.FREQUENCY)["initial_option"]["value"] == Frequency.WEEKLY.value
    assert element(view, ids.WEEKDAY)["initial_option"]["value"] == "0"
    assert element(view, ids.TIMEZONE)["initial_option"]["value"] == "America/New_York"
    values = {ids.FREQUENCY: Frequency.MONTHLY.value, ids.MONTH_DAY: "31", ids.TIME_OF_DAY: "08:00"}

    answer = submit(stack, view, values)

    assert answer["view"]["title"]["text"] == "Schedule saved"
    assert "on the 31st of every month (or the month's last day) at 08:00 (America/New York)" in str(answer)
    [edited] = stack.services.schedules.visible_to(team_id=TEAM, user_id=ALICE)
    assert (edited.id, edited.when.frequency, edited.when.month_day, edited.when.at) == (
        record.id,
        "monthly",
        31,
        "08:00",
    )
    assert (edited.order.limit, edited.order.mode) == (200, MoveMode.COPY)
    assert stack.slack.wait_for(lambda: "31st" in str(stack.slack.home_view(ALICE)), timeout=5), "Home not redrawn"


def test_delete_removes_it(stack: LocalStack) -> None:
    record = make(stack)
    home(stack)

    press(stack, ids.SCHEDULE_DELETE, record)

    assert stored_schedules.get(stack.services.db, schedule_id=record.id) is None
    assert stack.services.schedules.visible_to(team_id=TEAM, user_id=ALICE) == []
    assert "You have no schedules." in str(stack.slack.home_view(ALICE))


def test_only_its_owner_and_admins_may_change_a_schedule(stack: LocalStack) -> None:
    record = make(stack)
    assert str(record.id) not in str(listed(stack, user=BOB)["blocks"]), "Bob does not see Alice's schedule"
    # A tab drawn with Alice's schedule in it (as an admin's is): Bob's press is refused in words, and nothing changes.
    tab = home_view.build(jobs=[], links={}, schedules=schedules_view.home_section([record], viewer=BOB))
    stack.services.slack.views_publish(user_id=BOB, view=tab)
    before = len(stack.slack.opened_views())

    stack.slack.click_in_home(stack.app_url, user_id=BOB, action_id=ids.schedule_action(ids.SCHEDULE_PAUSE, record.id))

    assert stack.slack.wait_for(lambda: len(stack.slack.opened_views()) > before, timeout=5), "Bob was told nothing"
    told = text_of(stack.slack.opened_views()[-1]["blocks"])
    assert f"Only <@{ALICE}>, who made this schedule, and admins may change it." in told
    assert stored(stack, record).state == ScheduleState.ACTIVE

    admin_tab = home(stack, ADMIN)
    assert f"Made by <@{ALICE}>" in text_of(admin_tab["blocks"])
    press(stack, ids.SCHEDULE_PAUSE, record, user=ADMIN)
    assert stored(stack, record).state == ScheduleState.PAUSED


def test_app_home_shows_five_schedules_and_points_to_the_rest(stack: LocalStack, workspace: DemoWorkspace) -> None:
    order = MoveOrder(
        source=Endpoint(kind=EndpointKind.CAMPAIGN, id=workspace.campaigns["Globex renewals"], name="Globex renewals"),
        destination=Endpoint(kind=EndpointKind.LIST, id=workspace.lists["Trade show 2026"], name="Trade show 2026"),
        limit=10,
    )
    requester = Requester(team_id=TEAM, user_id=ALICE, channel_id=CHANNEL)
    for hour in range(6):
        every_day = Recurrence(Frequency.DAILY, at=time(hour, 0), timezone="UTC")
        made = stack.services.schedules.create(requester=requester, order=order, recurrence=every_day)
        assert not isinstance(made, Denied)

    tab = home(stack)

    shown = text_of(tab["blocks"])
    assert "'Schedules'" in shown
    assert shown.count("Globex renewals") == 5
    assert "and 1 more: `/leads schedules` lists them all." in shown
    assert len(tab["blocks"]) <= 100


def test_help_names_schedule_and_schedules(stack: LocalStack) -> None:
    response = stack.slack.send_command(stack.app_url, text="help", user_id=ALICE, channel_id=CHANNEL)
    assert response.status == 200
    text = str(response.json()["text"])
    assert "`/leads schedule`: a move or copy that runs by itself every day, weekday, week or month" in text
    assert "`/leads schedules`: your schedules: pause, resume, run now, edit or delete them" in text

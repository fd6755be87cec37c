"""The App Home tab end to end over signed HTTP: opening it shows the person's own jobs (status, progress, names,
thread link), "Run again" opens the move modal filled in as the job was and makes the same move, admins also see the
workspace's running jobs, and a person who may not move sees why instead of the buttons."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.local_stack import DemoWorkspace, LocalStack, local_stack, seed
from handlers import home_view, ids, more_filters
from storage import retention
from storage.channel_settings import ChannelSettings
from storage.clock import utcnow
from storage.models import JobRow, Phase
from storage.orders import MoveMode
from tests.e2e.flows import open_modal, pick, show_more_filters, submit_move

ADMIN, ALICE, BOB = "U0ADMIN", "U0ALICE", "U0BOB"


def _people(running: LocalStack) -> None:
    running.slack.add_user(ADMIN, is_admin=True)
    for person in (ALICE, BOB):
        running.slack.add_user(person)


@pytest.fixture(autouse=True)
def people(stack: LocalStack) -> None:
    """The e2e stack (tests/e2e/conftest.py), with an admin and two members."""
    _people(stack)


def _move(stack: LocalStack, user: str, *, verb: str = "move", **values: Any) -> None:
    """`user` runs /leads <verb>, picks Acme Q1 outbound → Acme warm leads, and presses Start."""
    slack = stack.slack
    trigger = slack.issue_trigger_id()
    slack.send_command(stack.app_url, text=verb, user_id=user, trigger_id=trigger)
    assert slack.wait_for(lambda: slack.view_opened_by(trigger) is not None, timeout=5)
    view = slack.view_opened_by(trigger)
    assert view is not None
    if set(values) & set(more_filters.FIELDS):
        view = show_more_filters(stack, view, user_id=user)
    chosen = {
        ids.SOURCE: pick(stack, view, ids.SOURCE, "acme q1", "Acme Q1 outbound"),
        ids.DESTINATION: pick(stack, view, ids.DESTINATION, "warm", "Acme warm leads"),
        **values,
    }
    before = len(stack.instantly.move_bodies())
    response = submit_move(slack, stack.app_url, view_id=view["id"], values=chosen, user_id=user)
    assert response.json()["response_action"] == "update"
    assert slack.wait_for(lambda: len(stack.instantly.move_bodies()) > before, timeout=10)


def _done(stack: LocalStack, count: int) -> bool:
    """Whether `count` jobs have ended at Instantly, as leadmover recorded it."""
    records = stack.services.moves.recent_jobs(team_id="T0LEADMOVR", user_id=None, limit=50)
    return sum(r.phase in (Phase.FINISHED, Phase.DONE) for r in records) >= count


def _home(stack: LocalStack, user: str, *, changed_from: str | None = None) -> dict[str, Any]:
    """Open the Home tab as `user` and return the view published for them."""
    response = stack.slack.open_home(stack.app_url, user_id=user)
    assert response.status == 200
    assert response.elapsed < 3

    def published() -> bool:
        view = stack.slack.home_view(user)
        return view is not None and view["hash"] != changed_from

    assert stack.slack.wait_for(published, timeout=5)
    view = stack.slack.home_view(user)
    assert view is not None
    return view


def _text(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def _run_again_buttons(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        b["accessory"]
        for b in view["blocks"]
        if ids.HOME_RUN_AGAIN_ACTION.match((b.get("accessory") or {}).get("action_id", ""))
    ]


def test_home_shows_the_persons_jobs_with_status_progress_names_and_thread_link(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    _move(stack, ALICE, **{ids.LIMIT: "200"})
    assert stack.slack.wait_for(lambda: _done(stack, 1), timeout=15)
    _move(stack, BOB)

    view = _home(stack, ALICE)
    text = _text(view)
    assert view["type"] == "home"
    assert "Completed" in text
    assert home_view.INSTANTLY_APP_URL in text
    assert "█" * 20 + " 100%" in text
    assert "campaign *Acme Q1 outbound*" in text
    assert "list *Acme warm leads*" in text
    assert "up to 200 leads" in text
    announcement = stack.slack.messages("C0SALES")[0]
    link = f"https://leadmover-test.slack.com/archives/C0SALES/p{announcement.ts.replace('.', '')}"
    assert f"<{link}|View thread>" in text
    # Only Alice's job: Bob's is his own, and Alice is no admin.
    assert len(_run_again_buttons(view)) == 1
    assert text.count("Job #") == 1
    assert "Running in this workspace" not in text
    assert stack.slack.calls_to("views.publish")[-1].args["user_id"] == ALICE


def _run_again(stack: LocalStack, button: dict[str, Any]) -> dict[str, Any]:
    """Alice presses Run again; the modal Slack opened for it."""
    response = stack.slack.click_in_home(stack.app_url, user_id=ALICE, action_id=button["action_id"])
    assert response.status == 200
    trigger = stack.slack.clicks[-1].trigger_id
    assert stack.slack.wait_for(lambda: stack.slack.view_opened_by(trigger) is not None, timeout=3)
    modal = stack.slack.view_opened_by(trigger)
    assert modal is not None
    return modal


def test_run_again_opens_the_modal_filled_in_and_submitting_it_unchanged_makes_the_same_move(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    _move(stack, ALICE, **{ids.LIMIT: "200"})
    assert stack.slack.wait_for(lambda: _done(stack, 1), timeout=15)
    [button] = _run_again_buttons(_home(stack, ALICE))

    modal = _run_again(stack, button)
    blocks = {b.get("block_id"): b for b in modal["blocks"]}
    source = blocks[ids.SOURCE]["element"]["initial_option"]
    assert (source["value"], source["text"]["text"]) == (
        f"campaign:{workspace.campaigns['Acme Q1 outbound']}",
        "Acme Q1 outbound",
    )
    assert blocks[ids.DESTINATION]["element"]["initial_option"]["value"] == f"list:{workspace.lists['Acme warm leads']}"
    assert blocks[ids.MODE]["element"]["initial_option"]["value"] == ids.MODE_MOVE
    assert blocks[ids.LIMIT]["element"]["initial_value"] == "200"
    assert stack.instantly.request_count > 0

    answer = stack.slack.submit_view(stack.app_url, view_id=modal["id"], values={}, user_id=ALICE)
    assert answer.json()["response_action"] == "update"
    assert stack.slack.wait_for(lambda: len(stack.instantly.move_bodies()) == 2, timeout=10)
    first, again = stack.instantly.move_bodies()
    assert again == first
    assert first["copy_leads"] is False
    assert first["limit"] == 200


def test_run_again_starts_in_the_channels_default_mode_not_the_jobs(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    """A channel's default mode applies to New move and to Run again (issue 20, point 5): a copy run again in a
    channel that moves by default opens as a move, and as a copy once the channel copies by default."""
    _move(stack, ALICE, verb="copy", **{ids.LIMIT: "200"})
    assert stack.slack.wait_for(lambda: _done(stack, 1), timeout=15)
    [button] = _run_again_buttons(_home(stack, ALICE))

    def mode(modal: dict[str, Any]) -> tuple[str, str]:
        chosen = next(b for b in modal["blocks"] if b.get("block_id") == ids.MODE)["element"]["initial_option"]
        return str(modal["title"]["text"]), str(chosen["value"])

    assert mode(_run_again(stack, button)) == ("Move leads", ids.MODE_MOVE)
    copying = ChannelSettings(default_mode=MoveMode.COPY)
    stack.services.channel_settings.change(
        team_id=stack.slack.team_id, channel_id="C0SALES", user_id=ALICE, settings=copying
    )
    modal = _run_again(stack, button)
    assert mode(modal) == ("Copy leads", ids.MODE_COPY)
    # Filled in a moment later (the preview), it stays a copy; submitted as is, it copies.
    assert stack.slack.wait_for(lambda: "holds 1," in json.dumps(stack.slack.view(modal["id"])), timeout=5)
    assert mode(stack.slack.view(modal["id"])) == ("Copy leads", ids.MODE_COPY)
    answer = stack.slack.submit_view(stack.app_url, view_id=modal["id"], values={}, user_id=ALICE)
    assert answer.json()["response_action"] == "update"
    assert stack.slack.wait_for(lambda: len(stack.instantly.move_bodies()) == 2, timeout=10)
    assert [body["copy_leads"] for body in stack.instantly.move_bodies()] == [True, True]


def test_run_again_repeats_the_filters_options_and_assignee_and_previews_the_source(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    values = {
        ids.LIMIT: "30",
        ids.SEARCH: "lead1",
        ids.FILTER: "FILTER_VAL_NOT_CONTACTED",
        ids.ESG_CODE: "2",
        ids.OPTIONS: ["skip_duplicates", "reset_interest_status"],
    }
    view_values: dict[str, Any] = dict(values)
    _move(stack, ALICE, **view_values, **{ids.ASSIGNED_TO: _member(stack)})
    assert stack.slack.wait_for(lambda: _done(stack, 1), timeout=15)
    [button] = _run_again_buttons(_home(stack, ALICE))
    asked = _requests_to(stack, "/api/v2/workspace-members")

    stack.slack.click_in_home(stack.app_url, user_id=ALICE, action_id=button["action_id"])
    trigger = stack.slack.clicks[-1].trigger_id
    assert stack.slack.wait_for(lambda: stack.slack.view_opened_by(trigger) is not None, timeout=3)
    opened = stack.slack.view_opened_by(trigger)
    assert opened is not None
    # The assignee's name and the preview need Instantly, so they follow views.open in a views.update.
    assert stack.slack.wait_for(lambda: "1,220" in json.dumps(stack.slack.view(opened["id"])), timeout=5)
    modal = stack.slack.view(opened["id"])
    blocks = {b.get("block_id"): b for b in modal["blocks"]}
    assert blocks[ids.SEARCH]["element"]["initial_value"] == "lead1"
    assert blocks[ids.FILTER]["element"]["initial_option"]["value"] == "FILTER_VAL_NOT_CONTACTED"
    assert blocks[ids.ESG_CODE]["element"]["initial_option"]["value"] == "2"
    assert [o["value"] for o in blocks[ids.OPTIONS]["element"]["initial_options"]] == [
        "skip_duplicates",
        "reset_interest_status",
    ]
    assert blocks[ids.ASSIGNED_TO]["element"]["initial_option"]["text"]["text"] == "Ann Lee (ann@example.com)"
    # The job's gateway and assignee show though More filters is closed: no filter is ever hidden. The empty stay.
    assert set(more_filters.FIELDS) & set(blocks) == {ids.ESG_CODE, ids.ASSIGNED_TO}
    assert blocks[ids.MORE_FILTERS]["elements"][0]["text"]["text"] == "More filters"
    assert _requests_to(stack, "/api/v2/workspace-members") == asked, "the name was kept with the order"
    sample = [line for line in blocks[ids.PREVIEW]["text"]["text"].splitlines() if line.startswith("• ")]
    assert len(sample) == 5
    assert all(line.startswith("• lead1") for line in sample), "the sample follows the repeated filters"

    answer = stack.slack.submit_view(stack.app_url, view_id=modal["id"], values={}, user_id=ALICE)
    assert answer.json()["response_action"] == "update"
    assert stack.slack.wait_for(lambda: len(stack.instantly.move_bodies()) == 2, timeout=10)
    first, again = stack.instantly.move_bodies()
    assert again == first
    assert (first["search"], first["filter"], first["esg_code"], first["limit"]) == (
        "lead1",
        "FILTER_VAL_NOT_CONTACTED",
        "2",
        30,
    )
    assert (first["check_duplicates"], first["reset_interest_status"]) == (True, True)
    assert "assigned_to" in first

    # Two jobs, two Run again buttons: each action_id in a view must be distinct, or Slack refuses the whole tab.
    assert stack.slack.wait_for(lambda: _done(stack, 2), timeout=15)
    earlier = stack.slack.home_view(ALICE)
    assert earlier is not None
    buttons = _run_again_buttons(_home(stack, ALICE, changed_from=earlier["hash"]))
    assert len({button["action_id"] for button in buttons}) == 2


def test_a_tab_drawn_before_the_jobs_filters_were_forgotten_says_why_it_cannot_run_again(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    _move(stack, ALICE, **{ids.LIMIT: "20", ids.SEARCH: "lead1"})

    def replied() -> bool:
        return [r.phase for r in stack.services.moves.recent_jobs(team_id="T0LEADMOVR", user_id=None, limit=5)] == [
            Phase.DONE
        ]

    assert stack.slack.wait_for(replied, timeout=15)
    [button] = _run_again_buttons(_home(stack, ALICE))
    # The retention period passes while the tab stays open: the search the job was narrowed by is forgotten.
    retention.forget_before(stack.services.db, cutoff=utcnow() + timedelta(days=1))

    stack.slack.click_in_home(stack.app_url, user_id=ALICE, action_id=button["action_id"])
    trigger = stack.slack.clicks[-1].trigger_id
    assert stack.slack.wait_for(lambda: stack.slack.view_opened_by(trigger) is not None, timeout=3)
    notice = stack.slack.view_opened_by(trigger)
    assert notice is not None
    assert notice.get("callback_id") != ids.MOVE_MODAL
    assert "older than the retention period" in json.dumps(notice)
    assert len(stack.instantly.move_bodies()) == 1


def test_an_order_kept_without_the_assignees_name_asks_instantly_and_says_when_it_cannot(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    _move(stack, ALICE, **{ids.LIMIT: "10", ids.ASSIGNED_TO: _member(stack)})
    assert stack.slack.wait_for(lambda: _done(stack, 1), timeout=15)
    # As the previous version kept it: the member's id, not the name the picker showed.
    with stack.services.db.session() as session:
        row = session.scalars(select(JobRow)).one()
        order = dict(row.move_order or {})
        order["options"] = {k: v for k, v in order["options"].items() if k != "assign_to_name"}
        row.move_order = order
    [button] = _run_again_buttons(_home(stack, ALICE))
    stack.instantly.fail_next("GET", "/api/v2/workspace-members", status=503, times=5)

    stack.slack.click_in_home(stack.app_url, user_id=ALICE, action_id=button["action_id"])
    trigger = stack.slack.clicks[-1].trigger_id
    assert stack.slack.wait_for(lambda: stack.slack.view_opened_by(trigger) is not None, timeout=3)
    opened = stack.slack.view_opened_by(trigger)
    assert opened is not None

    def assignee() -> dict[str, Any]:
        # Empty at first, it waits behind More filters; the note brings it out (a field with a note always shows).
        found = [b for b in stack.slack.view(opened["id"])["blocks"] if b.get("block_id") == ids.ASSIGNED_TO]
        return dict(found[0]) if found else {}

    assert stack.slack.wait_for(lambda: "hint" in assignee(), timeout=5)
    assert assignee()["hint"]["text"] == home_view.ASSIGNEE_UNCHECKED
    assert "initial_option" not in assignee()["element"]


def _requests_to(stack: LocalStack, path: str) -> int:
    return sum(1 for r in stack.instantly.requests if r.path == path)


def _member(stack: LocalStack) -> dict[str, Any]:
    view = show_more_filters(stack, open_modal(stack))
    return pick(stack, view, ids.ASSIGNED_TO, "ann", "Ann Lee (ann@example.com)")


def test_a_person_who_may_not_move_sees_why_instead_of_run_again(stack: LocalStack, workspace: DemoWorkspace) -> None:
    _move(stack, BOB)
    denied = stack.slack.send_command(stack.app_url, text=f"deny {stack.slack.mention(BOB)}", user_id=ADMIN)
    assert denied.status == 200
    assert stack.slack.wait_for(lambda: any("may no longer move" in str(r) for r in stack.slack.responses), timeout=5)

    view = _home(stack, BOB)
    text = _text(view)
    assert "You may not move leads here." in text
    assert "removed your access" in text
    assert "Acme Q1 outbound" in text  # the job is still shown
    assert _run_again_buttons(view) == []


def test_admins_also_see_the_running_jobs_of_others(tmp_path: Path) -> None:
    # No poller: jobs stay running at Instantly's first answer; the writer still posts their announcements.
    with local_stack(database_url=f"sqlite:///{tmp_path / 'running.db'}", start_loops=False) as stack:
        _people(stack)
        seed(stack.instantly)
        stack.services.heartbeat.start()
        stack.services.writer.start()
        _move(stack, ALICE)
        assert stack.slack.wait_for(lambda: len(stack.slack.messages("C0SALES")) == 1, timeout=10)

        text = _text(_home(stack, ADMIN))
        assert "Running in this workspace" in text
        assert f"<@{ALICE}>" in text
        assert "Acme Q1 outbound" in text
        assert "View thread" in text
        assert "You have no leadmover jobs yet." in text  # the admin's own list stays the admin's own

        assert "Running in this workspace" not in _text(_home(stack, BOB))
        assert stack.slack.violations == []
        assert stack.instantly.violations == []


def test_a_job_whose_thread_slack_cannot_link_is_shown_without_a_link(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    _move(stack, ALICE)
    assert stack.slack.wait_for(lambda: _done(stack, 1), timeout=15)
    stack.slack.fail_next("chat.getPermalink", "message_not_found")

    text = _text(_home(stack, ALICE))
    assert "Completed" in text
    assert "View thread" not in text


def test_the_messages_tab_publishes_nothing(stack: LocalStack) -> None:
    event = {"type": "app_home_opened", "user": ALICE, "channel": f"D{ALICE}", "tab": "messages"}
    assert stack.slack.send_event(stack.app_url, team_id="T0LEADMOVR", event=event).status == 200
    assert not stack.slack.wait_for(lambda: stack.slack.home_view(ALICE) is not None, timeout=0.5)
    assert stack.slack.calls_to("views.publish") == []

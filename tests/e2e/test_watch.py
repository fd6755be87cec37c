"""Watching a workspace, end to end against the simulators: jobs started elsewhere (an import, an export, a move in
Instantly's app) are announced once in the watched channel, by name, and followed to their end; leadmover's own moves
are not announced again; two replicas give one announcement; a restart finds the jobs made while it was down; and a
round pages through more than a hundred new jobs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from app.local_stack import DemoWorkspace, LocalStack, local_stack, seed
from handlers import ids
from simulators.instantly import RecordedRequest
from simulators.slack import Message
from storage import channel_settings, watches
from storage.clock import utcnow
from storage.models import JobRow
from tests.e2e.flows import open_modal, pick, submit_move

ADMIN, ALICE = "U0ADMIN", "U0ALICE"
CHANNEL = "C0JOBS"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    # Rounds are driven by the test (tick); the loop's own rounds are a minute apart.
    with local_stack(database_url=f"sqlite:///{tmp_path / 'watch.db'}", leadmover_watch_seconds=60) as running:
        running.slack.add_user(ADMIN, is_admin=True)
        running.slack.add_user(ALICE)
        yield running
        assert running.slack.violations == []
        assert running.instantly.violations == []


@pytest.fixture
def workspace(stack: LocalStack) -> DemoWorkspace:
    return seed(stack.instantly)


def said(stack: LocalStack, text: str, *, user: str = ADMIN, channel: str = CHANNEL) -> str:
    """What `user` is told in answer to `/leads <text>` typed in `channel` (admins' verbs answer by response_url)."""
    before = len(stack.slack.responses)
    response = stack.slack.send_command(stack.app_url, text=text, user_id=user, channel_id=channel)
    assert response.status == 200
    assert stack.slack.wait_for(lambda: len(stack.slack.responses) > before, timeout=5), f"no answer to {text!r}"
    return str(stack.slack.responses[-1].get("text", ""))


def watching(stack: LocalStack, words: str = "") -> str:
    return said(stack, f"watch {words}".strip())


def round_now(stack: LocalStack) -> int:
    """Make the workspace's next round due now, and run it."""
    with stack.services.db.session() as session:
        session.execute(watches.LISTERS.update().values(next_round_at=utcnow() - timedelta(seconds=1)))
    return stack.services.watching.tick()


def announced(stack: LocalStack) -> list[Message]:
    return stack.slack.messages(CHANNEL)


def test_jobs_started_elsewhere_are_announced_once_by_name_and_followed(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    assert "now hears of every Instantly background job" in watching(stack)
    ann = stack.instantly.add_member("ann.lee@example.com", first="Ann", last="Lee")
    inbound = workspace.lists["Acme warm leads"]
    elsewhere = stack.instantly.default_workspace
    imported = elsewhere.start_elsewhere("import-leads", entity=("list", inbound), user_id=ann, total=500, ago=3)
    elsewhere.start_elsewhere("export-leads", entity=("campaign", workspace.campaigns["Globex renewals"]), ago=2)
    elsewhere.start_elsewhere("move-leads", user_id=None, ago=1)
    elsewhere.touch(imported)  # the oldest moved on last: first in Instantly's listing, by update, yet told first
    assert round_now(stack) == 1
    assert stack.slack.wait_for(lambda: len(announced(stack)) == 3, timeout=10), [m.text for m in announced(stack)]
    texts = [str(m.blocks) for m in announced(stack)]
    assert "Import leads into list *Acme warm leads*, started by Ann Lee" in texts[0]
    assert "Export leads from campaign *Globex renewals*, started by a tool" in texts[1]
    assert "Move leads, started by the API" in texts[2]
    assert "<!date^" in texts[0]
    round_now(stack)
    time.sleep(0.5)
    assert len(announced(stack)) == 3, "announced once"
    assert stack.slack.wait_for(
        lambda: all(len(stack.slack.replies(CHANNEL, m.ts)) == 1 for m in announced(stack)), timeout=20
    ), "each followed to its end, answered in its thread"
    import_reply = stack.slack.replies(CHANNEL, announced(stack)[0].ts)[0]
    assert "500 succeeded" in str(import_reply.blocks)


def test_a_channel_hears_only_the_types_it_asked_for(stack: LocalStack, workspace: DemoWorkspace) -> None:
    assert "import leads" in watching(stack, "imports").lower()
    stack.instantly.default_workspace.start_elsewhere("export-leads")
    stack.instantly.default_workspace.start_elsewhere("import-leads")
    round_now(stack)
    assert stack.slack.wait_for(lambda: len(announced(stack)) == 1, timeout=10)
    assert "Import leads" in announced(stack)[0].text or "Import leads" in str(announced(stack)[0].blocks)


def test_jobs_from_before_the_watch_are_not_announced(stack: LocalStack, workspace: DemoWorkspace) -> None:
    stack.instantly.default_workspace.start_elsewhere("import-leads", ended=True)
    time.sleep(1.1)
    watching(stack)
    round_now(stack)
    time.sleep(0.5)
    assert announced(stack) == []


def test_a_round_pages_through_more_than_a_hundred_new_jobs(stack: LocalStack, workspace: DemoWorkspace) -> None:
    watching(stack)
    started = [stack.instantly.default_workspace.start_elsewhere("export-leads", ended=True) for _ in range(130)]
    first_pages: list[RecordedRequest] = []

    def touch_the_oldest_once_the_first_page_is_read(request: RecordedRequest) -> None:
        if request.path == "/api/v2/background-jobs" and "sort_column" in request.query and not first_pages:
            first_pages.append(request)
            # Instantly updates it while the second page is still to come: it moves up, past the round's cursor.
            stack.instantly.default_workspace.touch(started[0])

    stack.instantly.on_request = touch_the_oldest_once_the_first_page_is_read
    assert round_now(stack) == 1
    listed = [r for r in stack.instantly.requests if r.path == "/api/v2/background-jobs" and "sort_column" in r.query]
    assert len(listed) == 3, "one round: two pages, then the first once more for what moved up meanwhile"
    assert "starting_after" in listed[1].query
    assert "starting_after" not in listed[2].query
    assert followed(stack) == 130, "every new job is followed after one round, the one that moved up too"
    round_now(stack)
    assert followed(stack) == 130, "and none twice"
    # So many at once share messages (fifty a message at most), each job named in exactly one of them.
    assert stack.slack.wait_for(lambda: len(named(announced(stack))) == 130, timeout=20)
    assert 3 <= len(announced(stack)) <= 5, [m.text for m in announced(stack)]
    assert sorted(named(announced(stack))) == sorted(set(named(announced(stack))))


def named(messages: list[Message]) -> list[int]:
    """The jobs these messages name in their metadata (a shared message lists them all), as often as named."""
    payloads = [(message.metadata or {}).get("event_payload") or {} for message in messages]
    return [int(i) for p in payloads for i in str(p.get("job_ids") or p.get("job_id") or "").split(",") if i]


def followed(stack: LocalStack) -> int:
    with stack.services.db.reading() as session:
        return session.query(JobRow).filter(JobRow.via == "watch").count()


def test_only_admins_watch_and_unwatch_ends_it(stack: LocalStack, workspace: DemoWorkspace) -> None:
    assert said(stack, "watch", user=ALICE).startswith("Only workspace admins")
    assert "I don't know `everything`" in said(stack, "watch everything")
    assert said(stack, "watches").startswith("No channel hears")
    watching(stack, "imports exports")
    assert f"<#{CHANNEL}>: import leads, import subscribers from crm, export leads jobs" in said(stack, "watches")
    assert "no longer hears" in said(stack, "unwatch")
    stack.instantly.default_workspace.start_elsewhere("import-leads")
    assert round_now(stack) == 0, "no channel watches: no round"
    assert announced(stack) == []
    actions = [entry.action for entry in stack.services.audit.latest(team_id=stack.slack.team_id, limit=5)]
    assert actions[:2] == ["unwatch", "watch"]


def test_app_home_shows_admins_the_watched_channels(stack: LocalStack, workspace: DemoWorkspace) -> None:
    watching(stack, "moves")
    for user, shown in ((ADMIN, True), (ALICE, False)):
        assert stack.slack.open_home(stack.app_url, user_id=user).status == 200
        assert stack.slack.wait_for(lambda u=user: stack.slack.home_view(u) is not None, timeout=5)
        text = str(stack.slack.home_view(user))
        assert (f"<#{CHANNEL}>: move leads jobs" in text) is shown, text


def test_a_leadmover_move_in_a_watched_channel_is_announced_once(stack: LocalStack, workspace: DemoWorkspace) -> None:
    said(stack, "watch", channel="C0SALES")
    view = open_modal(stack, channel_id="C0SALES")
    values = {
        ids.SOURCE: pick(stack, view, ids.SOURCE, "globex", "Globex renewals"),
        ids.DESTINATION: pick(stack, view, ids.DESTINATION, "trade", "Trade show 2026"),
        ids.LIMIT: "10",
    }
    assert submit_move(stack.slack, stack.app_url, view_id=view["id"], values=values).status == 200
    assert stack.slack.wait_for(lambda: len(stack.instantly.move_bodies()) == 1, timeout=10)
    for _ in range(3):
        round_now(stack)
    assert stack.slack.wait_for(lambda: stack.slack.messages("C0SALES") != [], timeout=10)
    time.sleep(1)
    assert len(stack.slack.messages("C0SALES")) == 1, [m.text for m in stack.slack.messages("C0SALES")]
    assert followed(stack) == 0


def test_a_failed_watched_job_mentions_the_watcher_only_where_the_channel_says_so(
    stack: LocalStack, workspace: DemoWorkspace
) -> None:
    watching(stack)
    stack.instantly.final_status = "failed"
    jobs = stack.instantly.default_workspace

    def failure_reply(count: int) -> str:
        assert stack.slack.wait_for(
            lambda: len(announced(stack)) == count and stack.slack.replies(CHANNEL, announced(stack)[-1].ts) != [],
            timeout=20,
        )
        return str(stack.slack.replies(CHANNEL, announced(stack)[-1].ts)[0].blocks)

    jobs.start_elsewhere("import-leads", ended=True, final_status="failed")
    round_now(stack)
    quiet = failure_reply(1)
    assert "failed" in quiet
    assert "<@U0ADMIN>" not in quiet
    settings = channel_settings.get(stack.services.db, team_id=stack.slack.team_id, channel_id=CHANNEL)
    channel_settings.save(
        stack.services.db,
        team_id=stack.slack.team_id,
        channel_id=CHANNEL,
        settings=replace(settings, mention_watchers=True),
        set_by=ADMIN,
    )
    jobs.start_elsewhere("import-leads", ended=True, final_status="failed")
    round_now(stack)
    assert "<@U0ADMIN>" in failure_reply(2)

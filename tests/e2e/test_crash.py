"""kill -9 at the worst moments, then a restart: no job lost, no move sent twice, every message posted once."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.local_stack import seed
from handlers import ids
from simulators.instantly import FakeInstantly
from simulators.slack import FakeSlack, Message
from tests.e2e.flows import submit_move
from tests.e2e.processes import AppProcess, app_env

MOVE = "/api/v2/leads/move"
JOBS = "/api/v2/background-jobs"
CHANNEL = "C0SALES"


@pytest.fixture
def fakes() -> Iterator[tuple[FakeSlack, FakeInstantly]]:
    # Slack as it limits apps outside its Marketplace: recovery must find its messages within those limits.
    with FakeSlack(history_limits=True) as slack, FakeInstantly() as instantly:
        seed(instantly)
        yield slack, instantly


def _env(slack: FakeSlack, instantly: FakeInstantly, tmp_path: Path) -> dict[str, str]:
    # Short leases so that the restarted process takes over quickly.
    return app_env(
        slack=slack,
        instantly=instantly,
        database_url=f"sqlite:///{tmp_path / 'crash.db'}",
        lease_seconds="1.5",
        instantly_timeout_seconds="1",
    )


def _submit(slack: FakeSlack, app: AppProcess) -> None:
    slack.send_command(app.app_url, text="move", channel_id=CHANNEL)
    assert slack.wait_for(lambda: len(slack.opened_views()) == 1, timeout=5)
    view = slack.opened_views()[0]

    def option(action_id: str, query: str) -> dict[str, object]:
        answer = slack.load_options(app.app_url, view_id=view["id"], action_id=action_id, value=query).json()
        return dict(answer["option_groups"][0]["options"][0])

    values = {ids.SOURCE: option(ids.SOURCE, "globex"), ids.DESTINATION: option(ids.DESTINATION, "initech")}
    assert submit_move(slack, app.app_url, view_id=view["id"], values=values).status == 200


def _announcements(slack: FakeSlack) -> list[Message]:
    return slack.messages(CHANNEL)


def _replies(slack: FakeSlack) -> list[Message]:
    return [reply for message in _announcements(slack) for reply in slack.replies(CHANNEL, message.ts)]


def _crash_then_restart(
    tmp_path: Path,
    slack: FakeSlack,
    instantly: FakeInstantly,
    *,
    arm: Callable[[], None],
    crashed_at: Callable[[], bool],
    disarm: Callable[[], None],
    log_says: str | None = None,
) -> str:
    env = _env(slack, instantly, tmp_path)
    with AppProcess(env=env, log_path=tmp_path / "first.log") as first:
        first.wait_healthy()
        arm()
        _submit(slack, first)
        assert slack.wait_for(crashed_at, timeout=15), first.log()
        first.kill()
    disarm()
    with AppProcess(env=env, log_path=tmp_path / "second.log") as second:
        second.wait_healthy()
        assert slack.wait_for(lambda: len(_replies(slack)) >= 1, timeout=30), second.log()
        slack.wait_for(lambda: len(_replies(slack)) > 1, timeout=1.5)  # a duplicate would show up now
        if log_says is not None:  # what the restarted process did about the crashed write, once it took it over
            assert slack.wait_for(lambda: log_says in second.log(), timeout=10), second.log()
        log = second.log()
    assert len(instantly.move_bodies()) == 1, "the move was sent more than once"
    assert len(_announcements(slack)) == 1, [m.text for m in _announcements(slack)]
    assert len(_replies(slack)) == 1, [m.text for m in _replies(slack)]
    assert "completed" in _replies(slack)[0].text
    assert slack.violations == []
    assert instantly.violations == []
    return log


def test_killed_while_instantly_is_starting_the_move(fakes: tuple[FakeSlack, FakeInstantly], tmp_path: Path) -> None:
    slack, instantly = fakes
    log = _crash_then_restart(
        tmp_path,
        slack,
        instantly,
        arm=lambda: instantly.delay.__setitem__(MOVE, 5.0),
        crashed_at=lambda: bool(instantly.move_bodies()),
        disarm=lambda: instantly.delay.pop(MOVE),
        log_says="found its Instantly job",
    )
    assert "found its Instantly job" in log


def test_killed_after_instantly_answered_while_the_announcement_goes_out(
    fakes: tuple[FakeSlack, FakeInstantly], tmp_path: Path
) -> None:
    slack, instantly = fakes
    log = _crash_then_restart(
        tmp_path,
        slack,
        instantly,
        arm=lambda: slack.delay.__setitem__("chat.postMessage", 5.0),
        crashed_at=lambda: len(_announcements(slack)) == 1,
        disarm=lambda: slack.delay.pop("chat.postMessage"),
        log_says="already in Slack",
    )
    assert "already in Slack" in log


def test_killed_in_the_middle_of_a_poll(fakes: tuple[FakeSlack, FakeInstantly], tmp_path: Path) -> None:
    slack, instantly = fakes
    _crash_then_restart(
        tmp_path,
        slack,
        instantly,
        arm=lambda: instantly.delay.__setitem__(JOBS, 5.0),
        crashed_at=lambda: any(r.path == JOBS and "ids" in r.query for r in instantly.requests),
        disarm=lambda: instantly.delay.pop(JOBS),
    )


def test_killed_while_the_final_reply_goes_out(fakes: tuple[FakeSlack, FakeInstantly], tmp_path: Path) -> None:
    slack, instantly = fakes

    def slow_replies_once_announced() -> bool:
        # The announcement is out: from now on posts (the final reply) are answered slowly.
        if _announcements(slack) and "chat.postMessage" not in slack.delay:
            slack.delay["chat.postMessage"] = 5.0
        return len(_replies(slack)) == 1

    log = _crash_then_restart(
        tmp_path,
        slack,
        instantly,
        arm=lambda: None,
        crashed_at=slow_replies_once_announced,
        disarm=lambda: slack.delay.pop("chat.postMessage"),
        log_says="already in Slack",
    )
    assert "already in Slack" in log


@pytest.mark.parametrize("where", ["mid-poll", "mid-move", "mid-write"])
def test_with_the_default_leases_a_restart_follows_every_job_again_within_ten_seconds(
    fakes: tuple[FakeSlack, FakeInstantly], tmp_path: Path, where: str
) -> None:
    # LEASE_SECONDS stays at its default (60 s): only the heartbeat can make the dead process's work free this soon.
    slack, instantly = fakes
    env = app_env(slack=slack, instantly=instantly, database_url=f"sqlite:///{tmp_path / 'beat.db'}")
    stall, seen = {
        "mid-poll": (instantly.delay, lambda: any(r.path == JOBS and "ids" in r.query for r in instantly.requests)),
        "mid-move": (instantly.delay, lambda: bool(instantly.move_bodies())),
        "mid-write": (slack.delay, lambda: len(_announcements(slack)) == 1),
    }[where]
    stalled = {"mid-poll": JOBS, "mid-move": MOVE, "mid-write": "chat.postMessage"}[where]
    with AppProcess(env=env, log_path=tmp_path / "first.log") as first:
        first.wait_healthy()
        stall[stalled] = 30.0
        _submit(slack, first)
        assert slack.wait_for(seen, timeout=15), first.log()
        first.kill()
    stall.pop(stalled)
    asked_before = len(instantly.requests)
    with AppProcess(env=env, log_path=tmp_path / "second.log") as second:
        second.wait_healthy()
        restarted = time.monotonic()
        followed = lambda: any(r.path == JOBS for r in instantly.requests[asked_before:])  # noqa: E731
        assert slack.wait_for(followed, timeout=10), second.log()
        if where == "mid-write":  # the dead writer's announcement is taken over: the thread goes on at once
            assert slack.wait_for(lambda: len(_replies(slack)) == 1, timeout=10), second.log()
        assert time.monotonic() - restarted < 10
        assert slack.wait_for(lambda: len(_replies(slack)) == 1, timeout=30), second.log()
    assert len(instantly.move_bodies()) == 1, "the move was sent once"
    assert len(_announcements(slack)) == 1
    assert len(_replies(slack)) == 1

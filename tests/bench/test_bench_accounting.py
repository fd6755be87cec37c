"""The benchmark's bookkeeping without running anything: who makes which move, what a submission answer came to, how
the moves add up, and the final reply delay histogram."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from functools import partial
from typing import Any, cast

import pytest
from slack_sdk import WebClient

import bench.driver
from bench.announcements import AnnouncementWatch
from bench.driver import Driver, Outcome, Submission, Target, classify_submission
from bench.metrics import Figures, bucket_counts, compute
from bench.report import histogram, markdown, table
from bench.run import record_moves
from bench.scenario import Scenario
from simulators.slack import FakeSlack


def _driver(scenario: Scenario) -> Driver:
    # The driver only reaches Slack when it moves through the modal; these tests never let it.
    no_slack = cast(FakeSlack, None)
    return Driver(scenario, no_slack, "", channels=scenario.channel_ids(), users=scenario.user_ids())


def test_a_thousand_people_each_keep_to_one_channel_and_move_once_a_minute_at_5000_jobs() -> None:
    scenario = Scenario(jobs=5000)
    driver = _driver(scenario)
    assert scenario.users == 1000
    moves_by_person: dict[str, list[int]] = {}
    channels_of: dict[str, set[str]] = {}
    for number in range(scenario.jobs):
        where = driver.target(number)
        moves_by_person.setdefault(where.user, []).append(number)
        channels_of.setdefault(where.user, set()).add(where.channel)
    assert len(moves_by_person) == 1000
    assert {len(moves) for moves in moves_by_person.values()} == {5}
    assert {len(channels) for channels in channels_of.values()} == {1}
    assert len({channel for channels in channels_of.values() for channel in channels}) == 20
    gap = scenario.spread / scenario.jobs
    first = moves_by_person[driver.target(7).user]
    assert [round((b - a) * gap) for a, b in itertools.pairwise(first)] == [60, 60, 60, 60]
    assert driver.target(7) == Target(None, "C0BENCH07", "U0BENCH007")


@pytest.mark.parametrize(
    ("status", "body", "outcome", "why"),
    [
        (200, {"response_action": "update", "view": {}}, Outcome.STARTING, ""),
        (200, {"response_action": "push", "view": {}}, Outcome.STARTING, ""),
        (200, {"response_action": "errors", "errors": {"source": "Busy. Try again in about 2 minutes."}},
         Outcome.ASKED_TO_WAIT, "Busy. Try again in about 2 minutes."),
        (200, {"response_action": "errors", "errors": {"source": "TRY AGAIN IN ABOUT a minute"}},
         Outcome.ASKED_TO_WAIT, "TRY AGAIN IN ABOUT a minute"),
        (200, {"response_action": "errors", "errors": {"destination": "That list is gone."}},
         Outcome.REFUSED, "That list is gone."),
        (200, None, Outcome.FAILED, "submission answered 200 with response_action None"),
        (500, None, Outcome.FAILED, "submission answered 500"),
    ],
)  # fmt: skip
def test_each_submission_answer_comes_to_one_outcome(status: int, body: Any, outcome: Outcome, why: str) -> None:
    assert classify_submission(status, body) == Submission(outcome, why)


def test_moves_asked_to_wait_or_refused_are_over_and_add_up_with_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = [
        Submission(Outcome.STARTING),
        Submission(Outcome.ASKED_TO_WAIT, "Try again in about a minute."),
        Submission(Outcome.REFUSED, "No such campaign."),
        Submission(Outcome.REFUSED, "No such campaign."),
        Submission(Outcome.FAILED, "the modal never opened"),
        Submission(Outcome.STARTING),
    ]
    monkeypatch.setattr(bench.driver, "move_through_modal", lambda slack, url, where: answers[int(where.user[-3:])])
    scenario = Scenario(jobs=len(answers), spread_seconds=0.0, starters=1)  # every move due at once
    driver = _driver(scenario)
    driver.run_starts(begin=time.monotonic())

    assert driver.tally() == Counter(
        {Outcome.STARTING: 2, Outcome.REFUSED: 2, Outcome.ASKED_TO_WAIT: 1, Outcome.FAILED: 1}
    )
    assert driver.will_not_start() == 4  # what the run no longer waits for
    assert driver.refusals() == [(2, "No such campaign.")]
    assert driver.failures == ["job 4: the modal never opened"]

    # One acked move became an Instantly job, with its final reply; the other is still waiting to start.
    figures = Figures(mode="leadmover", jobs=len(answers), time_scale=1.0)
    record_moves(figures, tally=driver.tally(), notes=0)
    compute(figures, instantly=[], slack=[], replies={"J1": [12.5]}, job_times={"J1": (0.0, 10.0)}, now=20.0, acks=())
    assert (figures.moves_submitted, figures.acked_starting, figures.asked_to_wait) == (6, 2, 1)
    assert (figures.instantly_jobs, figures.start_failures, figures.left_waiting) == (1, 3, 1)
    started_waiting_failed = figures.instantly_jobs + figures.asked_to_wait + figures.start_failures
    assert started_waiting_failed + figures.left_waiting == figures.moves_submitted
    assert not figures.finished  # a move left waiting is not over
    assert figures.final_delay_histogram["2-3"] == 1


def test_the_histogram_buckets_each_delay_once_and_draws_its_share() -> None:
    delays = [0.0, 0.4, 1.0, 2.9, 3.0, 4.99, 9.0, 29.0, 59.0, 61.0, 120.0, 400.0, -0.01]
    buckets = bucket_counts(delays)
    assert list(buckets) == ["0-1", "1-2", "2-3", "3-5", "5-10", "10-30", "30-60", "60-120", "120+"]
    assert buckets == {
        "0-1": 3, "1-2": 1, "2-3": 1, "3-5": 2, "5-10": 1, "10-30": 1, "30-60": 1, "60-120": 1, "120+": 2
    }  # fmt: skip
    assert sum(buckets.values()) == len(delays)

    run = Figures(mode="leadmover", jobs=4, time_scale=1.0, final_delay_histogram=bucket_counts([0.5, 0.6, 0.7, 40]))
    drawn = histogram(run)
    assert drawn[0] == "final reply delay after the job's end at Instantly, leadmover (4 replies):"
    assert drawn[1].split() == ["0-1", "s", "3", "75.0%", "#" * 30]
    assert drawn[7].split() == ["30-60", "s", "1", "25.0%", "#" * 10]
    assert drawn[2].split() == ["1-2", "s", "0", "0.0%"]
    assert "\n".join(drawn) in table([run])
    assert "```\n" + "\n".join(drawn) + "\n```" in markdown([run])
    assert histogram(Figures(mode="baseline", jobs=4, time_scale=1.0)) == []  # saved before there was one


def test_a_reply_is_after_the_end_only_when_its_announcement_showed_the_end_before_it() -> None:
    def meta(job: str) -> dict[str, Any]:
        return {"event_type": "leadmover_job", "event_payload": {"instantly_job_id": job}}

    with FakeSlack() as fake:
        fake.add_channel("C1", "moves")
        slack = WebClient(token=fake.bot_token, base_url=fake.api_url)
        for job, edit_first in (("a" * 24, True), ("b" * 24, False), ("c" * 24, True)):
            parent = slack.chat_postMessage(channel="C1", text="Moving: 50%", metadata=meta(job))["ts"]
            finish = partial(slack.chat_update, channel="C1", ts=parent, text="Moving: done (100%)")
            if edit_first:
                finish()
            slack.chat_postMessage(channel="C1", thread_ts=parent, text="Done.", metadata=meta(job))
            if not edit_first:
                finish()

        watch = AnnouncementWatch(fake, ["C1"])
        assert watch.replies_after_the_end(["a" * 24, "b" * 24]) == 1, "b's edit came after its reply; c not asked"

"""TrackingService over an in-process Instantly (httpx.MockTransport) and Slack (tests/stand_ins.py): Instantly's
refusals become words, nothing is written down for a job that could not be read, a job's id is looked up once, and a
job followed already is placed (channel, person, number) only for whoever asked, admins and its channel's members."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bot.access import AccessService
from bot.moves import MoveService
from bot.slack.channel_members import MAX_PAGES, MEMBERS_CACHE_SECONDS, PAGE_SIZE, ChannelMembers
from bot.tracking import Tracking, TrackingService
from storage import jobs
from storage.db import Database
from tests.factories import for_every_team
from tests.stand_ins import Clock, SlackStandIn, instantly_client, instantly_error, instantly_job

JOB = "6a" * 12
ASKER, ADMIN, MEMBER, OTHER = "U0ASKER", "U0ADMIN", "U0MEMBER", "U0OTHER"
FOLLOWED_IN, ELSEWHERE = "C0DEALS", "C0SALES"
HIDDEN = "That job is already followed, so I did not follow it again."


class MembersSlack(SlackStandIn):
    """The Slack stand-in, also answering conversations.members from `members`, at most `page_size` ids a page."""

    def __init__(self) -> None:
        super().__init__(team_id="T1")
        self.members: dict[str, list[str]] = {}
        self.page_size = 2

    def _serve(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method != "conversations.members":
            return super()._serve(method, args)
        everyone = self.members.get(str(args["channel"]), [])
        start = int(args.get("cursor") or 0)
        end = start + min(int(args["limit"]), self.page_size)
        return {
            "members": everyone[start:end],
            "response_metadata": {"next_cursor": str(end) if end < len(everyone) else ""},
        }


def _service(
    db: Database,
    answer: httpx.Response,
    seen: list[httpx.Request],
    *,
    slack: SlackStandIn | None = None,
    clock: Clock | None = None,
) -> TrackingService:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer

    client = for_every_team(instantly_client(handler, max_attempts=1))
    moves = MoveService(db=db, instantly=client, owner="web-1", poll_interval=3.0)
    slack_for = for_every_team(slack or SlackStandIn())
    return TrackingService(
        db=db,
        access=AccessService(db=db, slack=slack_for),
        members=ChannelMembers(slack=slack_for, clock=clock or Clock()),
        instantly=client,
        moves=moves,
        poll_interval=3.0,
    )


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (instantly_error(403, "Missing scope"), "leadmover's Instantly API key lacks `background-jobs:read`."),
        (instantly_error(401, "Invalid API key"), "Instantly rejected leadmover's API key"),
        (instantly_error(429, "Too many requests"), "Instantly is rate limiting this workspace right now."),
        (
            instantly_error(404, "Background job not found"),
            f"Instantly has no job `{JOB}` in this workspace.",
        ),
    ],
)
def test_instantlys_refusals_are_answered_in_words_and_nothing_is_followed(
    sqlite_db: Database, answer: httpx.Response, words: str
) -> None:
    seen: list[httpx.Request] = []
    tracking = _service(sqlite_db, answer, seen).track(team_id="T1", user_id="U1", channel_id="C1", job_id=JOB)

    assert words in tracking.answer
    assert tracking.record is None
    assert jobs.recent(sqlite_db) == []
    assert [request.url.path for request in seen][:1] == [f"/api/v2/background-jobs/{JOB}"]
    assert "data_fields" not in seen[0].url.params, "every count in `data` is wanted, not only a move's"


def test_a_job_type_instantly_names_is_escaped_in_the_answer(sqlite_db: Database) -> None:
    job = instantly_job(JOB, status="in-progress", type="<!channel> import <https://evil.example|leads>")
    service = _service(sqlite_db, httpx.Response(200, json=job), [])

    answer = service.track(team_id="T1", user_id=ASKER, channel_id=FOLLOWED_IN, job_id=JOB).answer

    assert "<!channel>" not in answer
    assert "<https:" not in answer
    assert "&lt;!channel&gt;" in answer


@pytest.fixture
def slack() -> MembersSlack:
    """A workspace where ADMIN is a Slack admin and MEMBER, fifth of six, is in the followed job's channel."""
    stand_in = MembersSlack()
    stand_in.people[ADMIN] = {"is_admin": True}
    stand_in.members[FOLLOWED_IN] = ["UBOT", ASKER, "U0A", "U0B", MEMBER, "U0C"]
    return stand_in


def _followed_then_asked(sqlite_db: Database, slack: SlackStandIn, *, by: str, where: str = ELSEWHERE) -> Tracking:
    """ASKER follows JOB in FOLLOWED_IN; then `by` asks to follow it from `where`."""
    seen: list[httpx.Request] = []
    service = _service(sqlite_db, httpx.Response(200, json=instantly_job(JOB, status="in-progress")), seen, slack=slack)
    first = service.track(team_id="T1", user_id=ASKER, channel_id=FOLLOWED_IN, job_id=JOB)
    assert first.record is not None
    assert not first.already

    again = service.track(team_id="T1", user_id=by, channel_id=where, job_id=f"`{JOB.upper()}`")

    assert again.already
    assert len(seen) == 1, "a job followed already is not looked up in Instantly again"
    assert len(jobs.recent(sqlite_db)) == 1
    return again


@pytest.mark.parametrize(
    ("by", "where", "asks_slack"),
    [
        (ASKER, ELSEWHERE, False),  # whoever asked for it
        (OTHER, FOLLOWED_IN, False),  # typed in the job's channel, so a member of it
        (ADMIN, ELSEWHERE, False),
        (MEMBER, ELSEWHERE, True),
    ],
    ids=["requester", "in-its-channel", "admin", "channel-member"],
)
def test_who_may_see_a_job_is_told_where_it_is_followed_and_by_whom(
    sqlite_db: Database, slack: MembersSlack, by: str, where: str, asks_slack: bool
) -> None:
    again = _followed_then_asked(sqlite_db, slack, by=by, where=where)

    assert again.record is not None
    assert f"Job #{again.record.id} · Move leads is already followed in <#{FOLLOWED_IN}>, asked by <@{ASKER}>" in (
        again.answer
    )
    assert f"`/leads status #{again.record.id}`" in again.answer
    assert JOB not in again.answer, "Instantly's id is for /leads status"
    reads = slack.calls_to("conversations.members")
    assert bool(reads) == asks_slack
    if asks_slack:  # read a page at a time until MEMBER turned up, and no further
        assert [(c.args["channel"], c.args["limit"], c.args.get("cursor")) for c in reads] == [
            (FOLLOWED_IN, PAGE_SIZE, None),
            (FOLLOWED_IN, PAGE_SIZE, "2"),
            (FOLLOWED_IN, PAGE_SIZE, "4"),
        ]


def test_anyone_else_hears_only_that_it_is_followed(sqlite_db: Database, slack: MembersSlack) -> None:
    again = _followed_then_asked(sqlite_db, slack, by=OTHER)

    assert again.answer == HIDDEN
    assert again.record is None
    assert len(slack.calls_to("conversations.members")) == 3, "every page was read"


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found", "missing_scope", "ratelimited", "lost"])
def test_when_slack_cannot_say_who_is_in_the_channel_nothing_is_revealed(
    sqlite_db: Database, slack: MembersSlack, error: str
) -> None:
    if error == "lost":
        slack.lose_answer("conversations.members")
    else:
        slack.fail("conversations.members", error, retry_after=30)

    again = _followed_then_asked(sqlite_db, slack, by=MEMBER)

    assert again.answer == HIDDEN
    assert again.record is None


def test_a_channel_too_big_to_read_while_someone_waits_reveals_nothing(
    sqlite_db: Database, slack: MembersSlack
) -> None:
    slack.members[FOLLOWED_IN] = [f"U0{n:06d}" for n in range(2 * MAX_PAGES + 5)] + [MEMBER]

    assert _followed_then_asked(sqlite_db, slack, by=MEMBER).answer == HIDDEN
    assert len(slack.calls_to("conversations.members")) == MAX_PAGES


def test_members_are_remembered_briefly_per_channel(sqlite_db: Database, slack: MembersSlack) -> None:
    clock = Clock()
    slack.page_size = PAGE_SIZE
    seen: list[httpx.Request] = []
    service = _service(
        sqlite_db, httpx.Response(200, json=instantly_job(JOB, status="in-progress")), seen, slack=slack, clock=clock
    )
    service.track(team_id="T1", user_id=ASKER, channel_id=FOLLOWED_IN, job_id=JOB)

    def placed(user_id: str) -> bool:
        return service.track(team_id="T1", user_id=user_id, channel_id=ELSEWHERE, job_id=JOB).record is not None

    assert placed(MEMBER)
    assert not placed(OTHER)
    assert len(slack.calls_to("conversations.members")) == 1, "one read of the whole channel answers both"

    slack.members[FOLLOWED_IN].remove(MEMBER)
    clock.now += MEMBERS_CACHE_SECONDS
    assert not placed(MEMBER), "who left is no longer shown the job once the list is read again"
    assert len(slack.calls_to("conversations.members")) == 2


@pytest.mark.parametrize("typed", ["#{}", "{}"])
def test_a_job_named_by_its_number_is_found_like_one_named_by_instantlys_id(
    sqlite_db: Database, slack: MembersSlack, typed: str
) -> None:
    seen: list[httpx.Request] = []
    service = _service(sqlite_db, httpx.Response(200, json=instantly_job(JOB, status="in-progress")), seen, slack=slack)
    first = service.track(team_id="T1", user_id=ASKER, channel_id=FOLLOWED_IN, job_id=JOB)
    assert first.record is not None
    asked = len(seen)

    again = service.track(team_id="T1", user_id=ASKER, channel_id=ELSEWHERE, job_id=typed.format(first.record.id))

    assert again.already
    assert again.record is not None
    assert again.record.id == first.record.id
    assert len(seen) == asked, "a number is leadmover's: Instantly is not asked"


def test_a_number_no_job_has_is_answered_without_asking_instantly(sqlite_db: Database, slack: MembersSlack) -> None:
    seen: list[httpx.Request] = []
    service = _service(sqlite_db, httpx.Response(200, json=instantly_job(JOB)), seen, slack=slack)

    answer = service.track(team_id="T1", user_id=ASKER, channel_id=FOLLOWED_IN, job_id="#99").answer

    assert answer == "I found no job #99 in this workspace. `/leads jobs` lists yours."
    assert seen == []

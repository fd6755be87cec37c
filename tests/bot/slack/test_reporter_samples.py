"""Lead e-mails stay inside the company: the final reply lists a few moved e-mails only where Slack says no other
organisation reads the channel (conversations.info, remembered a few minutes per channel) and the channel's settings
allow it; shared, or when Slack cannot say, it says where to see them in Instantly. A DM to the requester needs no
asking, and neither does a reply with no e-mail to list."""

from __future__ import annotations

from typing import Any

import pytest

from bot.slack.channel_facts import FACTS_CACHE_SECONDS, ChannelFacts
from bot.slack.reporter import SENT, Reporter
from storage import channel_settings, jobs
from storage.channel_settings import ChannelSettings
from storage.db import Database
from storage.models import NotificationKind
from storage.records import JobRecord
from tests.factories import for_every_team, newest_notification, running_job, stored_job
from tests.stand_ins import JSON, Clock, SlackStandIn

EMAILS = ("ann@acme.com", "bo@acme.com")


class ChannelsStandIn(SlackStandIn):
    """The stand-in, with conversations.info: a plain channel of T1 unless `channels` says more of it."""

    def __init__(self) -> None:
        super().__init__()
        self.channels: dict[str, JSON] = {}

    def _serve(self, method: str, args: JSON) -> JSON:
        if method != "conversations.info":
            return super()._serve(method, args)
        channel = str(args["channel"])
        plain = {"id": channel, "is_shared": False, "is_ext_shared": False, "is_org_shared": False}
        return {"channel": {**plain, "shared_team_ids": [self.team_id], **self.channels.get(channel, {})}}


SLACK_CONNECT: JSON = {"is_shared": True, "is_ext_shared": True, "shared_team_ids": ["T1", "T0PARTNER"]}


@pytest.fixture
def slack() -> ChannelsStandIn:
    return ChannelsStandIn()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def reporter(sqlite_db: Database, slack: ChannelsStandIn, clock: Clock) -> Reporter:
    facts = ChannelFacts(slack=for_every_team(slack), clock=clock)
    return Reporter(slack=for_every_team(slack), db=sqlite_db, facts=facts)


def _moved(db: Database, reporter: Reporter, *, n: int = 1, channel: str = "C1", **finish: Any) -> JobRecord:
    """A move announced in `channel`, then ended with its final reply delivered."""
    record = running_job(db, f"{n:024x}", status="in-progress", channel=channel)
    assert reporter.deliver(newest_notification(db, record.id, NotificationKind.ANNOUNCE)) == SENT
    ending: dict[str, Any] = {"moved_leads": 40, "moved_lead_emails": EMAILS, **finish}
    jobs.finish(db, job_id=record.id, status="success", progress=100, **ending)
    assert reporter.deliver(newest_notification(db, record.id, NotificationKind.FINAL)) == SENT
    return stored_job(db, record.id)


def _reply(slack: SlackStandIn) -> str:
    [*_, reply] = [c.args for c in slack.calls_to("chat.postMessage") if c.args.get("thread_ts")]
    return str(reply["text"]) + str(reply["blocks"])


def test_in_a_slack_connect_channel_the_reply_lists_no_email_and_points_to_instantly(
    sqlite_db: Database, reporter: Reporter, slack: ChannelsStandIn
) -> None:
    slack.channels["C1"] = SLACK_CONNECT

    _moved(sqlite_db, reporter)

    reply = _reply(slack)
    assert "@acme.com" not in reply
    assert "this channel is shared with another organisation. See them in Instantly, in list" in reply
    assert [c.args["channel"] for c in slack.calls_to("conversations.info")] == ["C1"]


@pytest.mark.parametrize(
    "shared",
    [
        {"is_shared": True},  # shared with another workspace, not within a Grid organisation
        {"shared_team_ids": ["T1", "T0OTHER"]},
        {"is_pending_ext_shared": True},  # an invitation out is on its way
    ],
)
def test_any_sign_of_another_organisation_keeps_the_emails_out(
    sqlite_db: Database, reporter: Reporter, slack: ChannelsStandIn, shared: JSON
) -> None:
    slack.channels["C1"] = shared
    _moved(sqlite_db, reporter)
    assert "@acme.com" not in _reply(slack)


def test_a_channel_of_the_company_alone_or_shared_only_inside_its_grid_org_lists_them(
    sqlite_db: Database, reporter: Reporter, slack: ChannelsStandIn
) -> None:
    _moved(sqlite_db, reporter, n=1)
    assert "Moved: ann@acme.com, bo@acme.com (the first 2 of 40)" in _reply(slack)

    slack.channels["C2"] = {"is_shared": True, "is_org_shared": True, "shared_team_ids": ["T1", "T0SISTER"]}
    _moved(sqlite_db, reporter, n=2, channel="C2")
    assert "ann@acme.com" in _reply(slack)


@pytest.mark.parametrize("error", ["missing_scope", "channel_not_found", "ratelimited", "internal_error"])
def test_when_slack_cannot_say_the_emails_stay_out_and_it_asks_again_next_time(
    sqlite_db: Database, reporter: Reporter, slack: ChannelsStandIn, error: str
) -> None:
    slack.fail("conversations.info", error)

    _moved(sqlite_db, reporter, n=1)

    reply = _reply(slack)
    assert "@acme.com" not in reply
    assert "Slack could not tell me whether this channel is shared with another organisation" in reply
    _moved(sqlite_db, reporter, n=2)
    assert "ann@acme.com" in _reply(slack), "a failure is not remembered"
    assert len(slack.calls_to("conversations.info")) == 2


def test_a_lost_answer_keeps_the_emails_out(sqlite_db: Database, reporter: Reporter, slack: ChannelsStandIn) -> None:
    slack.lose_answer("conversations.info")
    _moved(sqlite_db, reporter)
    assert "@acme.com" not in _reply(slack)


def test_slacks_answer_is_remembered_per_channel_for_a_few_minutes(
    sqlite_db: Database, reporter: Reporter, slack: ChannelsStandIn, clock: Clock
) -> None:
    _moved(sqlite_db, reporter, n=1)
    _moved(sqlite_db, reporter, n=2)
    assert len(slack.calls_to("conversations.info")) == 1, "one question answers both jobs"

    slack.channels["C1"] = SLACK_CONNECT  # the channel is shared with a partner since
    clock.now += FACTS_CACHE_SECONDS
    _moved(sqlite_db, reporter, n=3)

    assert "@acme.com" not in _reply(slack)
    assert len(slack.calls_to("conversations.info")) == 2


def test_a_channel_that_turned_the_sample_off_lists_none_and_slack_is_not_asked(
    sqlite_db: Database, reporter: Reporter, slack: ChannelsStandIn
) -> None:
    off = ChannelSettings(show_sample=False)
    channel_settings.save(sqlite_db, team_id="T1", channel_id="C1", settings=off, set_by="U9")

    _moved(sqlite_db, reporter)

    reply = _reply(slack)
    assert "@acme.com" not in reply
    assert "this channel's settings leave them out" in reply
    assert slack.calls_to("conversations.info") == []


def test_no_email_to_list_or_a_reply_by_dm_asks_slack_nothing(
    sqlite_db: Database, reporter: Reporter, slack: ChannelsStandIn
) -> None:
    _moved(sqlite_db, reporter, n=1, moved_lead_emails=())
    assert "e-mails" not in _reply(slack)

    slack.fail("chat.postMessage", "not_in_channel")  # the announcement, and so the reply, go to the requester
    done = _moved(sqlite_db, reporter, n=2)

    assert done.announcement_channel == "DU1"
    assert "ann@acme.com" in _reply(slack), "the requester's own DM"
    assert slack.calls_to("conversations.info") == []

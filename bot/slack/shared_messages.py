"""The reporter's part for watched jobs found together: they share one announcement, edited once for all of them,
and their endings are told in a few replies in its thread. This is how a flood of jobs (a thousand in five minutes)
stays within Slack's post a second per channel and its 50 edits a minute per workspace.

A shared message carries every job it names in its metadata (bot.slack.lookback.SHARED_IDS_KEY), so after a crash
one look in Slack settles them all.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.slack.blocks import shared_messages as blocks
from bot.slack.blocks.messages import METADATA_EVENT_ANNOUNCEMENT, METADATA_EVENT_FINAL, Blocks
from bot.slack.blocks.thread_messages import succeeded
from bot.slack.errors import slack_error
from bot.slack.lookback import SHARED_IDS_KEY, Found, Lookback, SlackFor
from bot.slack.outcomes import RECORDED, UNREACHABLE_CHANNEL, Delivery
from storage import channel_settings, outbox, shared_messages
from storage.db import Database
from storage.models import NotificationKind, NotificationState
from storage.outbox import Notification
from storage.records import JobRecord

log = logging.getLogger(__name__)

UNREACHABLE_NOTE = (
    "I could not post in <#{channel}> ({reason}), so I report these jobs here. Invite me with `/invite @leadmover` "
    "to get updates in the channel next time."
)
REANCHOR_NOTE = ":information_source: I could not update the earlier message for these jobs, so here is their state."


def _same_attempt(lead: Notification, other: Notification) -> bool:
    """Whether `other` may go in the lead's message: never sent, like the lead, or sent in the lead's own attempt
    (so that a look for the lead's message finds it too)."""
    if lead.state == NotificationState.PENDING:
        return other.state == NotificationState.PENDING
    return (
        other.state == NotificationState.SENDING
        and other.attempted_at == lead.attempted_at
        and (other.sent_to or other.channel_id) == (lead.sent_to or lead.channel_id)
    )


class SharedMessages:
    def __init__(self, *, slack: SlackFor, db: Database, lookback: Lookback) -> None:
        self._slack = slack
        self._db = db
        self._lookback = lookback

    # --- which writes go together -------------------------------------------------------------------------

    def companions(self, lead: Notification, candidates: Sequence[Notification]) -> list[Notification]:
        """The writes of `candidates` that go in the lead's message: announcements of watched jobs in its channel
        not yet announced, or replies of jobs in its shared message that ended."""
        if not lead.groupable or lead.kind not in (NotificationKind.ANNOUNCE, NotificationKind.FINAL):
            return []
        alike = [
            other
            for other in candidates
            if other.id != lead.id
            and other.groupable
            and other.kind == lead.kind
            and other.channel_id == lead.channel_id
            and _same_attempt(lead, other)
        ]
        if not alike:
            return []
        jobs = shared_messages.records(self._db, job_ids=[lead.job_id, *(other.job_id for other in alike)])
        first = jobs.get(lead.job_id)
        if first is None:
            return []
        if lead.kind == NotificationKind.ANNOUNCE:
            if not self._announced_apart(first) or self._settings(first).only_failures:
                return []
            goes = [other for other in alike if other.job_id in jobs and self._announced_apart(jobs[other.job_id])]
            if len(goes) + 1 < shared_messages.SHARED_FROM:
                return []
        else:
            if first.announcement_ts is None or first.final_reply_ts is not None:
                return []
            goes = [other for other in alike if other.job_id in jobs and self._replied_with(first, jobs[other.job_id])]
        return goes[: shared_messages.MAX_JOBS - 1]

    @staticmethod
    def _announced_apart(record: JobRecord) -> bool:
        """A watched job not announced yet, told at the top of its channel (not in another job's thread)."""
        return (
            record.via == "watch"
            and record.announcement_ts is None
            and not record.announcement_held
            and record.thread_ts is None
        )

    @staticmethod
    def _replied_with(first: JobRecord, other: JobRecord) -> bool:
        return (
            other.final_reply_ts is None
            and other.announcement_ts == first.announcement_ts
            and other.announcement_channel == first.announcement_channel
        )

    def shares(self, record: JobRecord) -> list[JobRecord]:
        """The jobs whose announcement is `record`'s, itself included; [record] when it has one of its own."""
        return shared_messages.sharing(self._db, record=record)

    # --- the announcement ------------------------------------------------------------------------------------

    def announce(self, lead: JobRecord, notification: Notification, companions: Sequence[Notification]) -> Delivery:
        """Post one message for the lead and its companions, or find the one an earlier attempt posted."""
        sent = [notification.id, *(other.id for other in companions)]
        found = self._posted_before(notification, lead, thread_ts=None, event=METADATA_EVENT_ANNOUNCEMENT)
        if found is not None:
            shared_messages.record_announcement(
                self._db, team_id=lead.team_id, job_ids=found.job_ids, channel_id=found.channel, ts=found.ts, sent=sent
            )
            return RECORDED
        jobs = shared_messages.records(self._db, job_ids=[lead.id, *(other.job_id for other in companions)])
        records = [jobs[job_id] for job_id in sorted(jobs)]
        along = [other.id for other in companions]
        outbox.mark_sending(self._db, notification_id=notification.id, sent_to=lead.channel_id, along=along)
        text, shown = blocks.announcement(records)
        metadata = self.metadata(METADATA_EVENT_ANNOUNCEMENT, records)
        slack = self._slack(lead.team_id)
        try:
            answer = slack.chat_postMessage(
                channel=lead.channel_id, text=text, blocks=shown, metadata=metadata, unfurl_links=False
            )
        except SlackApiError as exc:
            code = slack_error(exc)
            if code not in UNREACHABLE_CHANNEL:
                raise
            log.info("jobs %s: cannot post in %s (%s); announcing by DM", sorted(jobs), lead.channel_id, code)
            outbox.mark_sent_elsewhere(self._db, notification_id=notification.id, sent_to=lead.user_id, along=along)
            note = UNREACHABLE_NOTE.format(channel=lead.channel_id, reason=code.replace("_", " "))
            text, shown = blocks.announcement(records, note=note)
            answer = slack.chat_postMessage(
                channel=lead.user_id, text=text, blocks=shown, metadata=metadata, unfurl_links=False
            )
        shared_messages.record_announcement(
            self._db,
            team_id=lead.team_id,
            job_ids=list(jobs),
            channel_id=str(answer["channel"]),
            ts=str(answer["ts"]),
            sent=sent,
        )
        return RECORDED

    # --- progress --------------------------------------------------------------------------------------------

    def take_over_edits(self, record: JobRecord, sharing: Sequence[JobRecord]) -> tuple[frozenset[int], str, Blocks]:
        """The edit of the shared message, once for every job in it: the other jobs' waiting edits are covered by
        this one (their ids), which renders them as they are after it took them over (text and blocks)."""
        covered = shared_messages.cover_edits(self._db, job_ids=[job.id for job in sharing if job.id != record.id])
        text, shown = blocks.announcement(self.shares(record))
        return frozenset(covered), text, shown

    def reanchor(self, record: JobRecord) -> None:
        """The shared message is gone (deleted, or too old to edit): say so and carry on, for all, in a fresh one."""
        assert record.announcement_channel is not None
        records = self.shares(record)
        text, shown = blocks.announcement(records, note=REANCHOR_NOTE)
        log.info("jobs %s: shared announcement not found; posting a fresh one", [job.id for job in records])
        answer = self._slack(record.team_id).chat_postMessage(
            channel=record.announcement_channel,
            text=text,
            blocks=shown,
            metadata=self.metadata(METADATA_EVENT_ANNOUNCEMENT, records),
            unfurl_links=False,
        )
        shared_messages.move_announcement(
            self._db, records=records, channel_id=str(answer["channel"]), ts=str(answer["ts"])
        )

    # --- the replies -----------------------------------------------------------------------------------------

    def reply(self, lead: JobRecord, notification: Notification, companions: Sequence[Notification]) -> Delivery:
        """One reply in the shared message's thread for the lead and the companions that ended with it."""
        sent = [notification.id, *(other.id for other in companions)]
        thread = lead.reply_thread
        found = self._posted_before(notification, lead, thread_ts=thread, event=METADATA_EVENT_FINAL)
        if found is not None:
            shared_messages.record_final_reply(
                self._db, team_id=lead.team_id, job_ids=found.job_ids, ts=found.ts, sent=sent
            )
            return RECORDED
        jobs = shared_messages.records(self._db, job_ids=[lead.id, *(other.job_id for other in companions)])
        records = [jobs[job_id] for job_id in sorted(jobs)]
        settings = self._settings(lead)
        channel = lead.announcement_channel or lead.user_id
        text, shown = blocks.final_reply(records, settings=settings)
        broadcast = (
            settings.broadcast_failures
            and any(not succeeded(record) for record in records)
            and lead.announcement_channel == lead.channel_id
        )
        along = [other.id for other in companions]
        outbox.mark_sending(self._db, notification_id=notification.id, sent_to=channel, along=along)
        answer = self._slack(lead.team_id).chat_postMessage(
            channel=channel,
            thread_ts=thread,
            reply_broadcast=broadcast,
            text=text,
            blocks=shown,
            metadata=self.metadata(METADATA_EVENT_FINAL, records),
        )
        shared_messages.record_final_reply(
            self._db, team_id=lead.team_id, job_ids=list(jobs), ts=str(answer["ts"]), sent=sent
        )
        return RECORDED

    # --- helpers ---------------------------------------------------------------------------------------------

    def _posted_before(
        self, notification: Notification, record: JobRecord, *, thread_ts: str | None, event: str
    ) -> Found | None:
        return self._lookback.posted_before(
            notification, team_id=record.team_id, job_id=record.id, thread_ts=thread_ts, event=event
        )

    def _settings(self, record: JobRecord) -> channel_settings.ChannelSettings:
        return channel_settings.get(self._db, team_id=record.team_id, channel_id=record.channel_id)

    @staticmethod
    def metadata(event_type: str, records: Sequence[JobRecord]) -> dict[str, Any]:
        """Every job the message names, so that one look after a crash finds it for all of them."""
        first = records[0]
        return {
            "event_type": event_type,
            "event_payload": {
                "job_id": first.id,
                "instantly_job_id": first.instantly_job_id or "",
                SHARED_IDS_KEY: ",".join(str(record.id) for record in records),
            },
        }

"""Turns one outbox row into Slack calls: the announcement, a progress edit, the final reply or a note.

Every post that may have reached Slack before a crash is looked for first (bot.slack.lookback: message metadata carries
the job), so nothing is posted twice. Slack's errors never escape; each becomes a Delivery the writer acts on.

Each channel's settings (storage.channel_settings) are read when writing. In a channel that hears only of failures
the announcement is held back (marked sent with no Slack call); a success then ends with nothing posted, and
anything else posts the announcement and then the reply under it, in the one delivery of the final reply.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Final

from slack_sdk.errors import SlackApiError

from bot.slack.blocks import approval_messages, messages, thread_messages
from bot.slack.errors import REVOKED, slack_error
from bot.slack.lookback import HISTORY_SPACING_SECONDS, Found, Lookback, SlackFor
from bot.slack.outcomes import RECORDED, SENT, UNREACHABLE_CHANNEL, Delivery
from bot.slack.shared_messages import SharedMessages
from bot.workspaces import NotInstalled
from storage import approvals, channel_settings, jobs, outbox
from storage.db import Database
from storage.models import ApprovalState, NotificationKind, NotificationState
from storage.outbox import Notification
from storage.records import JobRecord

log = logging.getLogger(__name__)

_APPROVAL_KINDS: Final = frozenset(
    {NotificationKind.APPROVAL, NotificationKind.APPROVAL_EDIT, NotificationKind.APPROVAL_REPLY}
)


class Reporter:
    def __init__(
        self,
        *,
        slack: SlackFor,
        db: Database,
        history_spacing: float = HISTORY_SPACING_SECONDS,
    ) -> None:
        self._slack = slack
        self._db = db
        self._lookback = Lookback(slack=slack, spacing=history_spacing)
        self._shared = SharedMessages(slack=slack, db=db, lookback=self._lookback)

    # --- the outbox ------------------------------------------------------------------------------------------

    def companions(self, notification: Notification, candidates: Sequence[Notification]) -> list[Notification]:
        """The writes of `candidates` that go in one message with `notification` (bot.slack.shared_messages)."""
        return self._shared.companions(notification, candidates)

    def deliver(self, notification: Notification, companions: Sequence[Notification] = ()) -> Delivery:
        """Send one outbox row, with the `companions` that share its message, and record the outcome on the jobs.
        SlackApiError escapes for the writer, and so does LookLater: like a rate limit, it says "not yet" to a row
        that may already be in Slack. Whatever comes of the row comes of its companions too."""
        record = jobs.get(self._db, job_id=notification.job_id)
        if record is None:
            return SENT  # the job was deleted: nothing left to say
        if notification.kind == NotificationKind.ANNOUNCE:
            if companions:
                return self._shared.announce(record, notification, companions)
            return self._announce(record, notification)
        if notification.kind == NotificationKind.FINAL:
            if companions or (record.final_reply_ts is None and len(self._shared.shares(record)) > 1):
                return self._shared.reply(record, notification, companions)
            return self._final(record, notification)
        if notification.kind == NotificationKind.PROGRESS:
            return self._edit(record)
        if notification.kind in _APPROVAL_KINDS:
            return self._approval(record, notification)
        return self._note(record)

    def _announce(self, record: JobRecord, notification: Notification) -> Delivery:
        if record.announcement_ts is not None or record.announcement_held:
            return SENT
        found = self._announced_before(record, notification)
        if found is not None:
            jobs.record_announcement(self._db, job_id=record.id, channel_id=found[0], ts=found[1], sent=notification.id)
            return RECORDED
        settings = self._settings(record)
        ended_badly = record.finished_at is not None and not thread_messages.succeeded(record)
        if settings.only_failures and not ended_badly:
            # Nothing goes to Slack, so nothing can be posted twice: the writer marks the row sent. The job
            # remembers it was held, and its final delivery decides whether the channel hears of it at all.
            jobs.hold_announcement(self._db, job_id=record.id)
            return SENT
        self._post_announcement(record, notification)
        return RECORDED

    def _post_announcement(self, record: JobRecord, notification: Notification) -> None:
        """Post the anchor in the job's channel (in the thread it is told in, if any; by DM if the channel refuses it)
        and record where it went."""
        text, blocks = messages.announcement(record)
        metadata = self._metadata(messages.METADATA_EVENT_ANNOUNCEMENT, record)
        slack = self._slack(record.team_id)
        self._sending(notification, sent_to=record.channel_id)
        try:
            answer = slack.chat_postMessage(
                channel=record.channel_id,
                thread_ts=record.thread_ts,
                text=text,
                blocks=blocks,
                metadata=metadata,
                unfurl_links=False,
            )
        except SlackApiError as exc:
            code = slack_error(exc)
            if code not in UNREACHABLE_CHANNEL:
                raise
            log.info("job %s: cannot post in %s (%s); announcing by DM", record.id, record.channel_id, code)
            text, blocks = messages.announcement(record, unreachable_reason=code)
            outbox.mark_sent_elsewhere(self._db, notification_id=notification.id, sent_to=record.user_id)
            answer = slack.chat_postMessage(
                channel=record.user_id, text=text, blocks=blocks, metadata=metadata, unfurl_links=False
            )
        channel, ts = str(answer["channel"]), str(answer["ts"])
        jobs.record_announcement(self._db, job_id=record.id, channel_id=channel, ts=ts, sent=notification.id)

    def _edit(self, record: JobRecord) -> Delivery:
        """Edit the job's announcement; one that watched jobs share is edited for all of them at once."""
        if record.announcement_ts is None or record.announcement_channel is None:
            return SENT  # no anchor to edit (its announcement failed for good); the final reply stands alone
        sharing = self._shared.shares(record)
        covered: frozenset[int] = frozenset()
        if len(sharing) > 1:
            covered, text, blocks = self._shared.take_over_edits(record, sharing)
        else:
            text, blocks = messages.announcement(record)
        try:
            self._slack(record.team_id).chat_update(
                channel=record.announcement_channel, ts=record.announcement_ts, text=text, blocks=blocks
            )
        except SlackApiError as exc:
            if slack_error(exc) != "message_not_found":
                raise
            if len(sharing) > 1:
                self._shared.reanchor(record)
            else:
                self._reanchor(record)
            return Delivery(sent=True, covered=covered) if covered else SENT
        latest = jobs.get(self._db, job_id=record.id)
        if len(sharing) <= 1 and latest is not None and _shown(latest) != _shown(record):
            jobs.edit_again(self._db, job_id=record.id)  # it moved on while this edit was on its way
        return Delivery(sent=True, covered=covered) if covered else SENT

    def _reanchor(self, record: JobRecord) -> None:
        """The announcement is gone (deleted, or too old to edit): say so and carry on in a fresh message."""
        assert record.announcement_channel is not None
        text, blocks = messages.announcement(record)
        note = ":information_source: I could not update the earlier message for this job, so here is its state."
        log.info("job %s: announcement %s not found; posting a fresh one", record.id, record.announcement_ts)
        answer = self._slack(record.team_id).chat_postMessage(
            channel=record.announcement_channel,
            thread_ts=record.thread_ts if record.announcement_channel == record.channel_id else None,
            text=f"{note}\n{text}",
            blocks=[messages.context(note), *blocks],
            metadata=self._metadata(messages.METADATA_EVENT_ANNOUNCEMENT, record),
        )
        jobs.record_announcement(self._db, job_id=record.id, channel_id=str(answer["channel"]), ts=str(answer["ts"]))

    def _final(self, record: JobRecord, notification: Notification) -> Delivery:
        if record.final_reply_ts is not None:
            return SENT
        settings = self._settings(record)
        if record.announcement_held and record.announcement_ts is None:
            if thread_messages.succeeded(record):
                jobs.end_quietly(self._db, job_id=record.id)  # the channel asked to hear of failures only
                return SENT
            record, notification = self._anchor_at_last(record, notification)
        # Without an announcement (Slack refused it for good) the reply stands alone, by DM. The anchor's own
        # final edit is queued with the reply (storage.jobs.record_final_reply) and paced like any edit: Slack
        # allows far fewer edits than posts, and the reply must not wait for one.
        channel = record.announcement_channel or record.user_id
        found = self._posted_before(
            notification, record, thread_ts=record.reply_thread, event=messages.METADATA_EVENT_FINAL
        )
        if found is not None:
            jobs.record_final_reply(self._db, job_id=record.id, ts=found[1], sent=notification.id)
            return RECORDED
        text, blocks = thread_messages.final_reply(record, settings=settings)
        # A failure is shown in the channel too, not only in the thread; a DM has no channel to show it in.
        broadcast = (
            settings.broadcast_failures
            and not thread_messages.succeeded(record)
            and record.announcement_ts is not None
            and record.announcement_channel == record.channel_id
        )
        slack = self._slack(record.team_id)
        self._sending(notification, sent_to=channel)
        answer = slack.chat_postMessage(
            channel=channel,
            thread_ts=record.reply_thread,
            reply_broadcast=broadcast,
            text=text,
            blocks=blocks,
            metadata=self._metadata(messages.METADATA_EVENT_FINAL, record),
        )
        jobs.record_final_reply(self._db, job_id=record.id, ts=str(answer["ts"]), sent=notification.id)
        return RECORDED

    def _anchor_at_last(self, record: JobRecord, notification: Notification) -> tuple[JobRecord, Notification]:
        """A held-back job that did not succeed: its announcement goes out now, so the reply has a thread.

        An earlier attempt of this row may have posted the announcement (its metadata says so) but cannot have
        posted the reply: the reply follows only once the announcement is recorded. So the reply is then treated
        as never attempted, and no second history read is spent on it.
        """
        found = self._announced_before(record, notification)
        if found is not None:
            jobs.record_announcement(self._db, job_id=record.id, channel_id=found[0], ts=found[1])
        else:
            self._post_announcement(record, notification)
        anchored = jobs.get(self._db, job_id=record.id)
        assert anchored is not None, "the job was read a moment ago and jobs are not deleted while reported"
        return anchored, replace(notification, state=NotificationState.PENDING, attempted_at=None)

    def _note(self, record: JobRecord) -> Delivery:
        text, blocks = messages.start_failed(record, record.error or "Instantly did not start it.")
        self.tell_requester(record, text, blocks)
        return SENT

    # --- requests for approval ---------------------------------------------------------------------------------

    def _approval(self, record: JobRecord, notification: Notification) -> Delivery:
        approval = approvals.get(self._db, job_id=record.id)
        if approval is None:
            return SENT
        slack = self._slack(record.team_id)
        if notification.kind == NotificationKind.APPROVAL_EDIT:
            if approval.message_ts is None:
                return SENT  # the request never made it out; the reply in its place says what happened
            text, blocks = approval_messages.decided(record, approval)
            slack.chat_update(channel=approval.channel_id, ts=approval.message_ts, text=text, blocks=blocks)
            return SENT
        if notification.kind == NotificationKind.APPROVAL and approval.message_ts is not None:
            return SENT
        event = (
            approval_messages.METADATA_EVENT_REQUEST
            if notification.kind == NotificationKind.APPROVAL
            else approval_messages.METADATA_EVENT_REPLY
        )
        thread_ts = approval.message_ts if notification.kind == NotificationKind.APPROVAL_REPLY else None
        found = self._posted_before(notification, record, thread_ts=thread_ts, event=event)
        if found is None:
            if notification.kind == NotificationKind.APPROVAL_REPLY:
                text, blocks = approval_messages.not_approved_reply(record, approval)
            elif approval.state == ApprovalState.PENDING:
                text, blocks = approval_messages.request(record, approval)
            else:  # decided before its request went out: no buttons to press
                text, blocks = approval_messages.decided(record, approval)
            self._sending(notification, sent_to=approval.channel_id)
            answer = slack.chat_postMessage(
                channel=approval.channel_id,
                thread_ts=thread_ts,
                text=text,
                blocks=blocks,
                metadata=self._metadata(event, record),
                unfurl_links=False,
            )
            found = Found(str(answer["channel"]), str(answer["ts"]), (record.id,))
        if notification.kind == NotificationKind.APPROVAL:
            approvals.record_message(self._db, job_id=record.id, ts=found[1])
        return SENT

    # --- looking before posting again ----------------------------------------------------------------------

    def _sending(self, notification: Notification, *, sent_to: str) -> None:
        outbox.mark_sending(self._db, notification_id=notification.id, sent_to=sent_to)

    def _posted_before(
        self, notification: Notification, record: JobRecord, *, thread_ts: str | None, event: str
    ) -> Found | None:
        return self._lookback.posted_before(
            notification, team_id=record.team_id, job_id=record.id, thread_ts=thread_ts, event=event
        )

    def _announced_before(self, record: JobRecord, notification: Notification) -> Found | None:
        """The announcement an earlier attempt got out: in the thread the job is told in, unless it went by DM."""
        by_dm = (notification.sent_to or notification.channel_id) != record.channel_id
        thread_ts = None if by_dm else record.thread_ts
        return self._posted_before(
            notification, record, thread_ts=thread_ts, event=messages.METADATA_EVENT_ANNOUNCEMENT
        )

    def _settings(self, record: JobRecord) -> channel_settings.ChannelSettings:
        return channel_settings.get(self._db, team_id=record.team_id, channel_id=record.channel_id)

    # --- direct writes -------------------------------------------------------------------------------------

    def tell_requester(self, record: JobRecord, text: str, blocks: messages.Blocks) -> None:
        """A note only the requester sees: ephemeral in the channel, or a DM if that is impossible."""
        slack = self._slack(record.team_id)
        try:
            slack.chat_postEphemeral(channel=record.channel_id, user=record.user_id, text=text, blocks=blocks)
        except SlackApiError as exc:
            if slack_error(exc) in REVOKED or slack_error(exc) == "ratelimited":
                raise
            log.info("job %s: ephemeral failed (%s); sending a DM", record.id, slack_error(exc))
            slack.chat_postMessage(channel=record.user_id, text=text, blocks=blocks)

    def update_view(self, *, team_id: str, view_id: str, view: dict[str, Any], not_before: float | None = None) -> None:
        """Replace a modal the person may still be looking at; one they already closed is fine to miss.

        `not_before` (time.monotonic()) holds the update back, e.g. until Slack has shown the previous view.
        """
        if not_before is not None:
            time.sleep(max(0.0, not_before - time.monotonic()))
        try:
            self._slack(team_id).views_update(view_id=view_id, view=view)
        except (SlackApiError, NotInstalled) as exc:
            log.info(
                "could not update view %s: %s", view_id, slack_error(exc) if isinstance(exc, SlackApiError) else exc
            )

    @staticmethod
    def _metadata(event_type: str, record: JobRecord) -> dict[str, Any]:
        # Carrying the job in message metadata lets a restarted process recognise a message it already posted.
        return {
            "event_type": event_type,
            "event_payload": {"job_id": record.id, "instantly_job_id": record.instantly_job_id or ""},
        }


def _shown(record: JobRecord) -> tuple[object, ...]:
    """What of a job its announcement shows that changes as it runs."""
    return (record.phase, record.status, record.progress, record.moved_leads, record.error, record.job_counts)

"""Every Slack write leadmover makes: announcements, progress edits, final replies and notes to one person.

Slack errors never escape: a message that cannot go where it should goes to the requester by DM, with why.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import messages
from storage import jobs
from storage.db import Database
from storage.jobs import JobRecord

log = logging.getLogger(__name__)

# Errors that mean the bot cannot write in that channel, so the requester hears it by DM instead.
_UNREACHABLE_CHANNEL: Final = frozenset({"not_in_channel", "channel_not_found", "is_archived", "restricted_action"})


def _error_code(exc: SlackApiError) -> str:
    data: Any = getattr(exc.response, "data", None)
    return str(data.get("error", "unknown_error")) if isinstance(data, dict) else "unknown_error"


class Reporter:
    def __init__(self, *, slack: WebClient, db: Database) -> None:
        self._slack = slack
        self._db = db

    def announce(self, record: JobRecord) -> JobRecord:
        """Post the job's anchor message and keep its ts; falls back to a DM if the channel is closed to us."""
        text, blocks = messages.announcement(record)
        metadata = self._metadata(messages.METADATA_EVENT_ANNOUNCEMENT, record)
        try:
            answer = self._slack.chat_postMessage(
                channel=record.channel_id, text=text, blocks=blocks, metadata=metadata, unfurl_links=False
            )
        except SlackApiError as exc:
            code = _error_code(exc)
            if code not in _UNREACHABLE_CHANNEL:
                raise
            log.info("job %s: cannot post in %s (%s); announcing by DM", record.id, record.channel_id, code)
            text, blocks = messages.announcement(record, unreachable_reason=code)
            answer = self._slack.chat_postMessage(channel=record.user_id, text=text, blocks=blocks, metadata=metadata)
        return jobs.record_announcement(self._db, job_id=record.id, channel_id=str(answer["channel"]), ts=answer["ts"])

    def show_progress(self, record: JobRecord) -> None:
        if record.announcement_ts is None or record.announcement_channel is None:
            return
        text, blocks = messages.announcement(record)
        self._slack.chat_update(
            channel=record.announcement_channel, ts=record.announcement_ts, text=text, blocks=blocks
        )

    def post_final_reply(self, record: JobRecord) -> JobRecord:
        """Post the single final reply in the job's thread and mark the job done."""
        text, blocks = messages.final_reply(record)
        channel = record.announcement_channel or record.user_id
        answer = self._slack.chat_postMessage(
            channel=channel,
            thread_ts=record.announcement_ts,
            text=text,
            blocks=blocks,
            metadata=self._metadata(messages.METADATA_EVENT_FINAL, record),
        )
        return jobs.record_final_reply(self._db, job_id=record.id, ts=answer["ts"])

    def tell_requester(self, record: JobRecord, text: str, blocks: messages.Blocks) -> None:
        """A note only the requester sees: ephemeral in the channel, or a DM if that is impossible."""
        try:
            self._slack.chat_postEphemeral(channel=record.channel_id, user=record.user_id, text=text, blocks=blocks)
        except SlackApiError as exc:
            log.info("job %s: ephemeral failed (%s); sending a DM", record.id, _error_code(exc))
            self._slack.chat_postMessage(channel=record.user_id, text=text, blocks=blocks)

    def update_view(self, *, view_id: str, view: dict[str, Any]) -> None:
        """Replace a modal the person may still be looking at; one they already closed is fine to miss."""
        try:
            self._slack.views_update(view_id=view_id, view=view)
        except SlackApiError as exc:
            log.info("could not update view %s: %s", view_id, _error_code(exc))

    @staticmethod
    def _metadata(event_type: str, record: JobRecord) -> dict[str, Any]:
        # Carrying the job in message metadata lets a restarted process recognise a message it already posted.
        return {
            "event_type": event_type,
            "event_payload": {"job_id": record.id, "instantly_job_id": record.instantly_job_id or ""},
        }

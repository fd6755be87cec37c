"""How leadmover speaks in a channel (storage.channel_settings): read for the move modal and the settings modal,
changed by anyone who may move leads there, and every change written to the audit log."""

from __future__ import annotations

from storage import audit, channel_settings
from storage.channel_settings import ChannelSettings
from storage.db import Database


class ChannelSettingsService:
    def __init__(self, *, db: Database) -> None:
        self._db = db

    def of(self, *, team_id: str, channel_id: str) -> ChannelSettings:
        return channel_settings.get(self._db, team_id=team_id, channel_id=channel_id)

    def change(self, *, team_id: str, channel_id: str, user_id: str, settings: ChannelSettings) -> ChannelSettings:
        """Save the channel's settings; the caller has checked that this person may move leads here."""
        saved = channel_settings.save(
            self._db, team_id=team_id, channel_id=channel_id, settings=settings, set_by=user_id
        )
        audit.record(
            self._db,
            team_id=team_id,
            user_id=user_id,
            action="channel_settings",
            outcome="saved",
            detail={
                "channel_id": channel_id,
                "announce": saved.announce.value,
                "broadcast_failures": saved.broadcast_failures,
                "mention_on_success": saved.mention_on_success,
                "default_mode": saved.default_mode.value,
                "show_sample": saved.show_sample,
                "mention_watchers": saved.mention_watchers,
            },
        )
        return saved

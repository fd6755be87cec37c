"""How leadmover speaks in each channel: announce every job or only failures, broadcast failures, mention the
requester on success, list a few moved e-mails in the final reply, and the mode the move modal starts with. One row
per (team, channel), set with `/leads settings`; a channel without one gets DEFAULT."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from storage.clock import utcnow
from storage.db import Database, upsert_into
from storage.models import AnnounceMode, ChannelSettingsRow
from storage.orders import MoveMode


@dataclass(frozen=True)
class ChannelSettings:
    announce: AnnounceMode = AnnounceMode.EVERY_JOB
    broadcast_failures: bool = True
    mention_on_success: bool = False
    default_mode: MoveMode = MoveMode.MOVE
    # A few moved e-mails in the final reply; never shown where the channel is shared with another organisation.
    show_sample: bool = True
    # A watched job (/leads watch) that fails mentions whoever set the channel's watch.
    mention_watchers: bool = False
    # Who last changed them, and when; None for a channel still on the defaults.
    set_by: str | None = None
    set_at: datetime | None = None

    @property
    def only_failures(self) -> bool:
        return self.announce == AnnounceMode.FAILURES


DEFAULT: Final = ChannelSettings()


def get(db: Database, *, team_id: str, channel_id: str) -> ChannelSettings:
    with db.reading() as session:
        row = session.get(ChannelSettingsRow, (team_id, channel_id))
        if row is None:
            return DEFAULT
        return ChannelSettings(
            announce=AnnounceMode(row.announce),
            broadcast_failures=row.broadcast_failures,
            mention_on_success=row.mention_on_success,
            default_mode=MoveMode(row.default_mode),
            show_sample=row.show_sample,
            mention_watchers=row.mention_watchers,
            set_by=row.set_by,
            set_at=row.set_at,
        )


def save(db: Database, *, team_id: str, channel_id: str, settings: ChannelSettings, set_by: str) -> ChannelSettings:
    """Replace the channel's settings (whoever saves last wins; the form shows what it replaces)."""
    values = {
        "announce": settings.announce.value,
        "broadcast_failures": settings.broadcast_failures,
        "mention_on_success": settings.mention_on_success,
        "default_mode": settings.default_mode.value,
        "show_sample": settings.show_sample,
        "mention_watchers": settings.mention_watchers,
        "set_by": set_by,
        "set_at": utcnow(),
    }
    with db.session() as session:
        statement = upsert_into(session, ChannelSettingsRow).values(team_id=team_id, channel_id=channel_id, **values)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[ChannelSettingsRow.team_id, ChannelSettingsRow.channel_id], set_=values
            )
        )
    return get(db, team_id=team_id, channel_id=channel_id)

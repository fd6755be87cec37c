"""Per-channel settings on both backends: the defaults, saving and replacing, and one channel never another's."""

from __future__ import annotations

from storage import channel_settings
from storage.channel_settings import DEFAULT, ChannelSettings
from storage.db import Database
from storage.models import AnnounceMode
from storage.orders import MoveMode

QUIET = ChannelSettings(
    announce=AnnounceMode.FAILURES, broadcast_failures=False, mention_on_success=True, default_mode=MoveMode.COPY
)


def test_a_channel_never_set_gets_the_defaults(db: Database) -> None:
    got = channel_settings.get(db, team_id="T1", channel_id="C1")
    assert got == DEFAULT
    assert (got.announce, got.broadcast_failures, got.mention_on_success, got.default_mode) == (
        AnnounceMode.EVERY_JOB,
        True,
        False,
        MoveMode.MOVE,
    )
    assert not got.only_failures


def test_saved_settings_are_read_back_with_who_set_them(db: Database) -> None:
    saved = channel_settings.save(db, team_id="T1", channel_id="C1", settings=QUIET, set_by="U1")

    assert (saved.announce, saved.broadcast_failures, saved.mention_on_success, saved.default_mode) == (
        AnnounceMode.FAILURES,
        False,
        True,
        MoveMode.COPY,
    )
    assert saved.only_failures
    assert saved.set_by == "U1"
    assert saved.set_at is not None
    assert channel_settings.get(db, team_id="T1", channel_id="C1") == saved


def test_saving_again_replaces_and_touches_no_other_channel_or_workspace(db: Database) -> None:
    channel_settings.save(db, team_id="T1", channel_id="C1", settings=QUIET, set_by="U1")
    again = channel_settings.save(db, team_id="T1", channel_id="C1", settings=DEFAULT, set_by="U2")

    assert (again.announce, again.default_mode, again.set_by) == (AnnounceMode.EVERY_JOB, MoveMode.MOVE, "U2")
    channel_settings.save(db, team_id="T1", channel_id="C2", settings=QUIET, set_by="U1")
    assert channel_settings.get(db, team_id="T2", channel_id="C2") == DEFAULT
    assert channel_settings.get(db, team_id="T1", channel_id="C1").announce == AnnounceMode.EVERY_JOB

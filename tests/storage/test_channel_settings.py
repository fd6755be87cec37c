"""Per-channel settings on both backends: the defaults, saving and replacing, one channel never another's, and the
sample of moved e-mails: on by default, off once saved so, and on for every channel set before it could be chosen."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
import sqlalchemy as sa
from alembic import command

from storage import channel_settings, migrate
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
    assert got.show_sample, "a few moved e-mails are listed unless the channel says otherwise"


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


def test_the_sample_turned_off_is_read_back_off_and_on_again(db: Database) -> None:
    off = channel_settings.save(
        db, team_id="T1", channel_id="C1", settings=ChannelSettings(show_sample=False), set_by="U1"
    )
    assert off.show_sample is False
    assert channel_settings.get(db, team_id="T1", channel_id="C1").show_sample is False
    assert channel_settings.get(db, team_id="T1", channel_id="C2").show_sample is True, "only that channel"

    on = channel_settings.save(db, team_id="T1", channel_id="C1", settings=DEFAULT, set_by="U2")
    assert on.show_sample is True


@pytest.fixture
def bare(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


def _alembic(db: Database, verb: str, revision: str) -> None:
    config = migrate.alembic_config()
    with db.engine.connect() as connection:
        config.attributes["connection"] = connection
        getattr(command, verb)(config, revision)


def test_a_channel_set_before_0014_keeps_showing_the_sample_and_0014_goes_back_cleanly(bare: Database) -> None:
    _alembic(bare, "upgrade", "0013")
    columns = ("team_id", "channel_id", "announce", "broadcast_failures", "mention_on_success", "default_mode")
    before = sa.table("channel_settings", *(sa.column(name) for name in (*columns, "set_by", "set_at")))
    with bare.engine.begin() as connection:
        connection.execute(
            before.insert().values(
                team_id="T1",
                channel_id="C1",
                announce="failures",
                broadcast_failures=False,
                mention_on_success=True,
                default_mode="copy",
                set_by="U1",
                set_at=datetime(2026, 1, 2),
            )
        )

    migrate.upgrade(bare)

    kept = channel_settings.get(bare, team_id="T1", channel_id="C1")
    assert (kept.only_failures, kept.default_mode, kept.show_sample) == (True, MoveMode.COPY, True)
    _alembic(bare, "downgrade", "0013")
    with bare.engine.connect() as connection:
        assert "show_sample" not in {c["name"] for c in sa.inspect(connection).get_columns("channel_settings")}
        assert connection.execute(sa.text("SELECT count(*) FROM channel_settings")).scalar() == 1

"""LEADMOVER_LOOKBACK=false: no *:history scope is asked for or used; a post a crash left unknown is posted again
rather than looked for. The manifest's comments and the docs say what each scope is for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.bolt_app import BOT_SCOPES, HISTORY_SCOPES, bot_scopes
from bot.settings import Settings
from storage import outbox, outbox_claims
from storage.db import Database
from tests.factories import a_services, a_settings, running_job
from tests.stand_ins import SlackStandIn, instantly_client, instantly_error

ROOT = Path(__file__).resolve().parents[2]


def _after_a_crash_mid_post(db: Database, *, lookback: bool, slack: SlackStandIn) -> SlackStandIn:
    services = a_services(
        db,
        slack=slack,
        instantly=instantly_client(lambda _request: instantly_error(503), max_attempts=1),
        settings=a_settings(db, leadmover_lookback=lookback),
    )
    try:
        running_job(db, "a" * 24, team="T1", channel="C1")
        [row] = outbox_claims.claim_due(db, owner="the-crashed-one", lease_seconds=0)
        outbox.mark_sending(db, notification_id=row.id, sent_to="C1")  # then the process died: maybe sent
        outbox.release_leases(db, owner="the-crashed-one")
        assert services.writer.drain() == 1
    finally:
        services.close(grace=1.0)
    return slack


@pytest.mark.parametrize("lookback", [True, False])
def test_without_lookback_a_maybe_sent_post_goes_again_without_reading_history(
    sqlite_db: Database, lookback: bool
) -> None:
    slack = _after_a_crash_mid_post(sqlite_db, lookback=lookback, slack=SlackStandIn(team_id="T1"))
    history = slack.calls_to("conversations.history") + slack.calls_to("conversations.replies")
    assert bool(history) is lookback
    assert len(slack.posted["C1"]) == 1


def test_without_lookback_an_install_asks_for_no_history_scope() -> None:
    on = bot_scopes(a_settings_without_db(lookback=True))
    off = bot_scopes(a_settings_without_db(lookback=False))
    assert on == list(BOT_SCOPES)
    assert set(on) >= HISTORY_SCOPES
    assert not HISTORY_SCOPES & set(off)
    assert set(on) - set(off) == HISTORY_SCOPES


def a_settings_without_db(*, lookback: bool) -> Settings:
    return Settings(_env_file=None, leadmover_lookback=lookback)


def test_every_scope_in_the_manifest_has_a_comment_saying_what_it_is_for() -> None:
    lines = (ROOT / "manifest.yml").read_text().splitlines()
    start = lines.index("    bot:")
    commented = False
    for line in lines[start + 1 :]:
        if not line.startswith("      "):
            break
        if line.strip().startswith("#"):
            commented = True
        elif line.strip().startswith("- "):
            assert commented, f"no comment says what {line.strip()} is for"
    text = "\n".join(lines)
    assert "LEADMOVER_LOOKBACK" in text


def test_the_operations_guide_and_the_readme_say_what_each_scope_is_for_and_what_lookback_off_costs() -> None:
    guide = (ROOT / "docs" / "operations.md").read_text()
    readme = (ROOT / "README.md").read_text()
    for scope in BOT_SCOPES:
        assert re.search(rf"`{re.escape(scope)}`", guide), scope
    for text in (guide, readme):
        assert "LEADMOVER_LOOKBACK=false" in text
        assert "twice" in text

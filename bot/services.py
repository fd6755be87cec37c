"""The long-lived objects one process needs, built once from Settings and handed to the app and the loops."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from bot.instantly import InstantlyClient
from bot.moves import MoveService
from bot.pickers import PickerService
from bot.poller import Poller
from bot.reporter import Reporter
from bot.settings import Settings
from storage.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    instantly: InstantlyClient
    slack: WebClient
    reporter: Reporter
    moves: MoveService
    pickers: PickerService
    poller: Poller

    def close(self) -> None:
        self.poller.stop()
        self.pickers.close()
        self.instantly.close()
        self.db.dispose()


def build_services(settings: Settings, *, db: Database | None = None) -> Services:
    """Wire every service for one workspace. Callers check the settings their mode needs first."""
    settings.require("slack_bot_token", "instantly_api_key")
    assert settings.slack_bot_token is not None
    assert settings.instantly_api_key is not None
    db = db or Database(settings.database_url)
    db.create_schema()
    instantly = InstantlyClient(
        api_key=settings.instantly_api_key.get_secret_value(),
        base_url=settings.instantly_api_url,
        timeout=settings.instantly_timeout_seconds,
    )
    slack = WebClient(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url)
    reporter = Reporter(slack=slack, db=db)
    moves = MoveService(db=db, instantly=instantly, reporter=reporter, poll_interval=settings.poll_interval_seconds)
    return Services(
        settings=settings,
        db=db,
        instantly=instantly,
        slack=slack,
        reporter=reporter,
        moves=moves,
        pickers=PickerService(instantly=instantly, timeout=settings.picker_timeout_seconds),
        poller=Poller(db=db, instantly=instantly, moves=moves, interval=settings.poll_interval_seconds),
    )

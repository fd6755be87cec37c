"""Slack listeners: parse what Slack sends, call bot services, render Block Kit; nothing slow before ack()."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from handlers import (
    approvals,
    channel_settings,
    commands,
    connect,
    events,
    home,
    moved_leads,
    options,
    preview,
    schedule_approvals,
    schedules,
    submissions,
    undo,
    workflow_step,
)
from handlers.context import provide


def register(app: App, services: Services) -> None:
    """Attach every listener; the services reach them through Bolt's context."""
    app.use(provide(services))
    commands.register(app)
    submissions.register(app)
    options.register(app)
    connect.register(app)
    events.register(app)
    approvals.register(app)
    channel_settings.register(app)
    home.register(app)
    undo.register(app)
    moved_leads.register(app)
    preview.register(app)
    schedules.register(app)
    workflow_step.register(app)
    schedule_approvals.register(app)

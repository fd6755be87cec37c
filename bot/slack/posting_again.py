"""LEADMOVER_LOOKBACK=false: a reporter that never reads Slack's history, so leadmover needs no *:history scope.

A write whose fate a crash left unknown is posted again rather than looked for: one message may then appear twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.slack.outcomes import Delivery
from bot.slack.reporter import Reporter
from storage.models import NotificationState
from storage.outbox import Notification


class PostingAgainReporter(Reporter):
    def deliver(self, notification: Notification, companions: Sequence[Notification] = ()) -> Delivery:
        """Deliver the row as if no attempt had gone before: look-back only ever looks after an attempt."""
        if notification.state == NotificationState.SENDING:
            notification = replace(notification, state=NotificationState.PENDING, attempted_at=None)
        return super().deliver(notification, companions)

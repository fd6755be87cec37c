"""Events API listeners: leadmover uninstalled, or its bot token revoked, in a workspace or a whole Grid org. Either
way the tokens are deleted, and each workspace they served loses its Instantly key and stops following its
unfinished jobs, with the reason recorded on each. Bolt authorizes no token for these events: the workspace or org
comes from Slack's signed envelope (its `authorizations`), the only place that says whose tokens went."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext

from handlers.context import services_of

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.event("app_uninstalled")(handle_app_uninstalled)
    app.event("tokens_revoked")(handle_tokens_revoked)


def handle_app_uninstalled(ack: Ack, context: BoltContext) -> None:
    ack()
    services_of(context).connections.uninstalled(enterprise_id=context.enterprise_id, team_id=context.team_id)


def handle_tokens_revoked(ack: Ack, event: dict[str, Any], context: BoltContext) -> None:
    ack()
    if not (event.get("tokens") or {}).get("bot"):
        return  # only people's own tokens, which leadmover never keeps
    services_of(context).connections.uninstalled(
        enterprise_id=context.enterprise_id, team_id=context.team_id, event="tokens_revoked"
    )

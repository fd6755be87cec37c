"""The move modal's preview: picking a source or changing a filter (block_actions) acks at once, asks Instantly
how many leads the source holds and for a few that the filters take, then updates the modal with views.update.
More filters updates the modal the same way, taking turns with the previews.

The update carries the hash Slack sent with the action. Slack changes a view's hash only when the view is updated,
so two quick changes carry the same hash and whichever preview lands first makes the other's stale. A stale preview
of an older action is dropped; the newest action's preview is sent again over the hash of the update that beat it,
so what the form shows follows the last change the person made.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Final

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.instantly.errors import InstantlyError, Moment, in_words
from bot.preview import Preview
from bot.services import Services
from bot.slack.errors import slack_error
from handlers import ids, more_filters, move_form, move_view, preview_view
from handlers.context import services_of, team_and_user
from handlers.entered import State
from handlers.prefill import Fill

log = logging.getLogger(__name__)

# Each of these dispatches a block_actions from the move modal (dispatch_action on its input block).
WATCHED: Final = (ids.SOURCE, ids.SEARCH, ids.FILTER, ids.CONTACTS, ids.ESP_CODE, ids.ESG_CODE)
# Open modals remembered per process; a modal lives minutes, so the oldest are forgotten first.
_REMEMBERED: Final = 1000


def register(app: App) -> None:
    listener = PreviewListener()
    for action_id in WATCHED:
        app.action({"type": "block_actions", "action_id": action_id})(listener.refresh)
    app.action({"type": "block_actions", "action_id": ids.MORE_FILTERS})(listener.toggle)


@dataclass
class _Modal:
    newest: str = ""  # the action_ts of the newest action seen
    ours: str | None = None  # the view's hash after this process's last update of it
    turn: threading.Lock = field(default_factory=threading.Lock)  # one update of this modal at a time


class _Latest:
    """Per open modal, the newest action seen and the hash of the view as this process last updated it. Updates of
    one modal take turns, so an update's new hash is known before the next one is tried."""

    def __init__(self, *, size: int = _REMEMBERED) -> None:
        self._lock = threading.Lock()
        self._size = size
        self._modals: OrderedDict[str, _Modal] = OrderedDict()

    def saw(self, view_id: str, action_ts: str) -> threading.Lock:
        """Note an action on the modal; its turn to update the modal is the lock returned."""
        with self._lock:
            modal = self._modals.setdefault(view_id, _Modal())
            modal.newest = max(modal.newest, action_ts, key=_ts)
            self._modals.move_to_end(view_id)
            while len(self._modals) > self._size:
                self._modals.popitem(last=False)
            return modal.turn

    def updated(self, view_id: str, view_hash: str | None) -> None:
        with self._lock:
            if view_id in self._modals:
                self._modals[view_id].ours = view_hash

    def retry_hash(self, view_id: str, action_ts: str) -> str | None:
        """The hash to send this action's preview again with: only for the newest action, over our own update."""
        with self._lock:
            modal = self._modals.get(view_id)
        return modal.ours if modal is not None and action_ts == modal.newest else None


class PreviewListener:
    """The one listener behind every watched input; it keeps _Latest for the modals this process has updated."""

    def __init__(self) -> None:
        self._latest = _Latest()

    def refresh(self, ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        ack()
        self._show(body, client, context, more=None)

    def toggle(self, ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        """More filters: the form again with every field behind it shown, or those left empty hidden. Its preview is
        made again too (Instantly's answers are kept a while, so mostly from memory): as the newest action on the
        modal, its update is the one a preview of an older action gives way to."""
        ack()
        more = more_filters.wanted((body.get("actions") or [{}])[0])
        if more is not None:
            self._show(body, client, context, more=more)

    def _show(self, body: dict[str, Any], client: WebClient, context: BoltContext, *, more: bool | None) -> None:
        view = body.get("view") or {}
        view_id = str(view.get("id") or "")
        if view.get("callback_id") != ids.MOVE_MODAL or not view_id:
            return  # the same action_id in another surface is none of the preview's business
        action_ts = str(((body.get("actions") or [{}])[0]).get("action_ts") or "")
        turn = self._latest.saw(view_id, action_ts)
        services = services_of(context)
        team_id, user_id = team_and_user(body, context)
        text = _preview_text(services=services, view=view, team_id=team_id, user_id=user_id)
        rebuilt = move_view.rebuild(view, preview=text, more=more)
        with turn:
            self._update(client, view_id=view_id, view_hash=view.get("hash"), action_ts=action_ts, rebuilt=rebuilt)

    def _update(
        self, client: WebClient, *, view_id: str, view_hash: str | None, action_ts: str, rebuilt: dict[str, Any]
    ) -> None:
        for attempt in range(2):
            try:
                answer = client.views_update(view_id=view_id, hash=view_hash, view=rebuilt)
            except SlackApiError as exc:
                error = slack_error(exc)
                if error != "hash_conflict":
                    log.warning("views.update of a move modal's preview failed: %s", error)
                    return
                view_hash = self._latest.retry_hash(view_id, action_ts) if attempt == 0 else None
                if view_hash is None:
                    log.debug("preview of view %s dropped: the form changed after this action", view_id)
                    return
                continue
            self._latest.updated(view_id, str((answer.get("view") or {}).get("hash") or "") or None)
            return


def _ts(action_ts: str) -> float:
    try:
        return float(action_ts)
    except ValueError:
        return 0.0


def filled_preview(*, services: Services, fill: Fill, team_id: str, user_id: str, entered: State | None = None) -> str:
    """The preview of a form leadmover filled in (from the command, or Run again): Slack sends no action for an
    initial value, so the source it names is previewed here with the filters `entered`, read as if the person had
    picked them."""
    choice = fill.picked.get(ids.SOURCE)
    if choice is None:
        return preview_view.WAITING
    picked = {"type": "external_select", "selected_option": {"value": choice.value, "text": {"text": choice.label}}}
    view = {"state": {"values": {**(entered or {}), ids.SOURCE: {ids.SOURCE: picked}}}}
    return _preview_text(services=services, view=view, team_id=team_id, user_id=user_id)


def _preview_text(*, services: Services, view: dict[str, Any], team_id: str, user_id: str) -> str:
    # Lead e-mails are for movers only, like the pickers' campaign names.
    refused = services.access.refusal_to_move(team_id=team_id, user_id=user_id)
    if refused is not None:
        return f":no_entry: {refused}"
    choice = move_form.lead_choice(view)
    if choice is None:
        return preview_view.WAITING
    if isinstance(choice, dict):
        return preview_view.invalid_text(choice)
    filters = choice.lead_filters()
    try:
        preview = services.preview.preview(team_id=team_id, source=choice.source, filters=filters)
    except InstantlyError as exc:  # no client at all: not connected, or its key cannot be opened
        preview = Preview(problem=in_words(exc, moment=Moment.PREVIEW))
    return preview_view.preview_text(source=choice.source, filters=filters, preview=preview)

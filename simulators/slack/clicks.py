"""A person clicking buttons: in a message (top-level, a thread reply, or their own ephemeral message) or in an open
modal, delivered to the app as Slack's block_actions payload over signed HTTP or Socket Mode. In a modal a person
also picks in a select, chooses a radio button or presses Enter in a text input: Slack sends that too, only when
the input block has dispatch_action, with the new value in ``actions[0]`` and in the view's state.

Each click carries a fresh trigger_id (so the app can open a modal) and, in a message, a response_url whose posts
act on the message clicked in (see click_answers.py). A click on a message or button that does not exist is the
test's mistake (ValueError). Clicks may come from many threads at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from simulators.slack.answers import AnswerChecks
from simulators.slack.blockkit import interactive_elements
from simulators.slack.click_answers import ClickAnswers
from simulators.slack.delivery import AppResponse, SignedPoster
from simulators.slack.payloads import block_actions_payload, button_action, form_body, user_object
from simulators.slack.protocol import JSON, Workspace
from simulators.slack.response_urls import ResponseUrls
from simulators.slack.socket_mode import SocketModeServer
from simulators.slack.teams import Teams
from simulators.slack.users import Users
from simulators.slack.view_state import action_entry, build_state_values, check_dispatches, entries_after
from simulators.slack.views import Views


@dataclass(frozen=True)
class Click:
    """One click, as delivered: `payload` is exactly what the app got, `response` how it answered."""

    team_id: str
    user_id: str
    action_id: str
    block_id: str
    value: str | None
    container: JSON  # {"type": "message", "message_ts", "channel_id", ...} or {"type": "view", "view_id"}
    trigger_id: str
    response_url: str | None  # None for a click in a view
    payload: JSON
    response: AppResponse


@dataclass(frozen=True)
class _Surface:
    """Where a click happens: the blocks holding the button, and what the payload says about the place."""

    ws: Workspace
    blocks: list[JSON]
    container: JSON
    fields: JSON  # the payload's channel/message/state, or view
    where: str
    answer: Callable[[JSON], str | None] | None = None  # what the click's response_url does with each post
    action: JSON | None = None  # for an input element used in a view: actions[0], as Slack describes it


class Clicker:
    """Clicks buttons the app put in messages and views, and records every click in `clicks`."""

    def __init__(
        self,
        *,
        teams: Teams,
        users: Users,
        views: Views,
        response_urls: ResponseUrls,
        poster: SignedPoster,
        socket: SocketModeServer,
        report: Callable[[str], None],
        enterprise_install: Callable[[str], bool] = lambda team_id: False,
        socket_ack_timeout: float = 5.0,
    ) -> None:
        self._teams = teams
        self._users = users
        self._views = views
        self._response_urls = response_urls
        self._poster = poster
        self._socket = socket
        self._report = report
        self._checks = AnswerChecks(views=views, report=report)
        self._enterprise_install = enterprise_install
        self._socket_ack_timeout = socket_ack_timeout
        self._answers = ClickAnswers(teams=teams)
        self._lock = threading.Lock()
        self.clicks: list[Click] = []

    def click(
        self,
        app_url: str,
        *,
        channel: str,
        ts: str,
        action_id: str,
        user_id: str = "U0ALICE",
        team_id: str | None = None,
        value: str | None = None,
        block_id: str | None = None,
    ) -> AppResponse:
        """POST a signed block_actions for the button `action_id` of message `ts` in `channel` (of `team_id`, else
        the channel's workspace). `value` or `block_id` pick one of several buttons sharing the action_id."""
        surface = self._message(channel, ts, user_id, team_id)
        return self._deliver(app_url, surface, action_id=action_id, user_id=user_id, value=value, block_id=block_id)

    def socket_click(
        self,
        *,
        channel: str,
        ts: str,
        action_id: str,
        user_id: str = "U0ALICE",
        team_id: str | None = None,
        value: str | None = None,
        block_id: str | None = None,
    ) -> AppResponse:
        """click, delivered as an ``interactive`` Socket Mode envelope."""
        surface = self._message(channel, ts, user_id, team_id)
        return self._deliver(None, surface, action_id=action_id, user_id=user_id, value=value, block_id=block_id)

    def click_in_view(
        self,
        app_url: str,
        *,
        view_id: str,
        action_id: str,
        values: Mapping[str, Any] | None = None,
        user_id: str = "U0ALICE",
        team_id: str | None = None,
        value: str | None = None,
        block_id: str | None = None,
    ) -> AppResponse:
        """POST a signed block_actions for a button in an open view; `values` (as for submit_view) is what the
        person has entered so far, carried in the view's state. For an input element with dispatch_action (a
        select, radio buttons, a text input), its entry in `values` is what the person just picked or typed."""
        surface = self._view(view_id, values or {}, team_id, action_id)
        return self._deliver(app_url, surface, action_id=action_id, user_id=user_id, value=value, block_id=block_id)

    def socket_click_in_view(
        self,
        *,
        view_id: str,
        action_id: str,
        values: Mapping[str, Any] | None = None,
        user_id: str = "U0ALICE",
        team_id: str | None = None,
        value: str | None = None,
        block_id: str | None = None,
    ) -> AppResponse:
        """click_in_view, delivered as an ``interactive`` Socket Mode envelope."""
        surface = self._view(view_id, values or {}, team_id, action_id)
        return self._deliver(None, surface, action_id=action_id, user_id=user_id, value=value, block_id=block_id)

    # ------------------------------------------------------------------ where the click happens

    def _message(self, channel: str, ts: str, user_id: str, team_id: str | None) -> _Surface:
        ws = self._teams.workspace(team_id or self._teams.directory.owner(channel))
        found = self._teams.conversations(ws.team_id).find_message(channel, ts)
        if found is None:
            raise ValueError(f"team {ws.team_id} has no channel {channel!r}")
        channel_id, channel_name, message = found
        container: JSON = {"type": "message", "message_ts": ts, "channel_id": channel_id}
        fields: JSON = {"channel": {"id": channel_id, "name": channel_name}}
        ephemeral = self._answers.ephemeral(ws.team_id, channel_id, ts)
        if ephemeral is not None:
            if ephemeral["user"] != user_id:
                raise ValueError(f"only {ephemeral['user']} sees ephemeral message {ts}; {user_id} cannot click it")
            blocks, thread_ts = ephemeral["blocks"], ephemeral.get("thread_ts")
        elif message is None:
            raise ValueError(f"no message {ts} in {channel_id} of team {ws.team_id}")
        else:
            # Slack shows the app the message as it stands, but no message and no state for an ephemeral one.
            blocks, thread_ts = message["blocks"], message.get("thread_ts")
            fields |= {"message": message, "state": {"values": build_state_values(message, {}, {})}}
        container["is_ephemeral"] = ephemeral is not None
        if thread_ts and thread_ts != ts:
            container["thread_ts"] = thread_ts
        answer = self._answers.to_message(ws, channel_id, ts, user_id=user_id, thread_ts=thread_ts)
        return _Surface(ws, blocks, container, fields, f"message {ts} in {channel_id}", answer)

    def _view(self, view_id: str, values: Mapping[str, Any], team_id: str | None, action_id: str) -> _Surface:
        owner = self._views.view_team(view_id)
        if owner is None:
            raise ValueError(f"unknown view {view_id!r}")
        if team_id is not None and team_id != owner:
            raise ValueError(f"view {view_id} belongs to team {owner}, not {team_id}")
        view, known = self._views.submittable(view_id)  # ValueError once the person has closed it
        state = build_state_values(view, values, known)
        action = None
        if not _is_button(view["blocks"], action_id):
            check_dispatches(view, action_id)
            action = action_entry(view, action_id, state)
        # The person's client keeps what they entered; an update that keeps the input keeps it too.
        self._views.record_entries(view_id, entries_after(view, values, state))
        view["state"] = {"values": state}
        container: JSON = {"type": "view", "view_id": view_id}
        ws = self._teams.workspace(owner)
        return _Surface(ws, view["blocks"], container, {"view": view}, f"view {view_id}", action=action)

    # ------------------------------------------------------------------ delivery

    def _deliver(
        self,
        app_url: str | None,
        surface: _Surface,
        *,
        action_id: str,
        user_id: str,
        value: str | None,
        block_id: str | None,
    ) -> AppResponse:
        ws = surface.ws
        if surface.action is not None:
            found_block_id, button = str(surface.action["block_id"]), surface.action
        else:
            found_block_id, button = _button(
                surface.blocks, action_id, block_id=block_id, value=value, where=surface.where
            )
        trigger_id = self._views.issue_trigger_id(team_id=ws.team_id)
        fields = dict(surface.fields)
        response_url = None
        if surface.answer is not None:
            response_url = fields["response_url"] = self._response_urls.issue(on_post=surface.answer)
        person = self._users.get(user_id)
        name = person.name if person is not None else None
        payload = block_actions_payload(
            ws=ws,
            user=user_object(ws, user_id, home_team_id=self._users.home_team(user_id), name=name),
            container=surface.container,
            trigger_id=trigger_id,
            action=surface.action or button_action(button, block_id=found_block_id),
            surface=fields,
            is_enterprise_install=self._enterprise_install(ws.team_id),
        )
        if app_url is not None:
            response = self._poster.post(app_url, form_body(payload), key=ws.team_id)
            self._checks.action(action_id, response)
        else:
            response = self._socket.deliver(
                envelope_type="interactive", payload=payload, ack_timeout=self._socket_ack_timeout
            )
            if response.status != 200:
                self._report(f"socket mode: interactive envelope not acked within {self._socket_ack_timeout}s")
            else:
                self._checks.action(action_id, response)
        click = Click(
            team_id=ws.team_id,
            user_id=user_id,
            action_id=action_id,
            block_id=found_block_id,
            value=button.get("value"),
            container=surface.container,
            trigger_id=trigger_id,
            response_url=response_url,
            payload=payload,
            response=response,
        )
        with self._lock:
            self.clicks.append(click)
        return response


def _is_button(blocks: list[JSON], action_id: str) -> bool:
    """Whether `action_id` names buttons (or nothing: _button then says so), rather than an input element."""
    found = [e for block in blocks for e in interactive_elements(block) if e.get("action_id") == action_id]
    return not found or any(element.get("type") == "button" for element in found)


def _button(
    blocks: list[JSON], action_id: str, *, block_id: str | None, value: str | None, where: str
) -> tuple[str, JSON]:
    """(block_id, element) of the one button the click means; ValueError if there is none, or several."""
    found = [
        (str(block.get("block_id", "")), element)
        for block in blocks
        for element in interactive_elements(block)
        if element.get("action_id") == action_id and block_id in (None, block.get("block_id"))
    ]
    if not found:
        raise ValueError(f"{where} has no element with action_id {action_id!r}")
    if any(element.get("type") != "button" for _, element in found):
        raise ValueError(f"{action_id!r} in {where} is not a button")
    matching = [(b, element) for b, element in found if value is None or element.get("value") == value]
    if not matching:
        raise ValueError(f"{where} has no button {action_id!r} with value {value!r}")
    if len(matching) > 1:
        raise ValueError(f"{where} has {len(matching)} buttons {action_id!r}; pass block_id or value to pick one")
    return matching[0]

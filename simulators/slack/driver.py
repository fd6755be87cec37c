"""A person in Slack, driving the app: slash commands, view submissions and options loads, delivered over signed
HTTP or Socket Mode, with the app's answers checked the way Slack would take them.

Each action happens in one workspace (the default one unless `team_id` says otherwise) and carries its ids; a view
is submitted in the workspace it was opened in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from simulators.slack.answers import AnswerChecks
from simulators.slack.delivery import AppResponse, SignedPoster
from simulators.slack.mentions import Mentions
from simulators.slack.payloads import (
    block_suggestion_payload,
    command_fields,
    form_body,
    view_submission_payload,
)
from simulators.slack.protocol import JSON, Workspace
from simulators.slack.response_urls import ResponseUrls
from simulators.slack.socket_mode import SocketModeServer
from simulators.slack.teams import Teams
from simulators.slack.users import Users
from simulators.slack.view_state import build_state_values, check_submittable, find_action
from simulators.slack.views import Views


class Driver:
    """Sends the app what Slack sends when a person acts, and reports every answer Slack would not accept."""

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
        mentions: Mentions | None = None,
        enterprise_install: Callable[[str], bool] = lambda team_id: False,
        socket_ack_timeout: float = 5.0,
    ) -> None:
        """`enterprise_install(team_id)` says whether the app serves that workspace through an org-wide install;
        `mentions` escapes command text (``escape=True``)."""
        self._teams = teams
        self._mentions = mentions
        self._users = users
        self._enterprise_install = enterprise_install
        self._views = views
        self._checks = AnswerChecks(views=views, report=report)
        self._response_urls = response_urls
        self._poster = poster
        self._socket = socket
        self._report = report
        self._socket_ack_timeout = socket_ack_timeout

    # ------------------------------------------------------------------ over HTTP

    def send_command(
        self,
        app_url: str,
        *,
        text: str,
        command: str = "/leads",
        user_id: str = "U0ALICE",
        user_name: str = "alice",
        channel_id: str = "C0SALES",
        channel_name: str = "sales",
        trigger_id: str | None = None,
        team_id: str | None = None,
        escape: bool = False,
    ) -> AppResponse:
        """POST a signed slash command to the app, like Slack does when a user types it in workspace `team_id`.

        `trigger_id` (from issue_trigger_id) lets the caller find the view it opens with view_opened_by().
        `escape=True` sends `text` as a command with should_escape does: @name and @handle of people and user groups
        become ``<@U…|name>`` and ``<!subteam^S…|@handle>``, and &, <, > become entities.
        """
        ws = self._teams.workspace(team_id)
        text = self._escaped(text, ws, escape)
        fields = self._command_fields(ws, text, command, user_id, user_name, channel_id, channel_name, trigger_id)
        response = self._poster.post(app_url, urlencode(fields), key=ws.team_id)
        self._checks.command(command, response)
        return response

    def submit_view(
        self,
        app_url: str,
        *,
        view_id: str,
        values: Mapping[str, Any],
        user_id: str = "U0ALICE",
        team_id: str | None = None,
    ) -> AppResponse:
        """POST a signed view_submission for a stored view, with ``values`` keyed by block_id (or action_id).

        It comes from the workspace the view was opened in; a `team_id` naming another one is a test's mistake.
        """
        ws = self._view_workspace(view_id, team_id)
        payload = self._submission_payload(ws, view_id, values, user_id)
        response = self._poster.post(app_url, form_body(payload), key=ws.team_id)
        self._checks.submission(view_id, response)
        return response

    def redeliver_last(self, app_url: str, *, team_id: str | None = None) -> AppResponse:
        """Deliver the last request (of workspace `team_id`, if given) again, as Slack does when the app's answer was
        slow (X-Slack-Retry-Num)."""
        sent = self._poster.last if team_id is None else self._poster.last_by.get(team_id)
        if sent is None:
            raise ValueError("nothing was delivered yet" + (f" for team {team_id}" if team_id else ""))
        retry = int(sent.headers.get("X-Slack-Retry-Num", "0")) + 1
        content_type = sent.headers.get("Content-Type", "application/x-www-form-urlencoded")
        return self._poster.post(app_url, sent.body, retry_num=retry, content_type=content_type, key=team_id)

    def load_options(
        self,
        app_url: str,
        *,
        view_id: str,
        action_id: str,
        value: str,
        user_id: str = "U0ALICE",
        team_id: str | None = None,
    ) -> AppResponse:
        """POST a signed block_suggestion (an external select's options load) for a stored view."""
        ws = self._view_workspace(view_id, team_id)
        payload = self._suggestion_payload(ws, view_id, action_id, value, user_id)
        response = self._poster.post(app_url, form_body(payload), key=ws.team_id)
        self._checks.suggestion(view_id, action_id, response)
        return response

    # ------------------------------------------------------------------ over Socket Mode

    def wait_for_socket(self, *, timeout: float = 10.0) -> bool:
        """True once an app is connected over Socket Mode."""
        return self._socket.wait_for_connection(timeout=timeout)

    def socket_send_command(
        self,
        *,
        text: str,
        command: str = "/leads",
        user_id: str = "U0ALICE",
        user_name: str = "alice",
        channel_id: str = "C0SALES",
        channel_name: str = "sales",
        team_id: str | None = None,
        escape: bool = False,
    ) -> AppResponse:
        """Deliver a slash_commands envelope over Socket Mode and wait for the app's ack."""
        ws = self._teams.workspace(team_id)
        text = self._escaped(text, ws, escape)
        fields = self._command_fields(ws, text, command, user_id, user_name, channel_id, channel_name)
        response = self._deliver("slash_commands", dict(fields))
        if response.status == 200:
            self._checks.command(command, response)
        return response

    def socket_submit_view(
        self, *, view_id: str, values: Mapping[str, Any], user_id: str = "U0ALICE", team_id: str | None = None
    ) -> AppResponse:
        """submit_view, delivered as an ``interactive`` Socket Mode envelope."""
        ws = self._view_workspace(view_id, team_id)
        response = self._deliver("interactive", self._submission_payload(ws, view_id, values, user_id))
        if response.status == 200:
            self._checks.submission(view_id, response)
        return response

    def socket_load_options(
        self, *, view_id: str, action_id: str, value: str, user_id: str = "U0ALICE", team_id: str | None = None
    ) -> AppResponse:
        """load_options, delivered as an ``interactive`` Socket Mode envelope."""
        ws = self._view_workspace(view_id, team_id)
        response = self._deliver("interactive", self._suggestion_payload(ws, view_id, action_id, value, user_id))
        if response.status == 200:
            self._checks.suggestion(view_id, action_id, response)
        return response

    def _deliver(self, envelope_type: str, payload: JSON) -> AppResponse:
        response = self._socket.deliver(
            envelope_type=envelope_type, payload=payload, ack_timeout=self._socket_ack_timeout
        )
        if response.status != 200:
            self._report(f"socket mode: {envelope_type} envelope not acked within {self._socket_ack_timeout}s")
        return response

    # ------------------------------------------------------------------ slash commands

    def _escaped(self, text: str, ws: Workspace, escape: bool) -> str:
        if not escape:
            return text
        if self._mentions is None:
            raise ValueError("this driver was made without mentions; it cannot escape command text")
        return self._mentions.escape(text, team_id=ws.team_id)

    def _view_workspace(self, view_id: str, team_id: str | None) -> Workspace:
        """The workspace a view was opened in; ValueError if the caller names another one."""
        owner = self._views.view_team(view_id)
        if owner is None:
            raise ValueError(f"unknown view {view_id!r}")
        if team_id is not None and team_id != owner:
            raise ValueError(f"view {view_id} belongs to team {owner}, not {team_id}")
        return self._teams.workspace(owner)

    def _command_fields(
        self,
        ws: Workspace,
        text: str,
        command: str,
        user_id: str,
        user_name: str,
        channel_id: str,
        channel_name: str,
        trigger_id: str | None = None,
    ) -> dict[str, str]:
        # Slack lets a person type a command only where they are a member.
        self._teams.conversations(ws.team_id).join(channel_id, user_id)
        return command_fields(
            ws=ws,
            command=command,
            text=text,
            user_id=user_id,
            user_name=user_name,
            channel_id=channel_id,
            channel_name=channel_name,
            response_url=self._response_urls.issue(),
            trigger_id=trigger_id or self._views.issue_trigger_id(team_id=ws.team_id),
            is_enterprise_install=self._enterprise_install(ws.team_id),
        )

    # ------------------------------------------------------------------ view submissions

    def _submission_payload(self, ws: Workspace, view_id: str, values: Mapping[str, Any], user_id: str) -> JSON:
        view, known = self._views.submittable(view_id)
        state = build_state_values(view, values, known)
        check_submittable(view, state)
        self._views.set_state(view_id, state)
        return view_submission_payload(
            ws=ws,
            view=view,
            state=state,
            user_id=user_id,
            trigger_id=self._views.issue_trigger_id(team_id=ws.team_id),
            home_team_id=self._users.home_team(user_id),
            is_enterprise_install=self._enterprise_install(ws.team_id),
        )

    # ------------------------------------------------------------------ options loads

    def _suggestion_payload(self, ws: Workspace, view_id: str, action_id: str, value: str, user_id: str) -> JSON:
        view = self._views.find(view_id)
        _, element = find_action(view, action_id)
        if element.get("type") not in {"external_select", "multi_external_select"}:
            raise ValueError(f"{action_id!r} is a {element.get('type')}, not an external select")
        min_length = int(element.get("min_query_length", 3))
        if len(value) < min_length:
            raise ValueError(f"Slack only loads options after {min_length} typed characters, got {value!r}")
        state = build_state_values(view, {}, {})
        return block_suggestion_payload(
            ws=ws,
            view=view,
            state=state,
            action_id=action_id,
            value=value,
            user_id=user_id,
            home_team_id=self._users.home_team(user_id),
            is_enterprise_install=self._enterprise_install(ws.team_id),
        )

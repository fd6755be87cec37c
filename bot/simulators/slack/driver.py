"""A person in Slack, driving the app: slash commands, view submissions and options loads, delivered over signed
HTTP or Socket Mode, with the app's answers checked the way Slack would take them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from bot.simulators.slack.blockkit import check_options, check_view, element_options
from bot.simulators.slack.delivery import AppResponse, SignedPoster
from bot.simulators.slack.payloads import (
    block_suggestion_payload,
    command_fields,
    form_body,
    view_submission_payload,
)
from bot.simulators.slack.protocol import JSON, Workspace
from bot.simulators.slack.response_urls import ResponseUrls, message_errors
from bot.simulators.slack.socket_mode import SocketModeServer
from bot.simulators.slack.view_state import build_state_values, check_submittable, find_action
from bot.simulators.slack.views import Views

SLACK_DEADLINE = 3.0  # seconds Slack waits for an app's answer / ack


class Driver:
    """Sends the app what Slack sends when a person acts, and reports every answer Slack would not accept."""

    def __init__(
        self,
        *,
        workspace: Workspace,
        views: Views,
        response_urls: ResponseUrls,
        poster: SignedPoster,
        socket: SocketModeServer,
        report: Callable[[str], None],
        socket_ack_timeout: float = 5.0,
    ) -> None:
        self._ws = workspace
        self._views = views
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
    ) -> AppResponse:
        """POST a signed slash command to the app, like Slack does when a user types it.

        `trigger_id` (from issue_trigger_id) lets the caller find the view it opens with view_opened_by().
        """
        fields = self._command_fields(text, command, user_id, user_name, channel_id, channel_name, trigger_id)
        response = self._poster.post(app_url, urlencode(fields))
        self._check_command_answer(command, response)
        return response

    def submit_view(
        self, app_url: str, *, view_id: str, values: Mapping[str, Any], user_id: str = "U0ALICE"
    ) -> AppResponse:
        """POST a signed view_submission for a stored view, with ``values`` keyed by block_id (or action_id)."""
        payload = self._submission_payload(view_id, values, user_id)
        response = self._poster.post(app_url, form_body(payload))
        self._after_submission(view_id, response)
        return response

    def redeliver_last(self, app_url: str) -> AppResponse:
        """Deliver the last request again, as Slack does when the app's answer was slow (X-Slack-Retry-Num)."""
        sent = self._poster.last
        if sent is None:
            raise ValueError("nothing was delivered yet")
        retry = int(sent.headers.get("X-Slack-Retry-Num", "0")) + 1
        return self._poster.post(app_url, sent.body, retry_num=retry)

    def load_options(
        self, app_url: str, *, view_id: str, action_id: str, value: str, user_id: str = "U0ALICE"
    ) -> AppResponse:
        """POST a signed block_suggestion (an external select's options load) for a stored view."""
        payload = self._suggestion_payload(view_id, action_id, value, user_id)
        response = self._poster.post(app_url, form_body(payload))
        self._after_suggestion(view_id, action_id, response)
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
    ) -> AppResponse:
        """Deliver a slash_commands envelope over Socket Mode and wait for the app's ack."""
        fields = self._command_fields(text, command, user_id, user_name, channel_id, channel_name)
        response = self._deliver("slash_commands", dict(fields))
        if response.status == 200:
            self._check_command_answer(command, response)
        return response

    def socket_submit_view(self, *, view_id: str, values: Mapping[str, Any], user_id: str = "U0ALICE") -> AppResponse:
        """submit_view, delivered as an ``interactive`` Socket Mode envelope."""
        response = self._deliver("interactive", self._submission_payload(view_id, values, user_id))
        if response.status == 200:
            self._after_submission(view_id, response)
        return response

    def socket_load_options(self, *, view_id: str, action_id: str, value: str, user_id: str = "U0ALICE") -> AppResponse:
        """load_options, delivered as an ``interactive`` Socket Mode envelope."""
        response = self._deliver("interactive", self._suggestion_payload(view_id, action_id, value, user_id))
        if response.status == 200:
            self._after_suggestion(view_id, action_id, response)
        return response

    def _deliver(self, envelope_type: str, payload: JSON) -> AppResponse:
        response = self._socket.deliver(
            envelope_type=envelope_type, payload=payload, ack_timeout=self._socket_ack_timeout
        )
        if response.status != 200:
            self._report(f"socket mode: {envelope_type} envelope not acked within {self._socket_ack_timeout}s")
        return response

    # ------------------------------------------------------------------ slash commands

    def _command_fields(
        self,
        text: str,
        command: str,
        user_id: str,
        user_name: str,
        channel_id: str,
        channel_name: str,
        trigger_id: str | None = None,
    ) -> dict[str, str]:
        return command_fields(
            ws=self._ws,
            command=command,
            text=text,
            user_id=user_id,
            user_name=user_name,
            channel_id=channel_id,
            channel_name=channel_name,
            response_url=self._response_urls.issue(),
            trigger_id=trigger_id or self._views.issue_trigger_id(),
        )

    def _answer(self, where: str, response: AppResponse, *, text_allowed: bool) -> tuple[bool, Any]:
        """(readable, the app's JSON answer), after reporting an answer that came late or with an HTTP error."""
        if response.elapsed > SLACK_DEADLINE:
            self._report(f"{where}: app answered after {response.elapsed:.2f}s (Slack gives up after 3 s)")
        if response.status != 200:
            self._report(f"{where}: app answered HTTP {response.status}: {response.body[:200]}")
            return False, None
        try:
            return True, response.json()
        except ValueError:
            if not text_allowed:
                self._report(f"{where}: answer is neither empty nor JSON: {response.body[:200]!r}")
            return False, None

    def _check_command_answer(self, command: str, response: AppResponse) -> None:
        readable, answer = self._answer(command, response, text_allowed=True)  # plain text is shown as it is
        if readable and isinstance(answer, dict):
            for error in message_errors(answer):
                self._report(f"{command} response: {error}")

    # ------------------------------------------------------------------ view submissions

    def _submission_payload(self, view_id: str, values: Mapping[str, Any], user_id: str) -> JSON:
        view, known = self._views.submittable(view_id)
        state = build_state_values(view, values, known)
        check_submittable(view, state)
        self._views.set_state(view_id, state)
        return view_submission_payload(
            ws=self._ws, view=view, state=state, user_id=user_id, trigger_id=self._views.issue_trigger_id()
        )

    def _after_submission(self, view_id: str, response: AppResponse) -> None:
        where = f"view_submission {view_id}"
        readable, answer = self._answer(where, response, text_allowed=False)
        if readable:
            self._apply_submission_answer(view_id, answer, where)

    def _apply_submission_answer(self, view_id: str, answer: Any, where: str) -> None:
        if not answer:
            self._views.close(view_id)
            return
        action = answer.get("response_action") if isinstance(answer, dict) else None
        if action == "errors":
            inputs = self._views.input_block_ids(view_id)
            errors = answer.get("errors")
            if not isinstance(errors, dict) or not errors:
                self._report(f"{where}: response_action errors needs a non-empty errors object")
            else:
                for block_id in errors:
                    if block_id not in inputs:
                        self._report(f"{where}: errors names {block_id!r}, which is not an input block")
        elif action in ("update", "push"):
            problems = check_view(answer.get("view"))
            for problem in problems:
                self._report(f"{where}: response_action {action}: {problem}")
            if not problems and action == "update":
                self._views.store(answer["view"], view_id=view_id)
            elif not problems:
                self._views.store(answer["view"], previous_view_id=view_id)
        elif action == "clear":
            self._views.close_all()
        else:
            self._report(f"{where}: unknown response_action in {answer!r:.200}")

    # ------------------------------------------------------------------ options loads

    def _suggestion_payload(self, view_id: str, action_id: str, value: str, user_id: str) -> JSON:
        view = self._views.find(view_id)
        _, element = find_action(view, action_id)
        if element.get("type") not in {"external_select", "multi_external_select"}:
            raise ValueError(f"{action_id!r} is a {element.get('type')}, not an external select")
        min_length = int(element.get("min_query_length", 3))
        if len(value) < min_length:
            raise ValueError(f"Slack only loads options after {min_length} typed characters, got {value!r}")
        state = build_state_values(view, {}, {})
        return block_suggestion_payload(
            ws=self._ws, view=view, state=state, action_id=action_id, value=value, user_id=user_id
        )

    def _after_suggestion(self, view_id: str, action_id: str, response: AppResponse) -> None:
        where = f"block_suggestion {action_id}"
        if response.elapsed > SLACK_DEADLINE:
            self._report(f"{where}: app answered after {response.elapsed:.2f}s (Slack allows 3 s)")
        try:
            answer = response.json() if response.status == 200 else None
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or not ("options" in answer or "option_groups" in answer):
            self._report(f"{where}: expected HTTP 200 with options or option_groups, got {response.status}")
            return
        # "No results" is an empty `options` list; only a non-empty answer is held to static_select's rules.
        if answer.get("options") != []:
            for error in check_options(answer):
                self._report(f"{where}: {error}")
        self._views.remember_options(view_id, action_id, element_options(answer))

"""How Slack takes the app's answers to what a person did: in time, HTTP 200, and a body Slack accepts (a message,
a response_action, options), applied to the views the way a person's client would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simulators.slack.blockkit import check_options, check_view, element_options
from simulators.slack.delivery import AppResponse
from simulators.slack.response_urls import message_errors
from simulators.slack.views import Views

SLACK_DEADLINE = 3.0  # seconds Slack waits for an app's answer / ack


class AnswerChecks:
    """Reports every answer Slack would not accept, and applies the accepted ones to the stored views."""

    def __init__(self, *, views: Views, report: Callable[[str], None]) -> None:
        self._views = views
        self._report = report

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

    def command(self, command: str, response: AppResponse) -> None:
        readable, answer = self._answer(command, response, text_allowed=True)  # plain text is shown as it is
        if readable and isinstance(answer, dict):
            for error in message_errors(answer):
                self._report(f"{command} response: {error}")

    def action(self, action_id: str, response: AppResponse) -> None:
        # Slack needs only a timely HTTP 200 for a click; whatever the body says, it shows nothing of it.
        self._answer(f"block_actions {action_id}", response, text_allowed=True)

    def submission(self, view_id: str, response: AppResponse) -> None:
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
            self._views.close_stack(view_id)
        else:
            self._report(f"{where}: unknown response_action in {answer!r:.200}")

    def suggestion(self, view_id: str, action_id: str, response: AppResponse) -> None:
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

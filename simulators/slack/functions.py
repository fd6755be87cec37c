"""Custom workflow steps ("custom steps for Bolt"): Slack running one of the app's functions as a step of a workflow.

Functions starts runs of the functions the app's manifest declares (``functions:``), each with its own workflow token
(``xwfp-…``, good only while the run runs), sends the app their ``function_executed`` event in Slack's shape (signed
HTTP or Socket Mode, the very same event again when Slack retries), and serves functions.completeSuccess and
functions.completeError, checked as Slack's docs describe. It also plays Workflow Builder filling a dynamic options
menu (an input's ``dynamic_options``, served by another of the app's functions). Every run is kept for the tests.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from simulators.slack.delivery import AppResponse
from simulators.slack.events import Events
from simulators.slack.function_specs import (
    DEFAULT_MANIFEST,
    Execution,
    FunctionSpec,
    State,
    check_inputs,
    decode_outputs,
    function_object,
    load_functions,
    new_id,
    options_source,
    output_problems,
)
from simulators.slack.protocol import JSON, ApiError, Workspace
from simulators.slack.socket_mode import SocketModeServer
from simulators.slack.teams import Teams
from simulators.slack.tokens import Grant, TokenBook


class Functions:
    """Runs the app's custom steps and serves the two methods that end a run."""

    def __init__(
        self,
        *,
        teams: Teams,
        tokens: TokenBook,
        events: Events,
        socket: SocketModeServer,
        report: Callable[[str], None],
        manifest_path: str | Path | None = None,
        socket_ack_timeout: float = 5.0,
    ) -> None:
        """`manifest_path`: whose ``functions:`` to serve (default: the repo's manifest.yml), read on first use."""
        self._teams = teams
        self._tokens = tokens
        self._events = events
        self._socket = socket
        self._report = report
        self._path = Path(manifest_path) if manifest_path is not None else DEFAULT_MANIFEST
        self._ack_timeout = socket_ack_timeout
        self._lock = threading.Lock()
        self._specs: dict[str, FunctionSpec] | None = None
        self._function_ids: dict[str, str] = {}
        self._at = 0  # when the manifest was read: the functions' date_created and date_updated
        self._runs: dict[str, Execution] = {}

    def spec(self, callback_id: str) -> FunctionSpec:
        """The manifest's definition of a function; ValueError if the manifest declares none of that name."""
        with self._lock:
            if self._specs is None:
                self._specs = load_functions(self._path)
                self._function_ids = {callback_id: new_id("Fn") for callback_id in self._specs}
                self._at = int(time.time())
            specs = self._specs
        if callback_id not in specs:
            raise ValueError(f"{self._path} declares no function {callback_id!r} (it has {sorted(specs)})")
        return specs[callback_id]

    # ------------------------------------------------------------------ runs

    def start_step(
        self, *, callback_id: str, inputs: Mapping[str, Any] | None = None, team_id: str | None = None
    ) -> Execution:
        """A new run of function `callback_id` in workspace `team_id` (the default one), not yet delivered.
        ValueError when the inputs do not match the function's input_parameters (a test's mistake)."""
        spec = self.spec(callback_id)
        given = copy.deepcopy(dict(inputs or {}))
        check_inputs(spec, given)
        ws = self._teams.workspace(team_id)
        fx, wx = new_id("Fx"), new_id("Wx")
        grant = self._tokens.issue_workflow(team_id=ws.team_id, enterprise_id=ws.enterprise_id, execution_id=fx)
        event: JSON = {
            "type": "function_executed",
            "function": function_object(
                spec, function_id=self._function_ids[callback_id], app_id=ws.app_id, at=self._at
            ),
            "inputs": given,
            "function_execution_id": fx,
            "workflow_execution_id": wx,
            "event_ts": f"{time.time():.6f}",
            "bot_access_token": grant.token,
        }
        envelope = self._events.envelope(team_id=ws.team_id, event=event)
        run = Execution(fx, wx, grant.token, callback_id, ws.team_id, copy.deepcopy(given), envelope)
        with self._lock:
            self._runs[fx] = run
        return run

    def deliver(self, app_url: str | None, fx_id: str) -> AppResponse:
        """Send the run's function_executed event: signed HTTP to `app_url`, or for None an ``events_api`` Socket Mode
        envelope. Each call after the first is Slack's retry of the very same event_callback (same event_id, ids and
        token; over HTTP with X-Slack-Retry-Num). The app's answer, also kept in the run's `responses`."""
        run = self.execution(fx_id)
        if app_url is not None:
            response = self._events.send_envelope(app_url, run.envelope, retry_num=len(run.responses))
        else:
            response = self._socket.deliver(
                envelope_type="events_api",
                payload=run.envelope,
                ack_timeout=self._ack_timeout,
                accepts_response_payload=False,
            )
            if response.status != 200:
                self._report(f"socket mode: function_executed {fx_id} not acked within {self._ack_timeout}s")
        run.responses.append(response)
        return response

    def run_step(
        self,
        app_url: str | None,
        *,
        callback_id: str,
        inputs: Mapping[str, Any] | None = None,
        team_id: str | None = None,
    ) -> Execution:
        """A workflow reaches the step: start a run and deliver() its event (over Socket Mode for a None `app_url`).
        The run; wait_for_end() waits for the app to complete it."""
        run = self.start_step(callback_id=callback_id, inputs=inputs, team_id=team_id)
        self.deliver(app_url, run.function_execution_id)
        return run

    def socket_run_step(
        self, *, callback_id: str, inputs: Mapping[str, Any] | None = None, team_id: str | None = None
    ) -> Execution:
        """run_step() over Socket Mode."""
        return self.run_step(None, callback_id=callback_id, inputs=inputs, team_id=team_id)

    def execution(self, fx_id: str) -> Execution:
        """A run by its function_execution_id; ValueError for an id the fake never issued."""
        with self._lock:
            run = self._runs.get(fx_id)
        if run is None:
            raise ValueError(f"no function execution {fx_id!r}")
        return run

    def executions(self, callback_id: str | None = None) -> list[Execution]:
        """Every run (of function `callback_id`, if given), oldest first."""
        with self._lock:
            return [run for run in self._runs.values() if callback_id in (None, run.callback_id)]

    def wait_for_end(self, fx_id: str, timeout: float = 10.0) -> Execution:
        """Block until the app completed or failed the run; the run. TimeoutError if it is still running then."""
        run = self.execution(fx_id)
        if not run.ended.wait(timeout):
            raise TimeoutError(f"function execution {fx_id} ({run.callback_id}) still running after {timeout}s")
        return run

    # ------------------------------------------------------------------ dynamic options

    def load_step_options(
        self,
        app_url: str | None,
        *,
        callback_id: str,
        input_name: str,
        team_id: str | None = None,
        values: Mapping[str, Any] | None = None,
        query: str = "",
        builder_id: str = "U0ALICE",
        timeout: float = 5.0,
    ) -> list[JSON]:
        """A builder opens the menu of input `input_name` of step `callback_id` in Workflow Builder: Slack runs the
        function its ``dynamic_options`` names, with the ``inputs`` declared there (`values`: the step's inputs set so
        far; `query`: what they typed; `builder_id`: who they are), over HTTP to `app_url` or, for None, Socket Mode.
        The options the app completed that run with. RuntimeError if the app failed it; TimeoutError if it did not
        end within `timeout` seconds."""
        source = self.spec(callback_id).input(input_name)
        function, inputs = options_source(source, values=values or {}, query=query, builder_id=builder_id)
        run = self.start_step(callback_id=function, inputs=inputs, team_id=team_id)
        fx = run.function_execution_id
        response = self.deliver(app_url, fx)
        if 200 <= response.status < 300 and run.state == "running":
            self._report(
                f"dynamic options {run.callback_id} ({fx}): function_executed acked before the run was completed;"
                " Slack's docs want it handled synchronously (auto_acknowledge=False, ack() after complete())"
            )
        try:
            self.wait_for_end(fx, timeout)
        except TimeoutError:
            self._report(f"dynamic options {run.callback_id} ({fx}): not completed within {timeout}s")
            raise
        if run.state == "failed":
            raise RuntimeError(f"dynamic options {run.callback_id} ({fx}) failed: {run.error}")
        return list((run.outputs or {}).get("options") or [])

    # ------------------------------------------------------------------ Web API methods

    def complete_success(self, args: JSON, ws: Workspace, grant: Grant) -> JSON:
        method = "functions.completeSuccess"
        run = self._owned_run(method, args, grant)
        outputs = decode_outputs(method, args)
        problems = output_problems(self.spec(run.callback_id), outputs)
        if problems:
            raise ApiError(
                "parameter_validation_failed",
                messages=problems,
                violation=f"{method}: outputs of {run.callback_id} do not match its output_parameters: {problems}",
            )
        self._end(run, "completed", outputs=outputs)
        return {}

    def complete_error(self, args: JSON, ws: Workspace, grant: Grant) -> JSON:
        method = "functions.completeError"
        run = self._owned_run(method, args, grant)
        error = args.get("error")
        if not isinstance(error, str) or not error.strip():
            # Slack shows the error to the person who ran the workflow: there must be words.
            raise ApiError("invalid_arguments", violation=f"{method}: error must be a non-empty message: {error!r}")
        self._end(run, "failed", error=error)
        return {}

    def _owned_run(self, method: str, args: JSON, grant: Grant) -> Execution:
        """The run a completion names, called with that run's own workflow token; else Slack's refusal."""
        fx_id = str(args.get("function_execution_id") or "")
        with self._lock:
            run = self._runs.get(fx_id)
        if run is None:
            raise ApiError("function_execution_not_found", violation=f"{method}: no function execution {fx_id!r}")
        if grant.kind != "workflow":
            raise ApiError(
                "not_allowed_token_type",
                violation=f"{method}: {fx_id} completed with a {grant.kind} token; Slack's docs name the run's own"
                " token, the bot_access_token of its function_executed event (as Bolt's complete() and fail() use)",
            )
        if grant.execution_id != fx_id:
            raise ApiError(
                "access_denied",
                violation=f"{method}: {fx_id} completed with the workflow token of another run ({grant.execution_id})",
            )
        return run

    def _end(self, run: Execution, state: State, *, outputs: JSON | None = None, error: str | None = None) -> None:
        with self._lock:
            if run.state != "running":  # another completion of the run got there first
                raise ApiError("execution_not_in_running_state")
            run.state, run.outputs, run.error = state, outputs, error
        self._tokens.end_workflow(run.token)
        run.ended.set()

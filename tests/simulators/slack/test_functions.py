"""Custom workflow steps in the fake Slack: function_executed in Slack's shape over HTTP and Socket Mode, each run's own
workflow token, functions.completeSuccess / completeError checked against the manifest, redelivery, dynamic options."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest
from slack_bolt import Ack, App, BoltContext, Complete, Fail
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from simulators.slack import FakeSlack
from simulators.slack.protocol import ApiError
from simulators.slack.tokens import Grant

# A manifest of the app's shape, so these tests follow the fake and not leadmover's own steps: one step whose first
# input is a dynamic menu served by a second function, and a v2-style function (properties + required).
MANIFEST = """
_metadata: {major_version: 1}
functions:
  sample_step:
    title: Sample step
    description: Moves things somewhere.
    input_parameters:
      source:
        type: string
        title: From
        description: Where they come from.
        is_required: true
        dynamic_options: {function: "#/functions/sample_options", inputs: {query: {value: "{{client.query}}"}}}
      count: {type: integer, title: How many, is_required: false}
      mode: {type: string, title: Mode, enum: [move, copy], is_required: false}
      channel_id: {type: "slack#/types/channel_id", title: Announce in, is_required: true}
    output_parameters:
      job_number: {type: integer, title: Job number, is_required: true}
      status: {type: string, title: Status, description: How it ended., is_required: true}
      owner: {type: "slack#/types/user_id", title: Owner, is_required: false}
      skipped: {type: boolean, title: Skipped, is_required: false}
  sample_options:
    title: Sample places
    input_parameters:
      query: {type: string, title: Typed, is_required: false}
    output_parameters:
      options: {type: "slack#/types/options_select", title: Places, is_required: true}
  v2_step:
    title: Version 2 step
    input_parameters:
      properties:
        user_id: {type: "slack#/types/user_id", title: User}
        note: {type: string, title: Note}
      required: [user_id]
    output_parameters: {properties: {}, required: []}
"""
INPUTS = {"source": "campaign:c1", "count": 5, "channel_id": "C0SALES"}
OUTPUTS = {"job_number": 12, "status": "completed", "owner": "U0ALICE", "skipped": False}


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


@pytest.fixture
def slack(tmp_path: Path) -> Iterator[FakeSlack]:
    manifest = tmp_path / "manifest.yml"
    manifest.write_text(MANIFEST)
    with FakeSlack(manifest_path=manifest) as fake:
        fake.add_channel("C0SALES", "sales")
        yield fake


class _QuietWsgiHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


class StepApp:
    """A Bolt app with the two functions, served over HTTP (`url`) and, after connect(), over Socket Mode."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self.seen: list[dict[str, Any]] = []  # inputs, and the token the listener's client carried
        self.fail_with: str | None = None
        self.options_delay = 0.0
        self.app = App(
            client=WebClient(token=fake.bot_token, base_url=fake.api_url), signing_secret=fake.signing_secret
        )
        self.app.function("sample_step")(self._step)
        self.app.function("sample_options", auto_acknowledge=False)(self._options)
        self.server: WSGIServer = make_server(
            "127.0.0.1", 0, SlackRequestHandler(self.app), handler_class=_QuietWsgiHandler
        )
        self.url = f"http://127.0.0.1:{self.server.server_port}/slack/events"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.socket: SocketModeHandler | None = None

    def _step(self, inputs: dict[str, Any], complete: Complete, fail: Fail, context: BoltContext) -> None:
        self.seen.append({"inputs": inputs, "token": context.client.token})
        if self.fail_with is not None:
            fail(self.fail_with)
        else:
            complete(outputs={**OUTPUTS, "job_number": inputs.get("count", 1)})

    def _options(self, ack: Ack, inputs: dict[str, Any], complete: Complete) -> None:
        try:
            time.sleep(self.options_delay)
            complete(outputs={"options": [option(f"Campaign {inputs.get('query')}", "campaign:c1")]})
        finally:
            ack()

    def connect(self) -> None:
        self.socket = SocketModeHandler(self.app, self.fake.app_token)
        self.socket.connect()  # type: ignore[no-untyped-call]
        assert self.fake.wait_for_socket(timeout=5)

    def close(self) -> None:
        if self.socket is not None:
            self.socket.close()  # type: ignore[no-untyped-call]
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def step_app(slack: FakeSlack) -> Iterator[StepApp]:
    app = StepApp(slack)
    yield app
    app.close()


def refused(call: Any) -> dict[str, Any]:
    """The Web API's answer to a call that must fail."""
    with pytest.raises(SlackApiError) as err:
        call()
    return dict(err.value.response.data)


def as_app(slack: FakeSlack, token: str) -> WebClient:
    return WebClient(token=token, base_url=slack.api_url)


# ---------------------------------------------------------------------------------------------------- the event


def test_function_executed_is_in_slacks_shape(slack: FakeSlack) -> None:
    run = slack.functions.start_step(callback_id="sample_step", inputs=INPUTS)

    envelope = run.envelope
    assert (envelope["type"], envelope["team_id"], envelope["api_app_id"]) == (
        "event_callback",
        slack.team_id,
        slack.app_id,
    )
    event = envelope["event"]
    assert list(event) == [
        "type",
        "function",
        "inputs",
        "function_execution_id",
        "workflow_execution_id",
        "event_ts",
        "bot_access_token",
    ]
    assert event["type"] == "function_executed"
    assert event["inputs"] == INPUTS
    assert (event["function_execution_id"], event["workflow_execution_id"]) == (
        run.function_execution_id,
        run.workflow_execution_id,
    )
    assert run.function_execution_id.startswith("Fx")
    assert run.workflow_execution_id.startswith("Wx")
    assert event["bot_access_token"] == run.token
    assert run.token.startswith("xwfp-")
    function = event["function"]
    assert list(function) == [
        "id",
        "callback_id",
        "title",
        "description",
        "type",
        "input_parameters",
        "output_parameters",
        "app_id",
        "date_created",
        "date_updated",
        "date_deleted",
    ]
    assert function["id"].startswith("Fn")
    assert (function["callback_id"], function["title"], function["type"]) == ("sample_step", "Sample step", "app")
    assert (function["app_id"], function["date_deleted"]) == (slack.app_id, 0)
    assert function["input_parameters"][0] == {
        "type": "string",
        "name": "source",
        "description": "Where they come from.",
        "title": "From",
        "is_required": True,
    }
    assert [(p["name"], p["type"], p["is_required"]) for p in function["input_parameters"][1:]] == [
        ("count", "integer", False),
        ("mode", "string", False),
        ("channel_id", "slack#/types/channel_id", True),
    ]
    assert [p["name"] for p in function["output_parameters"]] == ["job_number", "status", "owner", "skipped"]
    # A second run of the same function: the same function, its own ids and token.
    again = slack.functions.start_step(callback_id="sample_step", inputs=INPUTS).event
    assert again["function"]["id"] == function["id"]
    assert again["function_execution_id"] != run.function_execution_id
    assert again["bot_access_token"] != run.token
    assert slack.functions.executions("sample_step") == [run, slack.functions.execution(again["function_execution_id"])]


def test_a_v2_manifest_declares_required_parameters_in_a_list(slack: FakeSlack) -> None:
    run = slack.functions.start_step(callback_id="v2_step", inputs={"user_id": "U0ALICE"})
    assert [(p["name"], p["is_required"]) for p in run.event["function"]["input_parameters"]] == [
        ("user_id", True),
        ("note", False),
    ]
    assert "description" not in run.event["function"]  # none declared
    with pytest.raises(ValueError, match="missing required input 'user_id'"):
        slack.functions.start_step(callback_id="v2_step", inputs={"note": "hi"})


@pytest.mark.parametrize(
    ("inputs", "problem"),
    [
        ({**INPUTS, "colour": "red"}, "unknown input 'colour'"),
        ({"source": "campaign:c1"}, "missing required input 'channel_id'"),
        ({**INPUTS, "count": "5"}, "count = '5' is not a integer"),
        ({**INPUTS, "count": True}, "count = True is not a integer"),
        ({**INPUTS, "channel_id": "U0ALICE"}, "is not a slack#/types/channel_id"),
        ({**INPUTS, "mode": "shuffle"}, "is not one of ['move', 'copy']"),
    ],
)
def test_inputs_that_workflow_builder_could_not_send_are_a_test_bug(
    slack: FakeSlack, inputs: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValueError, match="do not match the manifest") as err:
        slack.functions.start_step(callback_id="sample_step", inputs=inputs)
    assert problem in str(err.value)
    with pytest.raises(ValueError, match="declares no function 'nope'"):
        slack.functions.start_step(callback_id="nope")
    assert slack.functions.executions() == []


def test_the_repos_manifest_is_read_by_default() -> None:
    with FakeSlack() as fake:
        for callback_id in ("move_instantly_leads", "instantly_places"):
            assert fake.functions.spec(callback_id).callback_id == callback_id
        options = {p.name: p.type for p in fake.functions.spec("instantly_places").outputs}
        assert options.get("options") == "slack#/types/options_select"


# ---------------------------------------------------------------------------------------------------- delivery


def test_a_step_runs_over_http_and_the_app_completes_it(slack: FakeSlack, step_app: StepApp) -> None:
    run = slack.run_step(step_app.url, callback_id="sample_step", inputs=INPUTS)

    assert [r.status for r in run.responses] == [200]
    assert slack.functions.wait_for_end(run.function_execution_id, timeout=5) is run
    assert (run.state, run.outputs, run.error) == ("completed", {**OUTPUTS, "job_number": 5}, None)
    # Bolt hands the listener a client that carries the run's own token, from the event.
    assert step_app.seen == [{"inputs": INPUTS, "token": run.token}]
    assert len(slack.calls_to("functions.completeSuccess")) == 1
    assert slack.violations == []


def test_a_step_runs_over_socket_mode_and_the_app_fails_it(slack: FakeSlack, step_app: StepApp) -> None:
    step_app.connect()
    step_app.fail_with = "Instantly is not connected"

    run = slack.socket_run_step(callback_id="sample_step", inputs=INPUTS)

    assert [r.status for r in run.responses] == [200]
    slack.functions.wait_for_end(run.function_execution_id, timeout=5)
    assert (run.state, run.outputs, run.error) == ("failed", None, "Instantly is not connected")
    assert step_app.seen[0]["token"] == run.token
    assert slack.violations == []


class _Recorder(BaseHTTPRequestHandler):
    """An app that keeps every delivery (body and retry header) and answers 200."""

    deliveries: list[tuple[dict[str, Any], str | None]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).deliveries.append((body, self.headers.get("X-Slack-Retry-Num")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_a_redelivery_is_the_very_same_event(slack: FakeSlack) -> None:
    _Recorder.deliveries = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/slack/events"
    try:
        run = slack.run_step(url, callback_id="sample_step", inputs=INPUTS)
        slack.functions.deliver(url, run.function_execution_id)
    finally:
        server.shutdown()
        server.server_close()
    (first, first_retry), (again, again_retry) = _Recorder.deliveries
    assert again == first == run.envelope  # same event_id, execution ids and token
    assert (first_retry, again_retry) == (None, "1")
    assert first["event"]["function_execution_id"] == run.function_execution_id
    assert len(run.responses) == 2
    assert run.state == "running"  # this app never completes it
    with pytest.raises(TimeoutError, match="still running"):
        slack.functions.wait_for_end(run.function_execution_id, timeout=0.05)


# ---------------------------------------------------------------------------------------------------- the run's token


def test_the_run_token_works_while_the_run_runs_and_then_dies(slack: FakeSlack) -> None:
    run = slack.functions.start_step(callback_id="sample_step", inputs=INPUTS)
    client = as_app(slack, run.token)

    assert client.auth_test()["team_id"] == slack.team_id
    assert client.chat_postMessage(channel="C0SALES", text="Moving 5 leads")["ok"]  # acts for the bot meanwhile
    fx = run.function_execution_id
    assert client.functions_completeSuccess(function_execution_id=fx, outputs=OUTPUTS)["ok"]

    assert (run.state, run.outputs) == ("completed", OUTPUTS)
    assert refused(client.auth_test)["error"] == "invalid_auth"
    assert refused(lambda: client.chat_postMessage(channel="C0SALES", text="late"))["error"] == "invalid_auth"
    # Completing again, as an app that completes at least once does after a crash: the run is over.
    again = refused(lambda: client.functions_completeError(function_execution_id=fx, error="again"))
    assert again["error"] == "invalid_auth"
    assert (run.state, run.outputs, run.error) == ("completed", OUTPUTS, None)
    assert slack.violations == []  # Slack just answers; the app must take it as "already ended"


def test_a_completion_that_races_an_earlier_one_finds_the_run_ended(slack: FakeSlack) -> None:
    run = slack.functions.start_step(callback_id="sample_step", inputs=INPUTS)
    # Two completions whose token was checked while the run still ran: the second reaches a run that is over.
    grant = Grant(run.token, "workflow", slack.team_id, execution_id=run.function_execution_id)
    args = {"function_execution_id": run.function_execution_id, "outputs": json.dumps(OUTPUTS)}
    assert slack.functions.complete_success(args, slack.team(), grant) == {}
    with pytest.raises(ApiError) as err:
        slack.functions.complete_error({**args, "error": "too late"}, slack.team(), grant)
    assert err.value.error == "execution_not_in_running_state"
    assert (run.state, run.error) == ("completed", None)


# ---------------------------------------------------------------------------------------------------- refusals


def test_an_unknown_execution_is_not_found(slack: FakeSlack) -> None:
    run = slack.functions.start_step(callback_id="sample_step", inputs=INPUTS)
    answer = refused(
        lambda: as_app(slack, run.token).functions_completeSuccess(function_execution_id="Fx0NOSUCHRUN", outputs={})
    )
    assert answer["error"] == "function_execution_not_found"
    assert slack.violations == ["functions.completeSuccess: no function execution 'Fx0NOSUCHRUN'"]


def test_the_bot_token_cannot_complete_a_run(slack: FakeSlack) -> None:
    run = slack.functions.start_step(callback_id="sample_step", inputs=INPUTS)
    fx = run.function_execution_id
    answer = refused(
        lambda: as_app(slack, slack.bot_token).functions_completeSuccess(function_execution_id=fx, outputs=OUTPUTS)
    )
    assert answer["error"] == "not_allowed_token_type"
    assert run.state == "running"
    assert len(slack.violations) == 1
    assert "completed with a bot token" in slack.violations[0]
    assert "bot_access_token" in slack.violations[0]


def test_another_runs_token_cannot_complete_a_run(slack: FakeSlack) -> None:
    mine = slack.functions.start_step(callback_id="sample_step", inputs=INPUTS)
    other = slack.functions.start_step(callback_id="sample_step", inputs=INPUTS)
    fx = mine.function_execution_id
    answer = refused(lambda: as_app(slack, other.token).functions_completeError(function_execution_id=fx, error="no"))
    assert answer["error"] == "access_denied"
    assert (mine.state, other.state) == ("running", "running")
    theirs = other.function_execution_id
    assert slack.violations == [
        f"functions.completeError: {fx} completed with the workflow token of another run ({theirs})"
    ]


@pytest.mark.parametrize(
    ("outputs", "problem"),
    [
        ({"status": "completed"}, "missing required output 'job_number'"),
        ({**OUTPUTS, "job_number": "12"}, "job_number = '12' is not a integer"),
        ({**OUTPUTS, "job_number": True}, "job_number = True is not a integer"),
        ({**OUTPUTS, "status": None}, "status = None is not a string"),
        ({**OUTPUTS, "owner": "C0SALES"}, "owner = 'C0SALES' is not a slack#/types/user_id"),
        ({**OUTPUTS, "skipped": "false"}, "skipped = 'false' is not a boolean"),
        ({**OUTPUTS, "moved": 3}, "unknown output 'moved'"),
    ],
)
def test_outputs_must_match_the_output_parameters(slack: FakeSlack, outputs: dict[str, Any], problem: str) -> None:
    run = slack.functions.start_step(callback_id="sample_step", inputs=INPUTS)
    client, fx = as_app(slack, run.token), run.function_execution_id

    answer = refused(lambda: client.functions_completeSuccess(function_execution_id=fx, outputs=outputs))

    assert answer["error"] == "parameter_validation_failed"
    assert problem in answer["response_metadata"]["messages"]
    assert len(slack.violations) == 1
    assert problem in slack.violations[0]
    assert run.state == "running"  # refused: the app can still complete it properly, with its still-live token
    assert client.functions_completeSuccess(function_execution_id=fx, outputs=OUTPUTS)["ok"]


def test_outputs_in_a_json_body_are_an_object(slack: FakeSlack) -> None:
    run = slack.functions.start_step(callback_id="sample_step", inputs=INPUTS)
    answer = httpx.post(
        f"{slack.api_url}functions.completeSuccess",
        json={"function_execution_id": run.function_execution_id, "outputs": OUTPUTS},
        headers={"Authorization": f"Bearer {run.token}"},
        timeout=5,
    ).json()
    assert answer == {"ok": True}
    assert run.outputs == OUTPUTS


@pytest.mark.parametrize("error", ["", "   "])
def test_an_error_needs_words(slack: FakeSlack, error: str) -> None:
    run = slack.functions.start_step(callback_id="sample_step", inputs=INPUTS)
    fx = run.function_execution_id
    answer = refused(lambda: as_app(slack, run.token).functions_completeError(function_execution_id=fx, error=error))
    assert answer["error"] == "invalid_arguments"
    assert run.state == "running"
    assert len(slack.violations) == 1
    assert "error must be a non-empty message" in slack.violations[0]


# ---------------------------------------------------------------------------------------------------- dynamic options


def test_dynamic_options_over_http(slack: FakeSlack, step_app: StepApp) -> None:
    options = slack.load_step_options(step_app.url, callback_id="sample_step", input_name="source", query="cold")

    assert options == [option("Campaign cold", "campaign:c1")]
    [run] = slack.functions.executions("sample_options")
    assert (run.inputs, run.state) == ({"query": "cold"}, "completed")  # dynamic_options.inputs, filled in
    assert slack.violations == []


def test_dynamic_options_over_socket_mode(slack: FakeSlack, step_app: StepApp) -> None:
    step_app.connect()
    options = slack.load_step_options(None, callback_id="sample_step", input_name="source", query="warm")
    assert options == [option("Campaign warm", "campaign:c1")]
    assert slack.violations == []


def test_dynamic_options_must_be_completed_before_the_ack(slack: FakeSlack) -> None:
    app = App(client=WebClient(token=slack.bot_token, base_url=slack.api_url), signing_secret=slack.signing_secret)

    @app.function("sample_options")  # auto_acknowledge: Bolt acks first, and the listener completes afterwards
    def late(complete: Complete) -> None:
        time.sleep(0.3)
        complete(outputs={"options": [option("Late", "late")]})

    handler = SocketModeHandler(app, slack.app_token)
    handler.connect()  # type: ignore[no-untyped-call]
    try:
        assert slack.wait_for_socket(timeout=5)
        assert slack.load_step_options(None, callback_id="sample_step", input_name="source") == [option("Late", "late")]
    finally:
        handler.close()  # type: ignore[no-untyped-call]
    assert len(slack.violations) == 1
    assert "acked before the run was completed" in slack.violations[0]


def test_a_menu_without_dynamic_options_is_a_test_bug(slack: FakeSlack) -> None:
    with pytest.raises(ValueError, match="takes no dynamic options"):
        slack.load_step_options(None, callback_id="sample_step", input_name="count")
    with pytest.raises(ValueError, match="has no input 'nope'"):
        slack.load_step_options(None, callback_id="sample_step", input_name="nope")


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"text": "Cold", "value": "c1"}, "must be a list of option objects"),
        (["Cold"], "options[0] is not an option object"),
        ([{"text": "Cold", "value": "c1"}], "options[0].text must be a plain_text object"),
        ([{"text": {"type": "mrkdwn", "text": "*Cold*"}, "value": "c1"}], "options[0].text must be a plain_text"),
        ([option("", "c1")], "options[0].text.text must be 1 to 75 characters"),
        ([option("x" * 76, "c1")], "options[0].text.text must be 1 to 75 characters"),
        ([{"text": {"type": "plain_text", "text": "Cold"}}], "options[0].value must be a string of 1 to 150"),
        ([option("Cold", "c" * 151)], "options[0].value must be a string of 1 to 150"),
        ([{**option("Cold", "c1"), "url": "https://x"}], "fields an option does not take: ['url']"),
        ([{**option("Cold", "c1"), "description": "plain"}], "options[0].description must be a plain_text"),
    ],
)
def test_options_are_block_kit_option_objects(slack: FakeSlack, options: Any, problem: str) -> None:
    run = slack.functions.start_step(callback_id="sample_options")
    client, fx = as_app(slack, run.token), run.function_execution_id

    answer = refused(lambda: client.functions_completeSuccess(function_execution_id=fx, outputs={"options": options}))

    assert answer["error"] == "parameter_validation_failed"
    assert len(slack.violations) == 1
    assert problem in slack.violations[0]
    described = {**option("Cold", "c1"), "description": {"type": "plain_text", "text": "Paused"}}
    assert client.functions_completeSuccess(function_execution_id=fx, outputs={"options": [described]})["ok"]

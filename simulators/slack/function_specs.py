"""The app's custom step definitions, read from its manifest (``functions:``), the checks Slack makes against them (the
inputs a test starts a run with, the outputs the app completes a run with), and the record of one run.

Parameters come in either manifest form: v1's flat ``{name: {type, title, is_required, …}}``, or v2's
``{properties: {name: {…}}, required: [names]}``. A value is checked against its parameter's ``type`` (and ``enum``);
types the fake does not model are taken as they come. ``slack#/types/options_select`` is a list of Block Kit option
objects, as Slack's docs show dynamic options: ``{"text": {"type": "plain_text", "text": …}, "value": …}``.
"""

from __future__ import annotations

import re
import secrets
import string
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from simulators.slack.delivery import AppResponse
from simulators.slack.protocol import JSON, ApiError, decode_arg, is_id

DEFAULT_MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"
_ID_TYPES = {  # Slack id types and the first letters of the ids they take
    "slack#/types/user_id": "UW",
    "slack#/types/channel_id": "CGD",
    "slack#/types/usergroup_id": "S",
    "slack#/types/team_id": "T",
}
_OPTION_TEXT_MAX, _OPTION_VALUE_MAX = 75, 150  # Block Kit's option object
State = Literal["running", "completed", "failed"]
_TEMPLATE = re.compile(r"\{\{\s*(?:input_parameters\.(?P<input>\w+)|client\.(?P<client>query|builder_context))\s*\}\}")


@dataclass
class Execution:
    """One run of a function (a function execution), as Slack keeps it; `state`, `outputs` and `error` change when
    the app completes it, `responses` holds the app's answer to each delivery of its event."""

    function_execution_id: str
    workflow_execution_id: str
    token: str  # the run's workflow token: the event's bot_access_token
    callback_id: str
    team_id: str
    inputs: JSON
    envelope: JSON = field(repr=False)  # the event_callback delivered (again, on retry) to the app
    state: State = "running"
    outputs: JSON | None = None
    error: str | None = None
    responses: list[AppResponse] = field(default_factory=list, repr=False)
    ended: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    @property
    def event(self) -> JSON:
        return dict(self.envelope["event"])


@dataclass(frozen=True)
class Param:
    """One input or output parameter of a function, as the manifest declares it."""

    name: str
    type: str
    is_required: bool
    declared: JSON  # everything the manifest says about it (title, description, enum, dynamic_options, …)

    def wire(self) -> JSON:
        """The parameter as function_executed lists it: type, name, description and title (when declared),
        is_required."""
        shown: JSON = {"type": self.type, "name": self.name}
        shown |= {key: self.declared[key] for key in ("description", "title") if key in self.declared}
        return shown | {"is_required": self.is_required}


@dataclass(frozen=True)
class FunctionSpec:
    """One function (custom step) of the manifest."""

    callback_id: str
    title: str
    description: str | None
    inputs: tuple[Param, ...]
    outputs: tuple[Param, ...]

    def input(self, name: str) -> Param:
        for param in self.inputs:
            if param.name == name:
                return param
        raise ValueError(f"function {self.callback_id} has no input {name!r} (it has {[p.name for p in self.inputs]})")


def load_functions(path: Path) -> dict[str, FunctionSpec]:
    """Every function the manifest at `path` declares, by callback id."""
    import yaml  # a dev dependency: only the fake's custom steps read the manifest

    manifest = yaml.safe_load(path.read_text()) or {}
    functions = manifest.get("functions") or {}
    if not isinstance(functions, dict):
        raise ValueError(f"{path}: functions is not a mapping of callback ids to definitions")
    return {str(callback_id): _spec(str(callback_id), body or {}) for callback_id, body in functions.items()}


def _spec(callback_id: str, body: JSON) -> FunctionSpec:
    description = body.get("description")
    return FunctionSpec(
        callback_id=callback_id,
        title=str(body.get("title") or callback_id),
        description=None if description is None else str(description),
        inputs=_params(body.get("input_parameters")),
        outputs=_params(body.get("output_parameters")),
    )


def _params(raw: Any) -> tuple[Param, ...]:
    raw = raw or {}
    if isinstance(raw.get("properties"), dict) and "type" not in raw["properties"]:  # v2: properties + required
        required = set(raw.get("required") or [])
        items = [(name, body or {}, name in required) for name, body in raw["properties"].items()]
    else:
        items = [(name, body or {}, bool((body or {}).get("is_required"))) for name, body in raw.items()]
    return tuple(Param(str(name), str(body.get("type", "")), req, dict(body)) for name, body, req in items)


def function_object(spec: FunctionSpec, *, function_id: str, app_id: str, at: int) -> JSON:
    """The ``function`` of a function_executed event: the app's function as Slack stores it."""
    shown: JSON = {"id": function_id, "callback_id": spec.callback_id, "title": spec.title}
    if spec.description is not None:
        shown["description"] = spec.description
    return shown | {
        "type": "app",
        "input_parameters": [param.wire() for param in spec.inputs],
        "output_parameters": [param.wire() for param in spec.outputs],
        "app_id": app_id,
        "date_created": at,
        "date_updated": at,
        "date_deleted": 0,
    }


def decode_outputs(method: str, args: JSON) -> JSON:
    """functions.completeSuccess's ``outputs``: an object (a JSON string in a form body); else Slack's refusal."""
    if args.get("outputs") is None:
        raise ApiError("invalid_arguments", violation=f"{method}: no outputs (send {{}} when there are none)")
    try:
        outputs = decode_arg(args, "outputs", error="invalid_arguments")
    except ApiError:
        raise ApiError("invalid_arguments", violation=f"{method}: outputs is not JSON") from None
    if not isinstance(outputs, dict):
        raise ApiError("invalid_arguments", violation=f"{method}: outputs is not an object: {outputs!r:.80}")
    return outputs


def check_inputs(spec: FunctionSpec, inputs: Mapping[str, Any]) -> None:
    """ValueError unless `inputs` are what Workflow Builder could start `spec` with: a test's mistake, not the app's."""
    problems = _problems(spec.inputs, inputs, "input")
    if problems:
        raise ValueError(f"inputs of {spec.callback_id} do not match the manifest: {'; '.join(problems)}")


def output_problems(spec: FunctionSpec, outputs: Mapping[str, Any]) -> list[str]:
    """Why `outputs` do not conform to the function's output_parameters (empty when they do)."""
    return _problems(spec.outputs, outputs, "output")


def _problems(params: tuple[Param, ...], values: Mapping[str, Any], kind: str) -> list[str]:
    declared = {param.name: param for param in params}
    problems = [f"unknown {kind} {name!r}" for name in values if name not in declared]
    problems += [f"missing required {kind} {p.name!r}" for p in params if p.is_required and p.name not in values]
    problems += [problem for name, value in values.items() if (problem := value_problem(declared.get(name), value))]
    return problems


def value_problem(param: Param | None, value: Any) -> str | None:
    """Why `value` is not of `param`'s declared type (None when it is, or when the fake does not model the type)."""
    if param is None:
        return None
    kind, shown = param.type, f"{param.name} = {value!r:.80}"
    if kind == "slack#/types/options_select":
        return _options_problem(param.name, value)
    checks = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "slack#/types/timestamp": isinstance(value, int) and not isinstance(value, bool),
    }
    if kind in _ID_TYPES:
        checks[kind] = isinstance(value, str) and is_id(value, _ID_TYPES[kind])
    if kind in checks and not checks[kind]:
        return f"{shown} is not a {kind}"
    enum, items = param.declared.get("enum"), param.declared.get("items")
    if isinstance(enum, list) and value not in enum:
        return f"{shown} is not one of {enum}"
    if kind == "array" and isinstance(items, dict):
        each = (Param(f"{param.name}[{i}]", str(items.get("type", "")), True, items) for i in range(len(value)))
        return next((problem for item, p in zip(value, each, strict=True) if (problem := value_problem(p, item))), None)
    return None


def _options_problem(name: str, options: Any) -> str | None:
    if not isinstance(options, list):
        return f"{name} (options_select) must be a list of option objects, not {type(options).__name__}"
    for index, option in enumerate(options):
        where = f"{name}[{index}]"
        if not isinstance(option, dict):
            return f"{where} is not an option object"
        extra = sorted(set(option) - {"text", "value", "description"})
        value = option.get("value")
        problem = f"{where} has fields an option does not take: {extra}" if extra else None
        problem = problem or _plain_text(option.get("text"), f"{where}.text")
        if problem is None and "description" in option:
            problem = _plain_text(option["description"], f"{where}.description")
        if problem is None and not (isinstance(value, str) and 0 < len(value) <= _OPTION_VALUE_MAX):
            problem = f"{where}.value must be a string of 1 to {_OPTION_VALUE_MAX} characters, not {value!r:.80}"
        if problem:
            return problem
    return None


def _plain_text(text: Any, where: str) -> str | None:
    if not isinstance(text, dict) or text.get("type") != "plain_text" or set(text) - {"type", "text", "emoji"}:
        return f"{where} must be a plain_text object ({{'type': 'plain_text', 'text': ...}}), not {text!r:.80}"
    words = text.get("text")
    if not isinstance(words, str) or not 0 < len(words) <= _OPTION_TEXT_MAX:
        return f"{where}.text must be 1 to {_OPTION_TEXT_MAX} characters, not {words!r:.80}"
    return None


def options_source(param: Param, *, values: Mapping[str, Any], query: str, builder_id: str) -> tuple[str, JSON]:
    """The function that serves `param`'s dynamic options, and the inputs Slack runs it with: its
    ``dynamic_options.inputs``, each ``{"value": …}`` with ``{{input_parameters.<name>}}`` (what the builder has set so
    far; left out while unset), ``{{client.query}}`` (what they typed) or ``{{client.builder_context}}`` filled in."""
    dynamic = param.declared.get("dynamic_options")
    reference = str(dynamic.get("function") or "") if isinstance(dynamic, dict) else ""
    if not isinstance(dynamic, dict) or not reference.startswith("#/functions/"):
        raise ValueError(f"input {param.name!r} takes no dynamic options from one of the app's own functions")
    declared = dynamic.get("inputs") or {}
    resolved: JSON = {}
    for name, spec in declared.items():
        template = spec.get("value") if isinstance(spec, dict) else spec
        found = _TEMPLATE.fullmatch(template) if isinstance(template, str) else None
        if found is None:
            resolved[name] = template
        elif found["input"] is not None:
            if found["input"] in values:
                resolved[name] = values[found["input"]]
        elif found["client"] == "query":
            resolved[name] = query
        else:
            resolved[name] = {"id": builder_id, "secret": f"fake-secret-{builder_id}"}
    return reference.removeprefix("#/functions/"), resolved


def new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(10))

"""Instantly API v2 contract checks for the simulator, driven by the OpenAPI document bundled with this package.

Finds the operation for a request, validates its query string and JSON body (with every request object closed
to unknown fields) and checks the simulator's own replies against the documented response schemas.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any, cast
from urllib.parse import unquote

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry
from referencing.jsonschema import DRAFT202012

SPEC_RESOURCE = "instantly-openapi.json"  # package data of simulators.instantly
_SPEC_URI = "urn:leadmover:instantly-openapi"
# Request bodies are checked against a second copy of the document in which objects are closed, so that a
# misspelt field fails loudly here instead of being silently ignored by the real API.
_CLOSED_URI = "urn:leadmover:instantly-openapi:closed"
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})

_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_SUBSCHEMAS = ("items", "contains", "not", "if", "then", "else", "additionalProperties", "propertyNames")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_INTEGER = re.compile(r"-?\d+")
_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


class ContractError(Exception):
    """A request that breaks the published contract; carries the HTTP status Instantly would answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Operation:
    """One documented method + path template, with JSON pointers to the schemas that govern it."""

    method: str
    template: str
    pattern: re.Pattern[str]
    query_params: dict[str, tuple[dict[str, Any], bool, str]]  # name -> (schema, required, pointer)
    body_pointer: str | None
    body_required: bool
    response_pointers: dict[int, str]

    @property
    def literal_segments(self) -> int:
        return sum(1 for part in self.template.split("/") if part and not part.startswith("{"))


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _pointer(*parts: str) -> str:
    return "".join("/" + _escape(part) for part in parts)


def _types(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type", [])
    return [declared] if isinstance(declared, str) else list(declared)


def _close_objects(schema: object) -> None:
    if not isinstance(schema, dict):
        return
    for key in _SUBSCHEMA_MAPS:
        for sub in schema.get(key, {}).values():
            _close_objects(sub)
    for key in _SUBSCHEMAS:
        _close_objects(schema.get(key))
    for key in _SUBSCHEMA_LISTS:
        for sub in schema.get(key, []):
            _close_objects(sub)
    is_object = "object" in _types(schema) or "properties" in schema
    # Closing a schema that composes others would reject the fields those others allow.
    composed = any(key in schema for key in ("allOf", "anyOf", "oneOf", "$ref"))
    already_decided = any(
        key in schema for key in ("additionalProperties", "patternProperties", "unevaluatedProperties")
    )
    if is_object and not composed and not already_decided:
        schema["additionalProperties"] = False


def _error_path(prefix: str, error: ValidationError) -> str:
    return prefix + "".join(f"/{part}" for part in error.absolute_path)


def _coerce(raw: str, schema: dict[str, Any]) -> Any:
    """Turn a query-string value into the JSON type its schema asks for, as Instantly's server does."""
    types = _types(schema)
    if "integer" in types and _INTEGER.fullmatch(raw):
        return int(raw)
    if "number" in types and _NUMBER.fullmatch(raw):
        number = float(raw)
        return int(number) if number.is_integer() else number
    if "boolean" in types and raw in ("true", "false"):
        return raw == "true"
    return raw


class InstantlySpec:
    """The bundled Instantly OpenAPI document, compiled into request and response checks."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        closed = copy.deepcopy(document)
        for schema in closed.get("components", {}).get("schemas", {}).values():
            _close_objects(schema)
        for path_item in closed.get("paths", {}).values():
            for method, operation in path_item.items():
                if method in _HTTP_METHODS:
                    for media in operation.get("requestBody", {}).get("content", {}).values():
                        _close_objects(media.get("schema"))
        registry: Registry[Any] = Registry().with_resources(
            [
                (_SPEC_URI, DRAFT202012.create_resource(document)),
                (_CLOSED_URI, DRAFT202012.create_resource(closed)),
            ]
        )
        self._registry = registry
        self._closed = closed
        self._validators: dict[str, Draft202012Validator] = {}
        self.operations = list(self._read_operations())
        # Literal paths must win over templates (`/campaigns/analytics` is not the campaign "analytics").
        self.operations.sort(key=lambda op: -op.literal_segments)

    def _validator(self, uri: str, pointer: str) -> Draft202012Validator:
        key = f"{uri}#{pointer}"
        validator = self._validators.get(key)
        if validator is None:
            validator = Draft202012Validator({"$ref": key}, registry=self._registry, format_checker=FormatChecker())
            self._validators[key] = validator
        return validator

    def _resolve(self, schema: dict[str, Any], *, document: dict[str, Any] | None = None) -> dict[str, Any]:
        ref = schema.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return schema
        node: Any = self.document if document is None else document
        for part in ref[2:].split("/"):
            key = unquote(part).replace("~1", "/").replace("~0", "~")
            node = node[int(key)] if isinstance(node, list) else node[key]
        return cast(dict[str, Any], node)

    def _read_operations(self) -> Iterable[Operation]:
        for template, path_item in self.document.get("paths", {}).items():
            regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
            for method, operation in path_item.items():
                if method not in _HTTP_METHODS:
                    continue
                query_params = {
                    param["name"]: (
                        self._resolve(param.get("schema", {})),
                        bool(param.get("required")),
                        _pointer("paths", template, method, "parameters", str(index), "schema"),
                    )
                    for index, param in enumerate(operation.get("parameters", []))
                    if param.get("in") == "query"
                }
                body = operation.get("requestBody", {})
                body_pointer = None
                if "application/json" in body.get("content", {}):
                    body_pointer = _pointer(
                        "paths", template, method, "requestBody", "content", "application/json", "schema"
                    )
                responses = {
                    int(status): _pointer(
                        "paths",
                        template,
                        method,
                        "responses",
                        status,
                        "content",
                        "application/json",
                        "schema",
                    )
                    for status, answer in operation.get("responses", {}).items()
                    if status.isdigit() and "application/json" in answer.get("content", {})
                }
                yield Operation(
                    method=method.upper(),
                    template=template,
                    pattern=re.compile(f"^{regex}$"),
                    query_params=query_params,
                    body_pointer=body_pointer,
                    body_required=bool(body.get("required")),
                    response_pointers=responses,
                )

    def compile_all(self) -> None:
        """Build every validator up front, so that a broken spec fails at start-up rather than mid-test."""
        for op in self.operations:
            pointers = [(_SPEC_URI, pointer) for _, _, pointer in op.query_params.values()]
            pointers += [(_SPEC_URI, pointer) for pointer in op.response_pointers.values()]
            if op.body_pointer:
                pointers.append((_CLOSED_URI, op.body_pointer))
            for uri, pointer in pointers:
                document = self._closed if uri == _CLOSED_URI else self.document
                Draft202012Validator.check_schema(self._resolve({"$ref": "#" + pointer}, document=document))
                self._validator(uri, pointer)

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]]:
        """The operation for `method path` and its decoded path parameters; 404 like Fastify otherwise."""
        for op in self.operations:
            found = op.pattern.match(path)
            if found and op.method == method:
                return op, {name: unquote(value) for name, value in found.groupdict().items()}
        raise ContractError(404, f"Route {method}:{path} not found")

    def check_query(self, op: Operation, query: dict[str, list[str]]) -> dict[str, Any]:
        """Validated query parameters, converted to the JSON types their schemas declare."""
        converted: dict[str, Any] = {}
        for name, values in query.items():
            if name not in op.query_params:
                raise ContractError(400, f"querystring/{name} is not a documented parameter")
            schema = op.query_params[name][0]
            if "array" in _types(schema):
                item_schema = self._resolve(schema.get("items", {}))
                converted[name] = [_coerce(value, item_schema) for value in values]
            elif len(values) > 1:
                raise ContractError(400, f"querystring/{name} must not be repeated")
            else:
                converted[name] = _coerce(values[0], schema)
        for name, (_, required, pointer) in op.query_params.items():
            if name not in converted:
                if required:
                    raise ContractError(400, f"querystring must have required property '{name}'")
                continue
            error = best_match(self._validator(_SPEC_URI, pointer).iter_errors(converted[name]))
            if error is not None:
                raise ContractError(400, f"{_error_path(f'querystring/{name}', error)} {error.message}")
        return converted

    def check_body(self, op: Operation, raw: bytes, content_type: str | None) -> Any:
        """The parsed JSON body (None when there is none), validated against the closed request schema."""
        if not raw:
            if op.body_required:
                raise ContractError(400, "body must be object")
            return None
        if op.body_pointer is None:
            raise ContractError(400, f"{op.method} {op.template} takes no request body")
        if content_type is None or content_type.split(";")[0].strip().lower() != "application/json":
            raise ContractError(415, f"Unsupported Media Type: {content_type or 'none'}")
        try:
            body = json.loads(raw, parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ContractError(400, f"Body is not valid JSON: {exc}") from exc
        error = best_match(self._validator(_CLOSED_URI, op.body_pointer).iter_errors(body))
        if error is not None:
            raise ContractError(400, f"{_error_path('body', error)} {error.message}")
        return body

    def check_response(
        self, op: Operation, status: int, payload: Any, *, tolerated: Collection[object] = ()
    ) -> list[str]:
        """Problems with a reply we are about to send; `tolerated` enum values are deliberate extensions."""
        pointer = op.response_pointers.get(status)
        if pointer is None:
            return []
        problems = []
        for error in self._validator(_SPEC_URI, pointer).iter_errors(payload):
            if error.validator == "enum" and error.instance in tolerated:
                continue
            problems.append(f"{_error_path('response', error)} {error.message}")
        return problems

    def body_property(self, method: str, template: str, name: str) -> dict[str, Any]:
        """The raw request-body schema of one property, e.g. to read vendor extensions from it."""
        for op in self.operations:
            if op.method == method and op.template == template and op.body_pointer:
                properties = self._resolve({"$ref": "#" + op.body_pointer}).get("properties", {})
                return cast(dict[str, Any], properties.get(name, {}))
        raise KeyError(f"{method} {template} has no body property {name}")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


@functools.cache
def load_spec() -> InstantlySpec:
    """The packaged spec, parsed and compiled once per process (it is read-only afterwards)."""
    text = resources.files("simulators.instantly").joinpath(SPEC_RESOURCE).read_text(encoding="utf-8")
    spec = InstantlySpec(json.loads(text))
    spec.compile_all()
    return spec

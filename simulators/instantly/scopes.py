"""API key scopes as Instantly enforces them: which scopes each operation accepts, read from the OpenAPI spec's
descriptions, and whether a key's scopes (wildcards included) grant one of them."""

from __future__ import annotations

import re
from collections.abc import Iterable

from simulators.instantly.spec import InstantlySpec, Operation

ALL_SCOPES = frozenset({"all:all"})
# Instantly writes each operation's scopes into its description, e.g.
# "Requires one of the following scopes: `leads:read`, `leads:all`, `all:read`, `all:all`".
_REQUIREMENT = re.compile(r"Requires one of the following scopes:\s*((?:`[^`]+`[\s,]*)+)")
_QUOTED = re.compile(r"`([^`]+)`")
_SCOPE = re.compile(r"[a-z][a-z_-]*:[a-z][a-z_-]*")
_WILDCARD = "all"


def parse_scopes(scopes: Iterable[str] | None) -> frozenset[str]:
    """A key's scopes, checked for shape so that a typo in a test fails there; None means every scope."""
    if scopes is None:
        return ALL_SCOPES
    parsed = frozenset(scopes)
    malformed = sorted(scope for scope in parsed if not _SCOPE.fullmatch(scope))
    if malformed:
        raise ValueError(f"scopes look like resource:action (e.g. leads:read), not {malformed}")
    return parsed


def grants(held: str, required: str) -> bool:
    """Whether one held scope covers one required scope: each half matches or is the wildcard `all`.

    So `leads:all` covers `leads:update`, `all:read` covers every `*:read`, `all:update` every `*:update` and
    `all:all` everything, while `leads:update` does not cover `leads:read`.
    """
    held_resource, _, held_action = held.partition(":")
    resource, _, action = required.partition(":")
    return held_resource in (resource, _WILDCARD) and held_action in (action, _WILDCARD)


class ScopeRules:
    """The scopes each documented operation accepts (any one of them will do)."""

    def __init__(self, spec: InstantlySpec) -> None:
        documented: dict[tuple[str, str], tuple[str, ...]] = {}
        for op in spec.operations:
            description = spec.document["paths"][op.template][op.method.lower()].get("description", "")
            found = _REQUIREMENT.search(description)
            if found:
                documented[(op.method, op.template)] = tuple(_QUOTED.findall(found.group(1)))
        self._accepted = {
            (op.method, op.template): documented.get((op.method, op.template)) or _borrowed(op, documented)
            for op in spec.operations
        }

    def accepted(self, op: Operation) -> tuple[str, ...]:
        """The scopes that let a key call `op`, in the spec's order."""
        return self._accepted[(op.method, op.template)]

    def missing(self, op: Operation, held: frozenset[str]) -> tuple[str, ...] | None:
        """None when `held` may call `op`; otherwise the scopes it would need one of."""
        accepted = self._accepted[(op.method, op.template)]
        if any(grants(scope, need) for scope in held for need in accepted):
            return None
        return accepted


def _borrowed(op: Operation, documented: dict[tuple[str, str], tuple[str, ...]]) -> tuple[str, ...]:
    """Scopes for an operation whose description names none (GET /campaigns/analytics and
    GET /lead-lists/{id}/verification-stats in the bundled spec).

    Instantly guards a resource's sub-paths like the resource itself, so take the scopes of the nearest documented
    operation with the same method above it in the path: analytics reads campaigns (`campaigns:read`, ...) and
    verification stats read a lead list (`lead_lists:read`, ...). With no such operation only `all:all` passes:
    a guess that errs on refusing, and whose 403 says what it wanted.
    """
    parts = op.template.split("/")
    for cut in range(len(parts) - 1, 0, -1):
        scopes = documented.get((op.method, "/".join(parts[:cut])))
        if scopes:
            return scopes
    return tuple(ALL_SCOPES)

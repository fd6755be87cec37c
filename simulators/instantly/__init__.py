"""A loopback fake of Instantly API v2 for `leadmover demo` and the tests, checked against Instantly's OpenAPI spec."""

from simulators.instantly.server import (
    INSTANTLY_RATE_LIMITS,
    MOVE_PATH,
    FakeInstantly,
    InstantlyWorkspace,
    RecordedRequest,
)

__all__ = ["INSTANTLY_RATE_LIMITS", "MOVE_PATH", "FakeInstantly", "InstantlyWorkspace", "RecordedRequest"]

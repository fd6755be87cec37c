"""The log as an operator reads it, with the real logging set-up: at DEBUG, with slack_sdk's wire lines on, an install
by OAuth with rotating tokens and their refresh leaves no token or secret in it; and a redirect's query cannot forge a
line of it."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from app.local_stack import LocalStack, local_stack
from bot import logs
from tests.e2e.tenants import connect, install_tenant

ACME = "T0ACME"
KEY = "acme-instantly-key-000001"
FORGED = "2026-01-01 00:00:00,000 ERROR app.bolt_app: forged"


@contextmanager
def logged(stack: LocalStack, *, level: str, wire_debug: bool = False) -> Iterator[io.StringIO]:
    """What `leadmover serve` writes to stderr, from now until the block ends; the process's logging is put back."""
    root = logging.getLogger()
    handlers, root_level = root.handlers[:], root.level
    tuned = {name: logging.getLogger(name).level for name in (*logs.WIRE_LOGGERS, *logs.QUIET_LOGGERS)}
    stream = io.StringIO()
    logs.configure(level=level, secrets=stack.settings.secret_values(), wire_debug=wire_debug, stream=stream)
    try:
        yield stream
    finally:
        root.handlers[:] = handlers
        root.setLevel(root_level)
        for name, was in tuned.items():
            logging.getLogger(name).setLevel(was)


def test_no_token_or_secret_reaches_the_log_at_debug_through_an_install_and_its_refreshes(tmp_path: Path) -> None:
    # Tokens live 200 s and are refreshed in their last 300 s: every look-up of the install refreshes it.
    with (
        local_stack(
            database_url=f"sqlite:///{tmp_path / 'logs.db'}",
            oauth=True,
            slack_options={"token_rotation": True, "token_lifetime_seconds": 200},
            slack_token_refresh_minutes=5,
        ) as stack,
        logged(stack, level="DEBUG", wire_debug=True) as output,
    ):
        acme = install_tenant(stack, ACME, "Acme Corp", KEY, "Acme Q1 outbound", "Acme parked")
        assert connect(stack, acme).json()["response_action"] == "update"
        exchanges = [e for e in stack.slack.oauth_exchanges if e.ok]
        assert {e.grant_type for e in exchanges} == {"authorization_code", "refresh_token"}
        assert stack.slack.violations == []
    text = output.getvalue()
    # slack_sdk's wire lines were there, oauth.v2.access's answers among them, to leak whatever they carry.
    assert "Received the following response" in text
    secrets = {
        "client secret": stack.slack.client_secret,
        "signing secret": stack.slack.signing_secret,
        "encryption key": stack.settings.encryption_keys()[0],
        "Instantly key": KEY,
    }
    for exchange in exchanges:
        secrets[f"{exchange.grant_type} bot token"] = exchange.access_token
        secrets[f"{exchange.grant_type} refresh token"] = exchange.refresh_token
    leaked = [what for what, secret in secrets.items() if secret and secret in text]
    assert leaked == []
    assert '"access_token": "xoxe.xoxb-[redacted]"' in text


def test_a_line_break_in_the_redirects_error_forges_no_log_line(tmp_path: Path) -> None:
    with local_stack(database_url=f"sqlite:///{tmp_path / 'forged.db'}", oauth=True) as stack:
        with logged(stack, level="INFO") as output:
            answer = httpx.get(
                f"{stack.base_url}/slack/oauth_redirect", params={"error": f"access_denied\n{FORGED}", "state": "s"}
            )
        assert "%0A" in str(answer.request.url)
        assert stack.services.installations is not None
        assert stack.services.installations.bot_token(team_id=ACME) is None
    lines = output.getvalue().splitlines()
    assert [line for line in lines if "forged" in line] == [
        next(line for line in lines if line.endswith(f"an install did not complete: access_denied\\n{FORGED}"))
    ]
    assert not [line for line in lines if line.startswith(FORGED)]

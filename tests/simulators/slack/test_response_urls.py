"""Slash commands' response_url: issued with each command, good for five posts, each body checked like a message."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import httpx
import pytest

from simulators.loopback import Request
from simulators.slack import FakeSlack
from simulators.slack.response_urls import ResponseUrls, message_errors
from tests.simulators.slack.samples import BoltApp

JSON_TYPE = {"content-type": "application/json"}


@pytest.fixture
def urls() -> tuple[ResponseUrls, list[str]]:
    reported: list[str] = []
    return ResponseUrls(base_url=lambda: "http://127.0.0.1:9", report=reported.append), reported


def _post(urls: ResponseUrls, url: str, body: bytes, headers: dict[str, str] = JSON_TYPE) -> tuple[int, str]:
    reply = urls.respond(url.rsplit("/", 1)[1], Request("POST", "/response/x", headers, body))
    assert reply.headers["Content-Type"].startswith("text/plain")
    return reply.status, reply.body.decode()


def test_response_url_takes_five_posts_and_checks_blocks(fake: FakeSlack, bolt: BoltApp) -> None:
    fake.send_command(bolt.url, text="")
    assert fake.wait_for(lambda: bool(fake.responses), timeout=5)
    url = bolt.commands[0]["response_url"]
    bad = httpx.post(url, json={"blocks": [{"type": "nope"}]}, timeout=5)
    assert (bad.status_code, bad.text) == (400, "invalid_blocks")
    for _ in range(3):
        assert httpx.post(url, json={"text": "again"}, timeout=5).status_code == 200
    used_up = httpx.post(url, json={"text": "once too often"}, timeout=5)
    assert (used_up.status_code, used_up.text) == (404, "used_url")
    assert len(fake.responses) == 5
    assert fake.violations[0] == "response_url: [ERROR] unknown block type 'nope' [json-pointer:/blocks/0/type]"
    assert fake.violations[1].startswith("response_url: unknown or used more than 5 times")


def test_each_issued_url_is_new_and_lives_under_the_base_url(urls: tuple[ResponseUrls, list[str]]) -> None:
    issuer, _ = urls
    first, second = issuer.issue(), issuer.issue()
    assert first.startswith("http://127.0.0.1:9/response/")
    assert first != second
    assert _post(issuer, first, b'{"text": "a"}') == (200, "ok")
    assert _post(issuer, second, b'{"text": "b"}') == (200, "ok")
    assert issuer.responses == [{"text": "a"}, {"text": "b"}]


def test_a_url_never_issued_is_404_no_service(urls: tuple[ResponseUrls, list[str]]) -> None:
    issuer, reported = urls
    assert _post(issuer, "http://127.0.0.1:9/response/forged", b'{"text": "a"}') == (404, "no_service")
    assert issuer.responses == []
    assert reported == ["response_url: unknown or used more than 5 times (forged)"]


def test_a_form_encoded_payload_is_read_like_json(urls: tuple[ResponseUrls, list[str]]) -> None:
    issuer, reported = urls
    body = urlencode({"payload": json.dumps({"text": "hi", "response_type": "in_channel"})}).encode()
    form = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
    assert _post(issuer, issuer.issue(), body, form) == (200, "ok")
    assert issuer.responses == [{"text": "hi", "response_type": "in_channel"}]
    assert reported == []


@pytest.mark.parametrize(
    ("body", "answer", "report"),
    [
        (b"not json", (400, "invalid_payload"), "response_url: body is not JSON"),
        (b'["text"]', (400, "invalid_payload"), None),
        (b'{"response_type": "in_channel"}', (400, "no_text"), "response_url: body has neither text nor blocks"),
        (
            b'{"text": "x", "response_type": "shout"}',
            (400, "invalid_blocks"),
            "response_url: unknown response_type 'shout'",
        ),
    ],
)
def test_bodies_slack_refuses(
    urls: tuple[ResponseUrls, list[str]], body: bytes, answer: tuple[int, str], report: str | None
) -> None:
    issuer, reported = urls
    assert _post(issuer, issuer.issue(), body) == answer
    assert reported == ([report] if report else [])


def test_delete_original_needs_no_text(urls: tuple[ResponseUrls, list[str]]) -> None:
    issuer, reported = urls
    assert _post(issuer, issuer.issue(), b'{"delete_original": true}') == (200, "ok")
    assert reported == []


def test_message_errors_checks_blocks_and_response_type() -> None:
    assert message_errors({"text": "x", "response_type": "ephemeral"}) == []
    assert message_errors({"blocks": [{"type": "divider"}]}) == []
    [error] = message_errors({"blocks": [{"type": "nope"}], "response_type": "in_channel"})
    assert "unknown block type 'nope'" in error
    assert message_errors({"text": "x", "response_type": "everyone"}) == ["unknown response_type 'everyone'"]

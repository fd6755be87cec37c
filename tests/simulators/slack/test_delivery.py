"""Getting Slack's requests to the app: the v0 signature, signed posts over one or many connections, the answer."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from slack_sdk.signature import SignatureVerifier

from simulators.loopback import LoopbackServer, Reply, Request
from simulators.slack.delivery import AppResponse, SignedPoster, sign

SECRET = "s3cret"


def test_signature_matches_slack_sdk_verifier() -> None:
    body, ts = "token=x&text=hi", str(int(time.time()))
    signature = sign(signing_secret=SECRET, timestamp=ts, body=body)
    assert SignatureVerifier(SECRET).is_valid(body=body, timestamp=ts, signature=signature)
    assert not SignatureVerifier("other").is_valid(body=body, timestamp=ts, signature=signature)
    assert signature != sign(signing_secret=SECRET, timestamp=ts, body=body + "!")


def test_app_response_json_reads_an_empty_body_as_none() -> None:
    assert AppResponse(status=200, body="", elapsed=0.0).json() is None
    assert AppResponse(status=200, body=" \n", elapsed=0.0).json() is None
    assert AppResponse(status=200, body='{"response_action": "clear"}', elapsed=0.0).json() == {
        "response_action": "clear"
    }
    with pytest.raises(json.JSONDecodeError):
        AppResponse(status=200, body="ok", elapsed=0.0).json()


def test_posts_are_signed_form_posts_from_slackbot() -> None:
    seen: list[Request] = []

    def respond(request: Request) -> Reply:
        seen.append(request)
        return Reply(200, b'{"ok": true}', {"Content-Type": "application/json"})

    with LoopbackServer(respond, name="app") as app:
        answer = SignedPoster(signing_secret=SECRET).post(f"{app.base_url}/slack/events", "command=%2Fleads&text=hi")

    assert (answer.status, answer.json()) == (200, {"ok": True})
    assert 0 < answer.elapsed < 3
    [request] = seen
    assert (request.method, request.target, request.body) == ("POST", "/slack/events", b"command=%2Fleads&text=hi")
    headers = request.headers
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert headers["user-agent"].startswith("Slackbot 1.0")
    assert abs(int(headers["x-slack-request-timestamp"]) - time.time()) < 5
    assert SignatureVerifier(SECRET).is_valid(
        body=request.body.decode(),
        timestamp=headers["x-slack-request-timestamp"],
        signature=headers["x-slack-signature"],
    )


def test_a_redelivery_is_marked_as_slack_marks_it_and_the_last_request_is_kept_as_sent() -> None:
    seen: list[Request] = []

    def respond(request: Request) -> Reply:
        seen.append(request)
        return Reply(200, b"", {})

    poster = SignedPoster(signing_secret=SECRET)
    with LoopbackServer(respond, name="app") as app:
        url = f"{app.base_url}/slack/events"
        poster.post(url, "payload=%7B%7D")
        first = poster.last
        poster.post(url, "payload=%7B%7D", retry_num=1)

    assert first is not None
    assert (first.url, first.body) == (url, "payload=%7B%7D")
    assert "X-Slack-Retry-Num" not in first.headers
    assert "x-slack-retry-num" not in seen[0].headers
    assert (seen[1].headers["x-slack-retry-num"], seen[1].headers["x-slack-retry-reason"]) == ("1", "http_timeout")
    assert poster.last is not None
    assert poster.last.headers["X-Slack-Signature"] == seen[1].headers["x-slack-signature"]


@pytest.mark.parametrize("keep_alive", [False, True])
def test_an_app_that_does_not_answer_in_time_gets_504(keep_alive: bool) -> None:
    with LoopbackServer(lambda request: Reply(200, b"late", delay=0.3), name="slow-app") as app:
        poster = SignedPoster(signing_secret=SECRET, keep_alive=keep_alive, timeout=0.1)
        answer = poster.post(app.base_url, "x=1")
        poster.close()

    assert (answer.status, answer.body) == (504, "")
    assert 0.1 <= answer.elapsed < 0.3


class _PortRecorder(BaseHTTPRequestHandler):
    """Answers 200 and notes the client port of each request, so a test can count connections."""

    protocol_version = "HTTP/1.1"
    ports: list[int]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).ports.append(self.client_address[1])
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[int]]]:
    ports: list[int] = []
    handler = type("Recorder", (_PortRecorder,), {"ports": ports})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/", ports
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_keep_alive_sends_every_post_over_one_connection_until_closed(recorder: tuple[str, list[int]]) -> None:
    url, ports = recorder
    poster = SignedPoster(signing_secret=SECRET, keep_alive=True)

    statuses = [poster.post(url, "n=1").status, poster.post(url, "n=2").status]
    poster.close()
    poster.close()  # idempotent
    statuses.append(poster.post(url, "n=3").status)  # a new pooled client after close
    poster.close()

    assert statuses == [200, 200, 200]
    assert ports[0] == ports[1]
    assert ports[2] != ports[0]


def test_without_keep_alive_each_post_has_its_own_connection(recorder: tuple[str, list[int]]) -> None:
    url, ports = recorder
    poster = SignedPoster(signing_secret=SECRET)

    assert [poster.post(url, f"n={n}").status for n in range(3)] == [200, 200, 200]
    assert len(set(ports)) == 3

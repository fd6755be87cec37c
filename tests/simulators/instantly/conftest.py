"""Fixtures for the fake Instantly's tests: a running FakeInstantly and an httpx client that names itself."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import httpx
import pytest

from simulators.instantly import FakeInstantly
from tests.simulators.instantly.calls import KEY, UA


@pytest.fixture(scope="module")
def tls() -> ssl.SSLContext:
    # httpx builds a certificate store per client (~50 ms) even for plain http; build it once.
    return ssl.create_default_context()


@pytest.fixture
def fake() -> Iterator[FakeInstantly]:
    with FakeInstantly(api_key=KEY) as running:
        yield running


@pytest.fixture
def client(fake: FakeInstantly, tls: ssl.SSLContext) -> Iterator[httpx.Client]:
    headers = {"User-Agent": UA, "Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=fake.base_url, headers=headers, timeout=5, verify=tls) as http_client:
        yield http_client

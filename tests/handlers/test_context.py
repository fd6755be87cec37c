"""Listeners reach the services through Bolt's context, put there by a middleware, never through a global."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from slack_bolt import BoltContext
from slack_bolt.response import BoltResponse

from bot.services import Services
from handlers.context import provide, services_of


def test_the_middleware_puts_the_services_in_the_context_and_goes_on(services: Services) -> None:
    context = BoltContext()
    reached: list[bool] = []
    middleware: Callable[..., BoltResponse | None] = provide(services)

    middleware(context=context, next=lambda: reached.append(True))

    assert reached == [True]
    assert services_of(context) is services


def test_a_context_without_services_is_a_bug_said_plainly() -> None:
    with pytest.raises(KeyError):
        services_of(BoltContext())

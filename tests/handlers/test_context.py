"""Listeners reach the services through Bolt's context, put there by a middleware, never through a global."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from slack_bolt import BoltContext
from slack_bolt.response import BoltResponse

from bot.services import Services
from handlers.context import provide, services_of, team_and_user


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


def test_the_team_and_person_of_a_payload_come_from_slacks_fields_first_then_stand_ins() -> None:
    assert team_and_user({"team": {"id": "T1"}, "user": {"id": "U1", "team_id": "T9"}}) == ("T1", "U1")
    assert team_and_user({"team": None, "view": {"team_id": "T2"}, "user": {"id": "U1"}}) == ("T2", "U1")
    assert team_and_user({"user": {"id": "U1", "team_id": "T3"}}) == ("T3", "U1")
    assert team_and_user({}, BoltContext(team_id="T4", user_id="U4")) == ("T4", "U4")
    assert team_and_user({}) == ("", "")

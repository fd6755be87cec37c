"""Picker suggestions, asked for by signed block_suggestion payloads: Instantly is searched as the person types."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from handlers import ids, move_view
from tests.bolt_requests import (
    CHANNEL,
    JSON,
    SlackSends,
    answer,
    as_slack_keeps_it,
)
from tests.stand_ins import instantly_error

UNAVAILABLE_WORDS = "Instantly could not be searched just now. Try again in a moment."


class Instantly:
    """Instantly's list endpoints, answering from what a test puts in; every request is kept."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.items: dict[str, list[JSON]] = {"campaigns": [], "lead-lists": [], "workspace-members": []}
        self.refuse: httpx.Response | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.refuse is not None:
            return self.refuse
        resource = request.url.path.removeprefix("/api/v2/")
        return httpx.Response(200, json={"items": self.items[resource], "next_starting_after": None})

    def searched(self) -> dict[str, str | None]:
        """Each resource asked for, with its search text."""
        return {r.url.path.removeprefix("/api/v2/"): r.url.params.get("search") for r in self.requests}


@pytest.fixture
def instantly() -> Instantly:
    return Instantly()


@pytest.fixture
def instantly_handler(instantly: Instantly) -> Instantly:
    return instantly


@pytest.fixture
def modal() -> JSON:
    return as_slack_keeps_it(move_view.build(channel_id=CHANNEL, more=True))  # the assignee picker shown


def _label(text: str) -> JSON:
    return {"type": "plain_text", "text": text, "emoji": True}


def _option(value: str, label: str) -> JSON:
    return {"text": _label(label), "value": value}


def _options_answer(response: Any) -> JSON:
    assert response.status == 200
    body = answer(response)
    assert isinstance(body, dict)
    return body


@pytest.mark.parametrize("picker", [ids.SOURCE, ids.DESTINATION])
def test_typing_in_a_place_picker_offers_matching_campaigns_and_lists_in_two_groups(
    sends: SlackSends, instantly: Instantly, modal: JSON, picker: str
) -> None:
    instantly.items["campaigns"] = [{"id": "c-1", "name": "Acme Q1"}, {"id": "c-2", "name": "Acme Q2", "status": 1}]
    instantly.items["lead-lists"] = [{"id": "l-2", "name": "Acme warm"}]
    body = _options_answer(sends.suggest(modal, picker, "acme"))
    assert body == {
        "option_groups": [
            {
                "label": _label("Campaigns"),
                "options": [_option("campaign:c-1", "Acme Q1"), _option("campaign:c-2", "Acme Q2")],
            },
            {"label": _label("Lists"), "options": [_option("list:l-2", "Acme warm")]},
        ]
    }
    assert instantly.searched() == {"campaigns": "acme", "lead-lists": "acme"}


def test_only_the_group_with_matches_is_offered(sends: SlackSends, instantly: Instantly, modal: JSON) -> None:
    instantly.items["lead-lists"] = [{"id": "l-2", "name": "Acme warm"}]
    body = _options_answer(sends.suggest(modal, ids.SOURCE, "warm"))
    assert body == {"option_groups": [{"label": _label("Lists"), "options": [_option("list:l-2", "Acme warm")]}]}


def test_a_search_with_no_matches_answers_an_empty_list_of_options(
    sends: SlackSends, instantly: Instantly, modal: JSON
) -> None:
    assert _options_answer(sends.suggest(modal, ids.SOURCE, "zzz")) == {"options": []}


def test_an_empty_search_lists_without_a_search_term(sends: SlackSends, instantly: Instantly, modal: JSON) -> None:
    instantly.items["campaigns"] = [{"id": "c-1", "name": "Acme Q1"}]
    _options_answer(sends.suggest(modal, ids.DESTINATION, ""))
    assert instantly.searched() == {"campaigns": None, "lead-lists": None}


def test_when_instantly_cannot_be_searched_the_one_option_says_so(
    sends: SlackSends, instantly: Instantly, modal: JSON
) -> None:
    instantly.refuse = instantly_error(401, "Invalid API key")
    body = _options_answer(sends.suggest(modal, ids.SOURCE, "acme"))
    assert body == {
        "option_groups": [{"label": _label("Instantly"), "options": [_option(ids.UNAVAILABLE, UNAVAILABLE_WORDS)]}]
    }


def test_the_member_picker_offers_people_by_name_and_email(
    sends: SlackSends, instantly: Instantly, modal: JSON
) -> None:
    instantly.items["workspace-members"] = [
        {"id": "m-1", "user_id": "u-1", "email": "ann@example.com", "name": {"first": "Ann", "last": "Lee"}},
        {"id": "m-2", "user_id": "u-2", "email": "bo@example.com"},
    ]
    body = _options_answer(sends.suggest(modal, ids.ASSIGNED_TO, "ex"))
    assert body == {
        "options": [
            _option("member:u-1", "Ann Lee (ann@example.com)"),
            _option("member:u-2", "bo@example.com (bo@example.com)"),
        ]
    }
    assert instantly.searched() == {"workspace-members": "ex"}


def test_when_members_cannot_be_searched_the_one_option_says_so(
    sends: SlackSends, instantly: Instantly, modal: JSON
) -> None:
    instantly.refuse = instantly_error(403, "missing scope workspace_members:read")
    body = _options_answer(sends.suggest(modal, ids.ASSIGNED_TO, "ann"))
    assert body == {"options": [_option(ids.UNAVAILABLE, UNAVAILABLE_WORDS)]}


def test_every_search_carries_the_instantly_key(sends: SlackSends, instantly: Instantly, modal: JSON) -> None:
    sends.suggest(modal, ids.SOURCE, "acme")
    sends.suggest(modal, ids.ASSIGNED_TO, "ann")
    assert len(instantly.requests) == 3
    assert {r.headers["authorization"] for r in instantly.requests} == {"Bearer test-key"}

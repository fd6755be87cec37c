"""`/leads settings` and its modal, delivered signed to the real Bolt app: who may open and save it, what the
form shows, and how a submission becomes the channel's settings."""

from __future__ import annotations

from typing import Any

import pytest

from bot.services import Services
from handlers import channel_settings
from handlers import channel_settings_view as settings_modal
from storage import audit
from storage.channel_settings import DEFAULT, ChannelSettings
from storage.models import AnnounceMode
from storage.orders import MoveMode
from tests.bolt_requests import CHANNEL, TEAM, USER, ListenerWork, ResponseUrl, SlackSends, answer
from tests.stand_ins import SlackStandIn

QUIET = ChannelSettings(
    announce=AnnounceMode.FAILURES, broadcast_failures=False, mention_on_success=True, default_mode=MoveMode.COPY
)


def _opened(slack: SlackStandIn) -> dict[str, Any]:
    [call] = slack.calls_to("views.open")
    view: dict[str, Any] = call.args["view"]
    return view


def _block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(block for block in view["blocks"] if block.get("block_id") == block_id)


def test_settings_opens_the_modal_for_the_channel_showing_its_current_settings(
    sends: SlackSends, slack: SlackStandIn, work: ListenerWork, services: Services
) -> None:
    services.channel_settings.change(team_id=TEAM, channel_id=CHANNEL, user_id="U9", settings=QUIET)

    response = sends.command("settings")
    assert response.status == 200
    assert answer(response) is None
    work.join()

    view = _opened(slack)
    assert (view["callback_id"], view["private_metadata"]) == (settings_modal.SETTINGS_MODAL, CHANNEL)
    assert _block(view, settings_modal.ANNOUNCE)["element"]["initial_option"]["value"] == "failures"
    assert _block(view, settings_modal.DEFAULT_MODE)["element"]["initial_option"]["value"] == "copy"
    checked = [o["value"] for o in _block(view, settings_modal.FAILURES)["element"]["initial_options"]]
    assert checked == [settings_modal.MENTION_ON_SUCCESS]


def test_a_channel_on_the_defaults_shows_no_empty_initial_options(
    sends: SlackSends, slack: SlackStandIn, work: ListenerWork, services: Services
) -> None:
    services.channel_settings.change(
        team_id=TEAM, channel_id=CHANNEL, user_id="U9", settings=ChannelSettings(broadcast_failures=False)
    )
    sends.command("settings")
    work.join()
    assert "initial_options" not in _block(_opened(slack), settings_modal.FAILURES)["element"]


def test_show_moved_leads_is_ticked_until_the_channel_turns_it_off(
    sends: SlackSends, slack: SlackStandIn, work: ListenerWork, services: Services
) -> None:
    sends.command("settings")
    work.join()
    sample = _block(_opened(slack), settings_modal.SAMPLE)
    assert [o["value"] for o in sample["element"]["initial_options"]] == [settings_modal.SHOW_SAMPLE]

    view = {**_opened(slack), "id": "V1"}
    body = answer(sends.submit(view, {settings_modal.ANNOUNCE: {"value": "every_job"}, settings_modal.SAMPLE: []}))

    assert "offers no e-mail" in str(body["view"])
    assert services.channel_settings.of(team_id=TEAM, channel_id=CHANNEL).show_sample is False
    [entry] = audit.entries(services.db, team_id=TEAM, limit=5)
    assert entry.detail["show_sample"] is False
    slack.calls.clear()
    sends.command("settings")
    work.join()
    assert "initial_options" not in _block(_opened(slack), settings_modal.SAMPLE)["element"], "shown as saved"


def test_someone_who_may_not_move_is_told_so_and_gets_no_modal(
    sends: SlackSends, slack: SlackStandIn, work: ListenerWork
) -> None:
    slack.people[USER] = {"is_restricted": True}
    with ResponseUrl() as response_url:
        sends.command("settings", response_url=response_url.url)
        work.join()
        [said] = response_url.wait_for(1)
    assert slack.calls_to("views.open") == []
    assert said["text"].startswith("Only people who may move leads can change this channel's settings.")


def test_a_submission_saves_the_channels_settings_and_audits_it(
    sends: SlackSends, slack: SlackStandIn, work: ListenerWork, services: Services
) -> None:
    sends.command("settings")
    work.join()
    view = {**_opened(slack), "id": "V1"}

    response = sends.submit(
        view,
        {
            settings_modal.ANNOUNCE: {"value": "failures"},
            settings_modal.FAILURES: [{"value": settings_modal.BROADCAST_FAILURES}],
            settings_modal.DEFAULT_MODE: {"value": "copy"},
        },
    )

    body = answer(response)
    assert body["response_action"] == "update"
    assert "only failures" in str(body["view"])
    saved = services.channel_settings.of(team_id=TEAM, channel_id=CHANNEL)
    assert (saved.announce, saved.broadcast_failures, saved.mention_on_success, saved.default_mode) == (
        AnnounceMode.FAILURES,
        True,
        False,
        MoveMode.COPY,
    )
    [entry] = audit.entries(services.db, team_id=TEAM, limit=5)
    assert (entry.action, entry.user_id, entry.detail["channel_id"]) == ("channel_settings", USER, CHANNEL)


def test_a_submission_from_someone_who_lost_access_is_refused_in_the_form(
    sends: SlackSends, slack: SlackStandIn, work: ListenerWork, services: Services
) -> None:
    sends.command("settings")
    work.join()
    view = {**_opened(slack), "id": "V1"}
    slack.people["U0GUEST"] = {"is_restricted": True}  # a guest, say, submitting a form someone else opened

    body = answer(sends.submit(view, {settings_modal.ANNOUNCE: {"value": "failures"}}, user_id="U0GUEST"))

    assert body["response_action"] == "errors"
    assert services.channel_settings.of(team_id=TEAM, channel_id=CHANNEL) == DEFAULT


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, ChannelSettings(broadcast_failures=False, show_sample=False)),
        (
            {
                "announce": {"announce": {"type": "radio_buttons", "selected_option": {"value": "failures"}}},
                "failures": {
                    "failures": {
                        "type": "checkboxes",
                        "selected_options": [{"value": "broadcast_failures"}, {"value": "mention_on_success"}],
                    }
                },
                "default_mode": {"default_mode": {"type": "radio_buttons", "selected_option": {"value": "copy"}}},
                "sample": {"sample": {"type": "checkboxes", "selected_options": [{"value": "show_sample"}]}},
            },
            ChannelSettings(AnnounceMode.FAILURES, True, True, MoveMode.COPY, show_sample=True),
        ),
        (
            {"announce": {"announce": {"type": "radio_buttons", "selected_option": {"value": "bogus"}}}},
            ChannelSettings(broadcast_failures=False, show_sample=False),
        ),
    ],
)
def test_parse_reads_the_state_and_falls_back_to_the_defaults(
    values: dict[str, Any], expected: ChannelSettings
) -> None:
    assert channel_settings.parse(values) == expected

"""Many workspaces in one fake Slack: each with its own channels, DMs, triggers, views and rate limits, and a token
of one used on another's things caught as an app bug."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from simulators.slack import FakeSlack
from tests.simulators.slack.samples import MODAL, BoltApp


@pytest.fixture
def two() -> Iterator[tuple[FakeSlack, WebClient, WebClient]]:
    """The default workspace and Acme, each installed, with a channel each."""
    with FakeSlack() as fake:
        fake.add_channel("C0SALES", "sales")
        fake.add_team("T0ACME", name="Acme", domain="acme")
        fake.add_channel("C0ACME", "sales", team_id="T0ACME")
        token = fake.install_token(team_id="T0ACME")
        yield (
            fake,
            WebClient(token=fake.bot_token, base_url=fake.api_url),
            WebClient(token=token, base_url=fake.api_url),
        )


def _error(call: Callable[[], object]) -> str:
    with pytest.raises(SlackApiError) as err:
        call()
    return str(err.value.response["error"])


def test_each_workspace_has_its_own_ids(two: tuple[FakeSlack, WebClient, WebClient]) -> None:
    fake, home, acme = two
    assert home.auth_test()["team_id"] == "T0LEADMOVR"
    assert (acme.auth_test()["team_id"], acme.auth_test()["user_id"]) == ("T0ACME", "U0BOT0ACME")
    acme_ws = fake.team("T0ACME")
    assert (acme_ws.bot_id, acme_ws.app_id, acme_ws.team_domain) == ("B0BOT0ACME", fake.app_id, "acme")
    with pytest.raises(ValueError, match="already registered"):
        fake.add_team("T0ACME", name="Again", domain="again")
    with pytest.raises(ValueError, match="unknown team"):
        fake.add_channel("C0NOPE", "nope", team_id="T0NOBODY")


def test_a_token_on_another_workspaces_channel_is_caught(two: tuple[FakeSlack, WebClient, WebClient]) -> None:
    fake, home, acme = two
    assert _error(lambda: acme.chat_postMessage(channel="C0SALES", text="wrong workspace")) == "channel_not_found"
    assert _error(lambda: home.conversations_history(channel="C0ACME")) == "channel_not_found"
    assert acme.chat_postMessage(channel="#sales", text="by name")["channel"] == "C0ACME"  # names are per workspace

    assert fake.messages("C0SALES") == []
    assert [m.text for m in fake.messages("C0ACME")] == ["by name"]
    assert fake.violations == [
        "chat.postMessage: used team T0ACME's token on team T0LEADMOVR's channel C0SALES",
        "conversations.history: used team T0LEADMOVR's token on team T0ACME's channel C0ACME",
    ]
    with pytest.raises(ValueError, match="belongs to team T0LEADMOVR"):
        fake.add_channel("C0SALES", "stolen", team_id="T0ACME")


def test_calls_record_whose_token_made_them(two: tuple[FakeSlack, WebClient, WebClient]) -> None:
    fake, home, acme = two
    home.chat_postMessage(channel="C0SALES", text="home")
    acme.chat_postMessage(channel="C0ACME", text="acme")
    assert _error(lambda: WebClient(token="xoxb-unknown", base_url=fake.api_url).auth_test()) == "invalid_auth"

    assert [(c.method, c.team_id) for c in fake.calls_to("chat.postMessage")] == [
        ("chat.postMessage", "T0LEADMOVR"),
        ("chat.postMessage", "T0ACME"),
    ]
    assert [c.args["text"] for c in fake.calls_to("chat.postMessage", team_id="T0ACME")] == ["acme"]
    assert [c.team_id for c in fake.calls_to("auth.test")][-1] == ""


def test_dms_belong_to_a_workspace(two: tuple[FakeSlack, WebClient, WebClient]) -> None:
    fake, home, acme = two
    fake.add_user("U0ADA", team_id="T0ACME")
    home.chat_postMessage(channel="U0ALICE", text="home dm")
    acme.chat_postMessage(channel="U0ALICE", text="acme dm")  # an unregistered id is a member wherever it is used
    assert acme.conversations_open(users="U0ADA")["channel"]["id"] == "DU0ADA"

    assert _error(lambda: home.conversations_open(users="U0ADA")) == "user_not_found"
    assert _error(lambda: home.chat_postMessage(channel="U0ADA", text="x")) == "channel_not_found"
    assert [m.text for m in fake.messages("U0ALICE")] == ["home dm"]
    assert [m.text for m in fake.messages("U0ALICE", team_id="T0ACME")] == ["acme dm"]
    assert fake.violations == [
        "conversations.open: used team T0LEADMOVR's token to reach team T0ACME's user U0ADA",
        "chat.postMessage: used team T0LEADMOVR's token to reach team T0ACME's user U0ADA",
    ]


def test_triggers_and_views_belong_to_a_workspace(two: tuple[FakeSlack, WebClient, WebClient]) -> None:
    fake, home, acme = two
    acme_trigger = fake.issue_trigger_id(team_id="T0ACME")
    assert _error(lambda: home.views_open(trigger_id=acme_trigger, view=MODAL)) == "invalid_trigger_id"
    view = acme.views_open(trigger_id=acme_trigger, view=MODAL)["view"]
    assert (view["team_id"], view["app_installed_team_id"], view["bot_id"]) == ("T0ACME", "T0ACME", "B0BOT0ACME")
    assert _error(lambda: home.views_update(view_id=view["id"], view=MODAL)) == "not_found"
    assert acme.views_update(view_id=view["id"], view=MODAL)["view"]["team_id"] == "T0ACME"

    assert fake.violations == [
        "views.open: used team T0LEADMOVR's token with a trigger_id of team T0ACME",
        f"views.update: used team T0LEADMOVR's token on team T0ACME's view {view['id']}",
    ]


def test_rate_limits_count_per_workspace() -> None:
    with FakeSlack(update_limit_per_minute=1, history_limits=True, post_rate_per_channel=1.0, post_burst=1) as fake:
        fake.add_team("T0ACME", name="Acme", domain="acme")
        clients = [
            WebClient(token=token, base_url=fake.api_url)
            for token in (fake.bot_token, fake.install_token(team_id="T0ACME"))
        ]
        for client, channel in zip(clients, ("C0SALES", "C0ACME"), strict=True):
            ts = client.chat_postMessage(channel=channel, text="v0")["ts"]
            client.chat_update(channel=channel, ts=ts, text="v1")  # each workspace has its own minute
            client.conversations_history(channel=channel, limit=15)
        assert _error(lambda: clients[1].chat_update(channel="C0ACME", ts=ts, text="v2")) == "ratelimited"
        assert _error(lambda: clients[1].chat_postMessage(channel="C0ACME", text="again")) == "ratelimited"

        assert fake.rate_limited == {"chat.update": 1, "chat.postMessage": 1}
        assert fake.rate_limited_by_team == {"T0ACME": {"chat.update": 1, "chat.postMessage": 1}}


def test_scripted_failures_can_name_a_workspace(two: tuple[FakeSlack, WebClient, WebClient]) -> None:
    fake, home, acme = two
    fake.fail_next("chat.postMessage", "channel_not_found", team_id="T0ACME")
    assert home.chat_postMessage(channel="C0SALES", text="fine")["ok"]
    assert _error(lambda: acme.chat_postMessage(channel="C0ACME", text="fails")) == "channel_not_found"
    assert acme.chat_postMessage(channel="C0ACME", text="fine again")["ok"]


def test_a_person_in_another_workspace_drives_the_app_there(two: tuple[FakeSlack, WebClient, WebClient]) -> None:
    fake, _, _ = two
    # The sample Bolt app holds the default workspace's token only, so it opens views in the default workspace.
    bolt = BoltApp(fake)
    try:
        fake.add_team("T0GRID", name="Grid", domain="grid", enterprise_id="E0ORG", enterprise_name="Org")
        fake.send_command(bolt.url, text="move", team_id="T0GRID", channel_id="C0GRIDS")
        assert fake.wait_for(lambda: bool(bolt.commands))
        command = bolt.commands[0]
        assert (command["team_id"], command["team_domain"], command["enterprise_id"]) == ("T0GRID", "grid", "E0ORG")
        assert command["is_enterprise_install"] == "false"
        # The app answered with the wrong workspace's token: the trigger was Grid's.
        assert fake.wait_for(lambda: bool(fake.violations))
        assert fake.violations == ["views.open: used team T0LEADMOVR's token with a trigger_id of team T0GRID"]
        fake.violations.clear()

        fake.send_command(bolt.url, text="move")
        assert fake.wait_for(lambda: bool(fake.opened_views()))
        [view] = fake.opened_views()
        with pytest.raises(ValueError, match="belongs to team T0LEADMOVR"):
            fake.submit_view(bolt.url, view_id=view["id"], values={}, team_id="T0GRID")
        values = {"count": 3, "status": "done", "target": {"text": {"type": "plain_text", "text": "X"}, "value": "x"}}
        fake.add_user("U0GUEST", team_id="T0GRID", shared_with=("T0LEADMOVR",))
        fake.submit_view(bolt.url, view_id=view["id"], values=values, user_id="U0GUEST")
        submission = bolt.submissions[0]
        assert submission["team"] == {"id": "T0LEADMOVR", "domain": "leadmover-test"}
        assert submission["user"]["team_id"] == "T0GRID"  # a guest from another workspace keeps its home team
        fake.redeliver_last(bolt.url, team_id="T0LEADMOVR")
        assert len(bolt.submissions) == 2
        assert fake.violations == []
    finally:
        bolt.close()

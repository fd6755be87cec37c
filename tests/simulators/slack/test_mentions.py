"""Slash command text with mentions, as Slack sends it when the command escapes channels, users and links."""

from __future__ import annotations

import pytest

from simulators.slack import FakeSlack
from tests.simulators.slack.samples import BoltApp


def test_mention_helpers_write_slacks_escaped_forms(fake: FakeSlack) -> None:
    fake.add_user("U0ROBERT", name="bob.smith")
    fake.add_usergroup("S0LEADS", handle="lead-movers")

    assert fake.mention("U0ROBERT") == "<@U0ROBERT|bob.smith>"
    assert fake.mention("U0ALICE") == "<@U0ALICE|alice>"  # unregistered: the name the fake gives that id
    assert fake.group_mention("S0LEADS") == "<!subteam^S0LEADS|@lead-movers>"
    with pytest.raises(ValueError, match="not a Slack user id"):
        fake.mention("alice")
    with pytest.raises(ValueError, match="unknown user group"):
        fake.group_mention("S0NOBODY")


def test_a_command_carries_mentions_as_written(fake: FakeSlack, bolt: BoltApp) -> None:
    fake.add_usergroup("S0LEADS", handle="lead-movers")
    text = f"allow {fake.mention('U0BOB')} and {fake.group_mention('S0LEADS')}"

    assert fake.send_command(bolt.url, text=text).status == 200

    assert bolt.commands[0]["text"] == "allow <@U0BOB|bob> and <!subteam^S0LEADS|@lead-movers>"


def test_escape_turns_at_names_into_mentions(fake: FakeSlack, bolt: BoltApp) -> None:
    fake.add_user("U0ROBERT", name="bob.smith")
    fake.add_usergroup("S0LEADS", handle="lead-movers")

    fake.send_command(bolt.url, text="allow @bob.smith, @lead-movers & @carol <now> to move", escape=True)

    assert bolt.commands[0]["text"] == (
        "allow <@U0ROBERT|bob.smith>, <!subteam^S0LEADS|@lead-movers> &amp; <@U0CAROL|carol> &lt;now&gt; to move"
    )
    assert fake.violations == []


def test_escape_leaves_what_slack_would_not_link(fake: FakeSlack) -> None:
    fake.add_user("U0ROBERT", name="bob.smith")
    fake.add_team("T0ACME", name="Acme", domain="acme")
    fake.add_usergroup("S0ACME", team_id="T0ACME", handle="acme-team")
    fake.add_usergroup("S0OLD", handle="old-team", disabled=True)

    # Another workspace's group, a disabled group, an e-mail address and a handle no id can be made of stay text.
    text = "@acme-team @old-team bob@example.com @not_an-id"
    assert fake.escape_text(text) == text
    assert fake.escape_text("@acme-team", team_id="T0ACME") == "<!subteam^S0ACME|@acme-team>"
    # Slack's own tokens pass through untouched; a registered id is named by its registered name only.
    assert fake.escape_text(f"{fake.mention('U0ROBERT')} @robert") == "<@U0ROBERT|bob.smith> @robert"
    fake.strict_users = True
    assert fake.escape_text("@carol @bob.smith") == "@carol <@U0ROBERT|bob.smith>"

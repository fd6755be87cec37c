"""People and user groups named in a command's text (handlers.mentions): Slack's escaped mentions of people and user
groups, with or without a label, and bare ids, each once in the order given; words that name no one are reported
back; and how a person or group is shown in a message."""

from __future__ import annotations

import pytest

from handlers.mentions import Mentions, mention, parse


@pytest.mark.parametrize(
    ("word", "subject"),
    [
        ("<@U123|ann>", "U123"),
        ("<@U123>", "U123"),
        ("<@W0ABC9|ann.lee>", "W0ABC9"),
        ("<!subteam^S123|@ops>", "S123"),
        ("<!subteam^S123>", "S123"),
        ("U123", "U123"),
        ("W0ABC9", "W0ABC9"),
        ("S123", "S123"),
    ],
)
def test_a_person_or_group_is_read_from_a_mention_or_a_bare_id(word: str, subject: str) -> None:
    assert parse([word]) == Mentions(ids=(subject,), unreadable=())


def test_several_are_read_in_the_order_given() -> None:
    found = parse(["<@U0222|bob>", "<!subteam^S0999|@sales>", "U0111"])

    assert found.ids == ("U0222", "S0999", "U0111")
    assert found.unreadable == ()


def test_someone_named_twice_is_read_once() -> None:
    found = parse(["<@U123|ann>", "U123", "<@U123>", "<!subteam^S0111>", "<!subteam^S0111|@ops>"])

    assert found.ids == ("U123", "S0111")


@pytest.mark.parametrize(
    "word",
    [
        "@ann",
        "bob",
        "<@ann>",
        "u123",
        "<#C123|general>",
        "<!here>",
        "<!channel>",
        "<@U123",
        "<@U1>",
        "U1",
        "<@U123|ann> x",
        "",
    ],
)
def test_a_word_that_names_no_one_is_reported(word: str) -> None:
    assert parse([word]) == Mentions(ids=(), unreadable=(word,))


def test_readable_and_unreadable_words_are_told_apart() -> None:
    found = parse(["@ann", "<@U0111|ann>", "bob", "<!subteam^S0222|@ops>"])

    assert found == Mentions(ids=("U0111", "S0222"), unreadable=("@ann", "bob"))


def test_no_words_name_no_one() -> None:
    assert parse([]) == Mentions(ids=(), unreadable=())


@pytest.mark.parametrize(("subject", "shown"), [("U123", "<@U123>"), ("W9AB", "<@W9AB>"), ("S123", "<!subteam^S123>")])
def test_a_person_or_group_is_shown_as_slack_links_it(subject: str, shown: str) -> None:
    assert mention(subject) == shown


def test_what_is_shown_reads_back_as_the_same_id() -> None:
    assert parse([mention("U123"), mention("S456")]).ids == ("U123", "S456")

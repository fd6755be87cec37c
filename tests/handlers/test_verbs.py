"""The /leads verb table: `/leads help` is made from it (admins' verbs for admins only), every verb in it is
dispatched, and each acked-first verb is acked before its work, over signed HTTP into the real Bolt app."""

from __future__ import annotations

import pytest

from bot.slack.blocks import messages
from handlers import commands
from handlers.verbs import Audience, Help, Invocation, Verb, help_lines, index
from tests.bolt_requests import USER, ListenerWork, ResponseUrl, SlackSends, answer
from tests.stand_ins import SlackStandIn


def _nothing(_call: Invocation) -> None:
    """A handler for verbs that are only shown, never sent."""


def _help_line(verb: Verb, line: Help, *, admin: bool) -> str:
    typed = " ".join(word for word in ("/leads", verb.name, line.args) if word)
    says = line.to_admins if admin and line.to_admins else line.says
    return f"`{messages.escape(typed)}`: {says}"


def _help_text(sends: SlackSends) -> str:
    body = answer(sends.command("help"))
    assert body["response_type"] == "ephemeral"
    return str(body["text"])


def test_help_shows_an_admin_every_verb_of_the_table_in_its_order(sends: SlackSends, slack: SlackStandIn) -> None:
    slack.people[USER] = {"is_admin": True}

    text = _help_text(sends)

    lines = [_help_line(verb, line, admin=True) for verb in commands.VERBS for line in verb.help]
    assert [text.find(line) for line in lines] == sorted(text.find(line) for line in lines)
    assert all(line in text for line in lines), [line for line in lines if line not in text]
    assert "`/leads jobs`: your recent jobs (everyone's, for an admin)" in text
    assert "`/leads track &lt;Instantly's job id&gt;`: follow an Instantly job started elsewhere" in text
    assert "`/leads status #12`: one job in detail, by its number or Instantly's id" in text


def test_help_shows_a_member_every_verb_but_the_admins(sends: SlackSends) -> None:
    text = _help_text(sends)

    for verb in commands.VERBS:
        for line in verb.help:
            shown = _help_line(verb, line, admin=False) in text
            assert shown == (verb.audience != Audience.ADMINS), verb.name
    assert "`/leads jobs`: your recent jobs\n" in text
    for admins_only in ("connect", "disconnect", "allow", "deny", "access", "audit"):
        assert f"\n`/leads {admins_only}" not in text  # as a line of its own (the note below may name them)


@pytest.mark.parametrize(("audience", "member_sees"), [(a, a != Audience.ADMINS) for a in Audience])
def test_a_verb_added_to_the_table_shows_in_help_for_its_audience(audience: Audience, member_sees: bool) -> None:
    added = Verb(
        name="export",
        audience=audience,
        help=(Help(says="the jobs as CSV", args="<from> <to>"), Help(says="all of them", args="all")),
        handle=_nothing,
    )
    table = (*commands.VERBS, added)

    expected = [("/leads export <from> <to>", "the jobs as CSV"), ("/leads export all", "all of them")]
    assert help_lines(table, command="/leads", admin=True)[-2:] == expected
    assert (help_lines(table, command="/leads", admin=False)[-2:] == expected) is member_sees
    text, _ = messages.usage(lines=help_lines(table, command="/leads", admin=True))
    assert "`/leads export &lt;from&gt; &lt;to&gt;`: the jobs as CSV" in text


def test_a_verb_declared_twice_is_refused() -> None:
    again = Verb(name="jobs", audience=Audience.EVERYONE, help=(), handle=_nothing)
    assert set(index(commands.VERBS)) == {verb.name for verb in commands.VERBS}
    with pytest.raises(ValueError, match="jobs is declared twice"):
        index((*commands.VERBS, again))


@pytest.mark.parametrize("verb", commands.VERBS, ids=lambda verb: verb.name)
def test_every_verb_in_the_table_is_dispatched_and_acked_first_ones_ack_before_their_work(
    verb: Verb, sends: SlackSends, work: ListenerWork
) -> None:
    with ResponseUrl() as response_url:
        response = sends.command(verb.name, response_url=response_url.url)
        assert response.status == 200
        acked = answer(response)
        work.join()
    if verb.acked_first:
        assert acked is None  # the answer, if any, follows by response_url
    elif acked is not None:
        assert not str(acked["text"]).startswith("I don't know")

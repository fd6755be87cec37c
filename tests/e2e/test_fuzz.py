"""Random input through the real HTTP path: slash commands, modal submissions and picker searches, signed like
Slack's, against one running app stack on loopback fakes of Slack and Instantly.

Every example checks what a person, Slack and Instantly would see: an HTTP 200 within Slack's 3 s, an answer in
words (never a traceback or pydantic's jargon), a modal for `/leads move|copy`, field errors that name only the
modal's inputs, no request either fake flags as the app's mistake, and no crashed listener in the log.

Two bugs this suite found are pinned by tests of their own below: a command that mentions "payload" (which Bolt
alone would drop) and `/leads status ²` (a digit that int() refuses).
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, example, given, reject, settings
from hypothesis import strategies as st

from app.local_stack import LocalStack, local_stack, seed
from bot.instantly.schemas import ESG_OFFERED, ESP_CODES, LEAD_FILTERS
from handlers import ids, move_form, move_view
from simulators.slack import AppResponse
from storage.orders import MoveOptions
from tests.e2e.flows import on_top, show_more_filters, submit_move

SLACK_DEADLINE = 3.0
CHANNEL = "C0SALES"
# Words that mean a listener's internals reached the person instead of a sentence written for them.
JARGON = ("Traceback", "validation error", "Input should be", "pydantic", "Value error", "type=", "For further")
# The app's catch-all answer when a command listener crashed (app/bolt_app.py): a 200, but still a crash.
CRASH_ANSWER = "hit a problem on its side"
FINAL_TITLES = ("Started", "Not started")
INPUT_BLOCKS = frozenset(
    block["block_id"] for block in move_view.build(channel_id=CHANNEL, more=True)["blocks"] if block["type"] == "input"
)
# Names Instantly may hold that are hostile to mrkdwn, to Block Kit's limits or to naive searching.
ODD_CAMPAIGNS = ("<!channel> launch", "*Bold* & <Co> `q`", "Ünïcödé 🚀 campaign", "L" * 120, "  padded  ")
ODD_LISTS = ("&amp; already escaped", "Payload team", "<#C123|general> list")

# One stack serves every example, so the function-scoped-fixture check does not apply; and drawing a whole
# form competes with the running stack for two cores, which must not fail the run as "too slow".
FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# ============================================================================ the stack


class _Crashes(logging.Handler):
    """Collects ERROR records: Bolt logs every unhandled listener exception there, even one after the ack."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass(repr=False)  # Hypothesis prints the fixture with every failure; the seeded lists would drown it
class Fuzz:
    stack: LocalStack
    crashes: _Crashes
    endpoints: list[tuple[str, str]]  # (value, label) of every campaign and list, as the picker offers them
    members: list[tuple[str, str]]  # (value, label) of every workspace member
    # (text Instantly searches, label the picker shows) of every campaign and list, and of every member
    endpoint_texts: list[tuple[str, str]]
    member_texts: list[tuple[str, str]]
    picker_view: str  # a modal kept open for options loads only
    form_view: str | None = None  # a move modal still open for the next submission
    started: int = 0  # accepted submissions Instantly took: each must have reached it exactly once

    def __repr__(self) -> str:
        return f"Fuzz(app={self.stack.app_url})"


@pytest.fixture(scope="module")
def crashes() -> Iterator[_Crashes]:
    collector = _Crashes()
    root = logging.getLogger()
    root.addHandler(collector)
    yield collector
    root.removeHandler(collector)


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory, crashes: _Crashes) -> Iterator[Fuzz]:
    database = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    with local_stack(database_url=f"sqlite:///{database}") as stack:
        fuzz = _seeded(stack, crashes)
        yield fuzz
        # The poller's Slack writes for the jobs the examples started count too, once they are done.
        assert stack.slack.wait_for(lambda: _jobs_reported(stack), timeout=20), "a job never got its reply"
        assert len(stack.instantly.move_bodies()) == fuzz.started, "a move was sent to Instantly twice"
        assert stack.slack.violations == []
        assert stack.instantly.violations == []
        assert [_describe(record) for record in crashes.records] == []


def _seeded(stack: LocalStack, crashes: _Crashes) -> Fuzz:
    workspace = seed(stack.instantly)
    campaigns = {**workspace.campaigns, **{name: stack.instantly.add_campaign(name) for name in ODD_CAMPAIGNS}}
    lists = {**workspace.lists, **{name: stack.instantly.add_list(name) for name in ODD_LISTS}}
    bo = stack.instantly.add_member("bo@example.com", first="Bo", last="Chen")
    odd = stack.instantly.add_member("odd@example.com", first="<@U1>")
    members = [(f"member:{bo}", "Bo Chen (bo@example.com)"), (f"member:{odd}", "<@U1> (odd@example.com)")]
    # Instantly searches members by email and by "first last"; the picker shows "name (email)".
    member_texts = [("bo@example.com", members[0][1]), ("Bo Chen", members[0][1])]
    member_texts += [("odd@example.com", members[1][1]), ("<@U1> ", members[1][1])]
    # The picker cuts names to Slack's 75 characters for the label, which a submission then carries.
    endpoints = [(f"campaign:{i}", name[:75]) for name, i in campaigns.items()]
    endpoints += [(f"list:{i}", name[:75]) for name, i in lists.items()]
    return Fuzz(
        stack=stack,
        crashes=crashes,
        endpoints=endpoints,
        members=members,
        endpoint_texts=[(name, name[:75]) for name in (*campaigns, *lists)],
        member_texts=member_texts,
        picker_view=show_more_filters(stack, _open_modal(stack))["id"],
    )


def _jobs_reported(stack: LocalStack) -> bool:
    started = len(stack.instantly.move_bodies())
    threads = [m for m in stack.slack.messages(CHANNEL) if stack.slack.replies(CHANNEL, m.ts)]
    return len(threads) >= started


def _open_modal(stack: LocalStack) -> dict[str, Any]:
    slack = stack.slack
    # opened_views() deep-copies every view ever opened, so it is read once, not polled: the views.open
    # call is recorded just before its view is stored, and the new view is the one at the call's index.
    index = len(slack.calls_to("views.open"))
    response = slack.send_command(stack.app_url, text="move")
    assert response.status == 200, response.body[:300]
    assert slack.wait_for(lambda: len(slack.calls_to("views.open")) > index, timeout=SLACK_DEADLINE)
    deadline = time.monotonic() + 1
    while len(views := slack.opened_views()) <= index:
        assert time.monotonic() < deadline, "views.open was called but no view was stored"
        time.sleep(0.01)
    return views[index]


def _describe(record: logging.LogRecord) -> str:
    return f"{record.name}: {record.getMessage()} {record.exc_info[1]!r}" if record.exc_info else record.getMessage()


@dataclass(frozen=True)
class _Mark:
    """How much each recorder held before an example, so that the example is judged on what it caused."""

    calls: int
    responses: int
    ephemerals: int
    slack_violations: int
    instantly_violations: int
    crashes: int

    @classmethod
    def of(cls, fuzz: Fuzz) -> _Mark:
        slack = fuzz.stack.slack
        return cls(
            len(slack.calls),
            len(slack.responses),
            len(slack.ephemerals),
            len(slack.violations),
            len(fuzz.stack.instantly.violations),
            len(fuzz.crashes.records),
        )


def _assert_clean_since(fuzz: Fuzz, mark: _Mark, answer: AppResponse) -> None:
    slack = fuzz.stack.slack
    assert slack.violations[mark.slack_violations :] == []
    assert fuzz.stack.instantly.violations[mark.instantly_violations :] == []
    assert [_describe(record) for record in fuzz.crashes.records[mark.crashes :]] == []
    seen = json.dumps(
        [
            [call.args for call in slack.calls[mark.calls :]],
            slack.responses[mark.responses :],
            slack.ephemerals[mark.ephemerals :],
            answer.body,
        ],
        default=str,
        ensure_ascii=False,
    )
    assert "Traceback" not in seen


def _clean(text: str) -> bool:
    """Input that does not itself spell a marker the assertions look for (the app may rightly echo input)."""
    return not any(marker in text for marker in (*JARGON, CRASH_ANSWER))


@pytest.fixture(scope="module")
def scratch_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    database = tmp_path_factory.mktemp("scratch") / "scratch.db"
    with local_stack(database_url=f"sqlite:///{database}", start_loops=False) as stack:
        yield stack


@pytest.fixture
def scratch(scratch_stack: LocalStack, crashes: _Crashes) -> Iterator[LocalStack]:
    """A stack of its own for pinned cases, whose violations and crashes must not count against the fuzzed one."""
    before = len(crashes.records)
    yield scratch_stack
    assert [_describe(record) for record in crashes.records[before:]] == []
    del crashes.records[before:]


@pytest.mark.parametrize("where", ["text", "channel_name", "user_name"])
def test_a_command_that_mentions_payload_is_still_answered(scratch: LocalStack, where: str) -> None:
    # Bolt alone takes any form body containing "payload" for an interactive payload and drops it (app/http.py).
    fields = {"text": "help", "channel_name": "sales", "user_name": "alice", where: "payload"}
    response = scratch.slack.send_command(scratch.app_url, **fields)
    assert response.status == 200
    assert response.json()["response_type"] == "ephemeral"


def test_status_with_superscript_digits_is_answered(scratch: LocalStack) -> None:
    # "²".isdigit() is true, yet int("²") raises: a job reference must be decimal ASCII to be a number.
    answer = scratch.slack.send_command(scratch.app_url, text="status ²").json()
    assert CRASH_ANSWER not in answer["text"]
    assert "found no job" in answer["text"]


# ============================================================================ 1. slash commands

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_SUBCOMMANDS = st.sampled_from(["move", "copy", "jobs", "help", "status", "MOVE", "Copy", "Jobs", "HELP", "track"])
_FORMISH = st.sampled_from(
    ["a=b&c=d", "%26", "+", "\r\n", "&text=move", "text=move&command=/leads", "%0D%0A", "=", "&&", "%", "%zz", "?x=1"]
)
_JSONISH = st.sampled_from(
    ['{"type":"view_submission"}', '{"command":"/leads","text":"move"}', "[]", "null", '{"', "}{"]
) | st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
).map(json.dumps)
_MARKUP = st.sampled_from(
    ["<@U123>", "<!channel>", "<!here>", "<!everyone>", "<#C1|x>", "&lt;", "&amp;", "<https://x.io|x>", "*b*", "`c`"]
)
_SPACE = st.sampled_from(["", " ", "  ", "\t", "\u00a0", "\u3000", "\n"])
_WORD = st.text(max_size=20)
_ALICE = {"user_id": "U0ALICE", "user_name": "alice", "channel_id": "C0SALES", "channel_name": "sales"}


def _first_word(text: str) -> str:
    """The sub-command as the app reads it: the first whitespace-separated word, in lower case."""
    words = text.split()
    return words[0].lower() if words else ""


_IDS = st.builds(lambda prefix, rest: prefix + rest, st.sampled_from("CGDUW"), st.text(_ALNUM, min_size=8, max_size=10))
_WEIRD_IDS = st.sampled_from(["", "C", "c0lower", "C0 SPACE", "C0\u00e9", "x" * 40, "<#C1>", "C0%26"])
_NAMES = st.text(max_size=80) | _MARKUP | _FORMISH
_COMMAND_TEXTS = st.one_of(
    st.text(max_size=200),
    st.builds(lambda a, b, c: f"{a}{b} {c}", _SPACE, _SUBCOMMANDS, _WORD | _MARKUP | _FORMISH | _JSONISH),
    _FORMISH,
    _JSONISH,
    _MARKUP,
    st.builds(lambda piece, n: (piece * n)[:4000], _WORD.filter(bool), st.integers(1, 4000)),
)
_WHO = st.fixed_dictionaries(
    {
        "user_id": _IDS | _WEIRD_IDS,
        "user_name": _NAMES,
        "channel_id": _IDS | _WEIRD_IDS,
        "channel_name": _NAMES,
    }
)


@FUZZ
@given(text=_COMMAND_TEXTS, who=_WHO)
@example(text='{"type":"view_submission"}', who=_ALICE)
@example(text="a=b&c=d %26 + \r\n", who={**_ALICE, "user_id": "", "channel_id": ""})
@example(text="frobnicate <@U123> <#C1|x> &lt;", who=_ALICE)
@example(text="status <!channel>", who=_ALICE)
@example(text="status ١٢", who=_ALICE)
@example(text="\u00a0jobs\u3000", who={**_ALICE, "channel_name": "ünïcödé 🚀"})
@example(text="x" * 4000, who=_ALICE)
def test_any_command_from_anyone_anywhere_is_answered_in_words(fuzz: Fuzz, text: str, who: dict[str, str]) -> None:
    if not all(_clean(value) for value in (text, *who.values())):
        reject()
    slack = fuzz.stack.slack
    mark, opens = _Mark.of(fuzz), len(slack.calls_to("views.open"))

    response = slack.send_command(fuzz.stack.app_url, text=text, **who)

    assert response.status == 200, response.body[:300]
    assert response.elapsed < SLACK_DEADLINE
    verb = _first_word(text)
    if verb in (ids.MODE_MOVE, ids.MODE_COPY):
        assert response.body == ""
        # A person Slack cannot tell leadmover about (an id that is no one's) is refused in words instead.
        assert slack.wait_for(
            lambda: len(slack.calls_to("views.open")) > opens or len(slack.responses) > mark.responses,
            timeout=SLACK_DEADLINE,
        )
        if len(slack.calls_to("views.open")) == opens:
            # Refused (a person Slack cannot tell leadmover about), or words after the verb that do not read as
            # from:, to: and limit: are said back, escaped.
            answer = str(slack.responses[mark.responses].get("text", ""))
            unknown_person = who["user_id"][:1] not in ("U", "W") or not who["user_id"].isalnum()
            assert ("access" in answer and unknown_person) or "I don't know" in answer or "limit" in answer, answer
            assert "<!" not in answer
            assert not re.search(r"<[@#]", answer), answer
            _assert_clean_since(fuzz, mark, response)
            return
        sent = slack.calls_to("views.open")[opens].args["view"]
        view = json.loads(sent) if isinstance(sent, str) else sent
        assert view["callback_id"] == ids.MOVE_MODAL
        # The channel comes back untouched whatever it is called, so the job is announced where /leads was typed.
        assert json.loads(view["private_metadata"])["channel_id"] == who["channel_id"]
        mode = next(block for block in view["blocks"] if block.get("block_id") == ids.MODE)
        assert mode["element"]["initial_option"]["value"] == verb
    else:
        if verb == "track" and response.body == "":
            # Acked at once (access and Instantly may take longer than Slack waits); the words follow by response_url.
            assert slack.wait_for(lambda: len(slack.responses) > mark.responses, timeout=SLACK_DEADLINE)
            answer = slack.responses[mark.responses]
        else:
            answer = response.json()
        assert isinstance(answer, dict), response.body[:300]
        assert answer["response_type"] == "ephemeral"
        assert isinstance(answer["text"], str)
        assert answer["text"].strip()
        assert CRASH_ANSWER not in answer["text"]
        rendered = json.dumps(answer, ensure_ascii=False)
        # Whatever was typed comes back escaped: never a live @channel, mention or channel link.
        assert "<!" not in rendered
        if verb != "status":  # a found job's detail mentions its requester: the app's own doing
            assert not re.search(r"<[@#]", rendered), rendered[:500]
        assert len(slack.calls_to("views.open")) == opens
    _assert_clean_since(fuzz, mark, response)


# ============================================================================ 2. modal submissions

Verdict = Literal["ok", "bad", "any"]  # what the form must make of a value: take it, refuse it, either
Drawn = tuple[Any, Verdict]  # the value to submit (None: leave the input empty) and its verdict


def _ok(value: Any) -> Drawn:
    return value, "ok"


def _bad(value: Any) -> Drawn:
    return value, "bad"


def _either(value: Any) -> Drawn:
    return value, "any"


EMPTY = _ok(None)  # every optional input may be left empty

_LABELS = (st.text(min_size=1, max_size=75) | _MARKUP).filter(_clean)
_ENDPOINT_JUNK = st.sampled_from(
    ["campaign:../../x", "list:", "member:", "campaign:", ":", ids.UNAVAILABLE, '{"kind": "campaign", "id": "x"}',
     "campaign:a b", "list:" + "x" * 65, "CAMPAIGN:abc", "campaign:abc\n", "list:abc/def", "campaign:%2e%2e",
     "list:\u00e9t\u00e9", "member:abc", "campaign", "list:abc:def", "campaign: abc", " list:abc"]
)  # fmt: skip
_MEMBER_JUNK = st.sampled_from(
    ["member:", "member:../x", "member:a b", "campaign:abc", "{}", ids.UNAVAILABLE, "member:" + "x" * 65, "Member"]
) | st.text(min_size=1, max_size=150).filter(lambda v: bool(v.strip()) and not v.strip().startswith("member:"))
_EMAIL_JUNK = st.sampled_from(["nope@", "@example.com", "a@b", "<mailto:a@b.io|a@b.io>", "a@@b.io", "@", "a@b..io"])
_SEPARATORS = st.sampled_from([",", ", ", ";", "\n", " ", "\r\n", " ,\n"])
# Everything int() takes passes Slack's number input, so these reach the app; the few that int() refuses
# ("1e3", "1.5", "abc") keep the refused path exercised without wasting many examples on it.
_ODD_LIMITS = st.sampled_from(
    ["-5", "0", str(10**30), " 7 ", "+3", "٣", "\uff11\uff12", "1_000", "-0", "007", "10000000", "10000001", "1e3",
     "1.5", "abc"]
) | st.from_regex(r"\s{0,2}[+-]?\d{1,12}\s{0,2}", fullmatch=True)  # fmt: skip


def _option(value: str, label: str) -> dict[str, Any]:
    return {"value": value, "text": {"type": "plain_text", "text": label, "emoji": True}}


def _mostly(usual: st.SearchStrategy[Drawn], rare: st.SearchStrategy[Drawn]) -> st.SearchStrategy[Drawn]:
    """`rare` one time in sixteen: explored, yet rare enough that few examples end up refused by Slack."""
    # Hypothesis favours the bounds of a range, so the rare branch sits in the middle of it.
    return st.integers(0, 15).flatmap(lambda n: rare if n == 7 else usual)


def _not_an_option(options: list[str]) -> st.SearchStrategy[Drawn]:
    """A value Slack's client refuses for a static select or checkboxes; the example is then rejected."""
    return st.text(max_size=20).map(lambda v: "not-" + v).filter(lambda v: v not in options).map(_either)


def _endpoint_fields(real: list[tuple[str, str]]) -> st.SearchStrategy[Drawn]:
    chosen = st.sampled_from(real).map(lambda pick: _ok(_option(*pick)))
    # Well formed but unknown to Instantly: the door asks Instantly for its name and the person is told beside the
    # field, unless another field's error comes first.
    unknown = st.builds(
        lambda kind, rid, label: _either(_option(f"{kind}:{rid}", label)),
        st.sampled_from(["campaign", "list"]),
        st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True),
        _LABELS,
    )
    junk = st.builds(lambda v, label: _bad(_option(v, label)), _ENDPOINT_JUNK, _LABELS)
    anything = st.builds(lambda v, label: _either(_option(v, label)), st.text(min_size=1, max_size=150), _LABELS)
    return _mostly(st.one_of(chosen, chosen, unknown, junk, anything), st.just(_either(None)))


def _member_fields(real: list[tuple[str, str]]) -> st.SearchStrategy[Drawn]:
    chosen = st.sampled_from(real).map(lambda pick: _ok(_option(*pick)))
    junk = st.builds(lambda v, label: _bad(_option(v, label)), _MEMBER_JUNK, _LABELS)
    # A well-formed id Instantly does not know is left out on purpose: Slack only submits options the app
    # offered, and the fake Instantly rightly flags an unknown assigned_to as a client bug.
    return st.one_of(st.just(EMPTY), chosen, junk)


def _limit_fields() -> st.SearchStrategy[Drawn]:
    in_range = st.integers(1, 10_000_000).map(str).map(_ok)
    out_of_range = (st.integers(max_value=0) | st.integers(10_000_001, 10**40)).map(str).map(_bad)
    return st.one_of(st.just(EMPTY), in_range, out_of_range, _ODD_LIMITS.map(_either))


def _search_fields() -> st.SearchStrategy[Drawn]:
    def verdict(value: str) -> Drawn:
        if len(value) <= move_form.MAX_SEARCH:
            return _ok(value)
        return _bad(value) if len(value.strip()) > move_form.MAX_SEARCH else _either(value)

    short = (st.text(max_size=move_form.MAX_SEARCH) | _MARKUP | _FORMISH).filter(_clean)
    long = st.builds(lambda piece, n: (piece * n)[:5000], _WORD.filter(lambda w: bool(w.strip())), st.integers(2, 5000))
    return st.one_of(st.just(EMPTY), short.map(verdict), long.filter(_clean).map(verdict))


def _contacts_fields() -> st.SearchStrategy[Drawn]:
    good = st.builds(lambda emails, sep: sep.join(emails), st.lists(st.emails(), min_size=1, max_size=5), _SEPARATORS)
    bad = st.builds(
        lambda emails, junk, sep: sep.join([*emails, junk]), st.lists(st.emails(), max_size=3), _EMAIL_JUNK, _SEPARATORS
    )
    anything = (st.text(max_size=300) | _MARKUP | _JSONISH).filter(_clean)
    return st.one_of(st.just(EMPTY), good.map(_ok), bad.map(_bad), anything.map(_either))


def _static_fields(options: list[str]) -> st.SearchStrategy[Drawn]:
    return _mostly(st.one_of(st.just(EMPTY), st.sampled_from(options).map(_ok)), _not_an_option(options))


def _checkbox_fields() -> st.SearchStrategy[Drawn]:
    ticked = st.lists(st.sampled_from(MoveOptions.flag_names()), unique=True)
    junk = st.builds(lambda some, odd: [*some, odd[0]], ticked, _not_an_option(list(MoveOptions.flag_names())))
    return _mostly(ticked.map(_ok), junk.map(_either))


@dataclass(frozen=True)
class Form:
    values: dict[str, Any]
    verdicts: dict[str, Verdict]


@st.composite
def forms(draw: st.DrawFn, fuzz: Fuzz) -> Form:
    modes = st.sampled_from([ids.MODE_MOVE, ids.MODE_COPY]).map(_ok)
    fields: dict[str, st.SearchStrategy[Drawn]] = {
        ids.SOURCE: _endpoint_fields(fuzz.endpoints),
        ids.DESTINATION: _endpoint_fields(fuzz.endpoints),
        ids.MODE: _mostly(modes, _not_an_option([ids.MODE_MOVE, ids.MODE_COPY])),
        ids.LIMIT: _limit_fields(),
        ids.SEARCH: _search_fields(),
        ids.FILTER: _static_fields(list(LEAD_FILTERS)),
        ids.CONTACTS: _contacts_fields(),
        ids.ASSIGNED_TO: _member_fields(fuzz.members),
        ids.ESP_CODE: _static_fields([str(code) for code in ESP_CODES]),
        ids.ESG_CODE: _static_fields(list(ESG_OFFERED)),
        ids.OPTIONS: _checkbox_fields(),
    }
    values: dict[str, Any] = {}
    verdicts: dict[str, Verdict] = {}
    for block_id, strategy in fields.items():
        value, verdicts[block_id] = draw(strategy)
        if value is not None:
            values[block_id] = value
    return Form(values, verdicts)


def _expected(form: Form) -> tuple[bool, set[str]]:
    """(must the form be accepted, the inputs that must carry an error)."""
    must_fail = {block_id for block_id, verdict in form.verdicts.items() if verdict == "bad"}
    source, destination = form.values.get(ids.SOURCE), form.values.get(ids.DESTINATION)
    both_fine = form.verdicts[ids.SOURCE] == form.verdicts[ids.DESTINATION] == "ok"
    if both_fine and source is not None and destination is not None and source["value"] == destination["value"]:
        must_fail.add(ids.DESTINATION)
    must_accept = not must_fail and all(verdict == "ok" for verdict in form.verdicts.values())
    return must_accept, must_fail


def _submit(fuzz: Fuzz, values: Mapping[str, Any]) -> tuple[str, AppResponse]:
    if fuzz.form_view is None:  # with More filters shown, every field can be drawn
        fuzz.form_view = show_more_filters(fuzz.stack, _open_modal(fuzz.stack))["id"]
    try:
        slack, form = fuzz.stack.slack, fuzz.form_view
        response = submit_move(slack, fuzz.stack.app_url, view_id=form, values=values)
        # A move of every lead is confirmed first; its outcome then shows on the confirmation.
        return on_top(slack, form), response
    except ValueError as exc:
        # Slack's client would not send this (an empty required input, a non-number in the number input,
        # a value that is no option of a static select): no input the app can ever see.
        if "Slack would not submit" in str(exc) or "is not an option of" in str(exc):
            reject()
        raise


@settings(FUZZ, max_examples=100)
@given(data=st.data())
def test_any_modal_submission_gets_field_errors_in_words_or_starts_a_valid_move(
    fuzz: Fuzz, data: st.DataObject
) -> None:
    form = data.draw(forms(fuzz), label="form")
    if not all(_clean(json.dumps(value, ensure_ascii=False)) for value in form.values.values()):
        reject()
    slack, instantly = fuzz.stack.slack, fuzz.stack.instantly
    mark, moves_before = _Mark.of(fuzz), len(instantly.move_bodies())

    view_id, response = _submit(fuzz, form.values)

    assert response.status == 200, response.body[:300]
    assert response.elapsed < SLACK_DEADLINE
    answer = response.json()
    assert isinstance(answer, dict), response.body[:300]
    must_accept, must_fail = _expected(form)
    if answer["response_action"] == "errors":
        errors = answer["errors"]
        assert not must_accept, f"a form a person could fill in was refused: {errors}"
        assert must_fail <= set(errors), errors
        assert set(errors) <= INPUT_BLOCKS
        for message in errors.values():
            assert isinstance(message, str)
            assert re.search(r"[A-Za-z]{2}", message), errors
            assert not any(word in message for word in JARGON), message
        assert len(instantly.move_bodies()) == moves_before, "a refused form still reached Instantly"
    else:
        assert answer["response_action"] == "update", answer
        fuzz.form_view = None  # the modal now shows the outcome; the next example needs a new one
        assert not must_fail, f"{sorted(must_fail)} should have been refused"
        # Labels are names from Instantly: they must not turn into live mentions in the modal.
        assert "<!" not in json.dumps(answer["view"], ensure_ascii=False)
        acked = str(answer["view"]["title"]["text"])
        if acked in FINAL_TITLES:  # a confirmation the door refused says so in its ack: nothing follows
            outcome: str | None = acked
        else:
            assert slack.wait_for(lambda: _outcome(fuzz, view_id) is not None, timeout=5), "the modal never got it"
            outcome = _outcome(fuzz, view_id)
        _check_the_move(fuzz, form, str(outcome), moves_before)
    _assert_clean_since(fuzz, mark, response)


def _outcome(fuzz: Fuzz, view_id: str) -> str | None:
    """The title of the outcome the app sent to the modal, if it has.

    Read from the app's views.update call rather than the stored view: the fake applies the ack's
    `response_action: update` only once the test thread reads the answer, and under load the app's
    views.update can land first and be overwritten (a race real Slack has too; see the report).
    """
    for call in fuzz.stack.slack.calls_to("views.update"):
        if call.args.get("view_id") == view_id:
            view = call.args["view"]
            title = str((json.loads(view) if isinstance(view, str) else view)["title"]["text"])
            if title in FINAL_TITLES:
                return title
    return None


def _check_the_move(fuzz: Fuzz, form: Form, title: str, moves_before: int) -> None:
    """An accepted form reached Instantly as the body it describes, or the person learnt why it did not."""
    real = {value for value, _ in fuzz.endpoints}
    if form.values[ids.SOURCE]["value"] not in real or form.values[ids.DESTINATION]["value"] not in real:
        assert title == "Not started"
        return
    assert title == "Started"
    fuzz.started += 1
    bodies = fuzz.stack.instantly.move_bodies()[moves_before:]
    assert len(bodies) == 1, f"Instantly got {len(bodies)} moves for one submission"
    [body] = bodies
    assert body["copy_leads"] is (form.values[ids.MODE] == ids.MODE_COPY)
    limit = str(form.values.get(ids.LIMIT) or "").strip()
    assert body.get("limit") == (int(limit) if limit else None)
    assert body.get("search") == (str(form.values.get(ids.SEARCH) or "").strip() or None)
    typed = {email.lower() for email in re.split(r"[,;\s]+", form.values.get(ids.CONTACTS, ""))}
    assert set(body.get("contacts", [])) <= typed


def test_the_modal_and_the_form_agree_on_the_search_limit() -> None:
    blocks = move_view.build(channel_id=CHANNEL)["blocks"]
    search = next(block for block in blocks if block.get("block_id") == ids.SEARCH)
    assert search["element"]["max_length"] == move_form.MAX_SEARCH


# ============================================================================ 3. picker searches


@st.composite
def picker_queries(draw: st.DrawFn, searchable: list[tuple[str, str]]) -> tuple[str, str | None]:
    """(what was typed, the label that must be offered for it, or None when nothing in particular must be)."""
    shape = draw(st.sampled_from(["part of a name", "anything", "markup", "long"]))
    if shape == "part of a name":
        name, label = draw(st.sampled_from(searchable))
        start = draw(st.integers(0, len(name) - 1))
        part = name[start : draw(st.integers(start + 1, len(name)))]
        cased = "".join(c.upper() if draw(st.booleans()) else c.lower() for c in part)
        typed = draw(_SPACE) + cased + draw(_SPACE)
        # The picker searches for the trimmed query cut to 100 characters, and Instantly ignores case.
        needle = typed.strip()[:100].lower()
        return typed, label if needle and needle in name.lower() else None
    if shape == "markup":
        return draw(_MARKUP | _FORMISH | _JSONISH), None
    if shape == "long":
        return (draw(_WORD.filter(bool)) * draw(st.integers(50, 4000)))[:4000], None
    return draw(st.text(max_size=120)), None


SEARCHERS = (f"U0SEARCH{n}" for n in itertools.count())


@FUZZ
@given(data=st.data())
def test_any_picker_search_gets_valid_options_in_time(fuzz: Fuzz, data: st.DataObject) -> None:
    action_id = data.draw(st.sampled_from([ids.SOURCE, ids.DESTINATION, ids.ASSIGNED_TO]), label="picker")
    searchable = fuzz.member_texts if action_id == ids.ASSIGNED_TO else fuzz.endpoint_texts
    typed, wanted = data.draw(picker_queries(searchable), label="typed")
    mark = _Mark.of(fuzz)

    # Each example is typed by someone else: one person's searches are rate-limited, which is not what this tests.
    response = fuzz.stack.slack.load_options(
        fuzz.stack.app_url, view_id=fuzz.picker_view, action_id=action_id, value=typed, user_id=next(SEARCHERS)
    )

    assert response.status == 200, response.body[:300]
    assert response.elapsed < SLACK_DEADLINE
    answer = response.json()
    assert isinstance(answer, dict)
    assert len({"options", "option_groups"} & set(answer)) == 1, answer
    groups = answer.get("option_groups", [{"options": answer.get("options", [])}])
    options = [option for group in groups for option in group["options"]]
    kinds = ("member:",) if action_id == ids.ASSIGNED_TO else ("campaign:", "list:")
    for option in options:
        assert option["value"].startswith(kinds) or option["value"] == ids.UNAVAILABLE, option
        assert 0 < len(option["text"]["text"]) <= 75
        assert len(option["value"]) <= 150
    if wanted is not None:
        assert wanted in [option["text"]["text"] for option in options], (typed, options)
    _assert_clean_since(fuzz, mark, response)

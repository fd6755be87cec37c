"""The command line an operator meets: --version, help on every option, `doctor`, start-up failures in one line
each with no traceback, and `jobs` and `audit` that name their database and never create one."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from app.cli import _parser, main
from simulators.instantly import FakeInstantly
from simulators.slack import FakeSlack
from tests.e2e.processes import free_port
from tests.factories import cli_database


@pytest.fixture
def database_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return cli_database(tmp_path, monkeypatch)


@pytest.fixture
def fakes(database_file: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeSlack, FakeInstantly]]:
    """Loopback Slack and Instantly, and every setting `serve --http` needs pointing at them."""
    with FakeSlack() as slack, FakeInstantly() as instantly:
        for name, value in {
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": slack.signing_secret,
            "SLACK_API_URL": slack.api_url,
            "INSTANTLY_API_KEY": instantly.api_key,
            "INSTANTLY_API_URL": instantly.base_url,
        }.items():
            monkeypatch.setenv(name, value)
        yield slack, instantly


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    error = capsys.readouterr().err
    assert error.count("\n") == 1, error
    assert "Traceback" not in error
    return error


def test_version_is_the_packages(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out == f"leadmover {metadata.version('leadmover')}\n"


def test_every_subcommand_and_option_has_a_help_line_with_its_default() -> None:
    parser = _parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    helped = {choice.dest for choice in commands._choices_actions if choice.help}
    assert helped == set(commands.choices)
    for name, command in commands.choices.items():
        text = command.format_help()
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, f"{name} {action.option_strings} has no help"
            if action.default not in (None, argparse.SUPPRESS):
                assert f"(default: {action.default})" in text, f"{name} {action.option_strings}"


def test_doctor_says_each_check_is_in_order(
    fakes: tuple[FakeSlack, FakeInstantly], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate"]) == 0
    capsys.readouterr()

    assert main(["doctor"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "ok   settings",
        "ok   database",
        "ok   slack",
        "ok   instantly",
    ]
    assert lines[-1] == "leadmover: everything checked is in order"


def test_doctor_says_what_to_fix_and_fails(
    fakes: tuple[FakeSlack, FakeInstantly],
    database_file: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-not-the-one-slack-issued")
    monkeypatch.setenv("INSTANTLY_API_KEY", "not-the-instantly-key")

    assert main(["doctor"]) == 1

    out = capsys.readouterr().out
    assert "FAIL database: the SQLite file" in out
    assert "run `leadmover migrate`" in out
    assert "FAIL slack: Slack refused SLACK_BOT_TOKEN (invalid_auth)" in out
    assert "FAIL instantly: Instantly refused INSTANTLY_API_KEY (401" in out
    assert not Path(database_file.removeprefix("sqlite:///")).exists()


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("SLACK_BOT_TOKEN", "xapp-1-A0-123-abc", "SLACK_BOT_TOKEN is an app-level token, but it must start with xoxb-"),
        ("SLACK_BOT_TOKEN", "xoxb-1-2-refused", "Slack refused SLACK_BOT_TOKEN (invalid_auth)"),
        ("INSTANTLY_API_KEY", "refused-key-123", "Instantly refused INSTANTLY_API_KEY (401"),
        ("DATABASE_URL", "mysql://me@db/leadmover", "'mysql' is not a database leadmover supports"),
    ],
)
def test_a_start_up_failure_is_one_line_naming_what_to_fix(
    fakes: tuple[FakeSlack, FakeInstantly],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    value: str,
    says: str,
) -> None:
    monkeypatch.setenv(name, value)
    assert main(["serve", "--http"]) != 0
    assert says in _one_line(capsys)


def test_no_network_is_one_line(
    fakes: tuple[FakeSlack, FakeInstantly], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_API_URL", f"http://127.0.0.1:{free_port()}/api/")  # nothing listens there
    assert main(["serve", "--http"]) == 1
    assert "cannot reach Slack at http://127.0.0.1:" in _one_line(capsys)


def test_postgresql_without_its_driver_is_one_line(
    fakes: tuple[FakeSlack, FakeInstantly], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://leadmover@127.0.0.1:5432/leadmover")
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if installed without the [postgres] extra
    assert main(["serve", "--http"]) == 1
    assert "pip install 'leadmover[postgres]'" in _one_line(capsys)


@pytest.mark.parametrize("command", [["jobs"], ["audit"]])
def test_reading_a_database_that_does_not_exist_says_so_and_creates_nothing(
    database_file: str, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    assert main(command) == 0
    error = capsys.readouterr().err
    path = Path(database_file.removeprefix("sqlite:///"))
    assert f"the SQLite file {path} does not exist" in error
    assert not path.exists()


@pytest.mark.parametrize(("command", "empty"), [(["jobs"], "no jobs"), (["audit", "--format", "csv"], "no audit")])
def test_reading_an_empty_database_names_it_and_says_it_holds_nothing(
    database_file: str, capsys: pytest.CaptureFixture[str], command: list[str], empty: str
) -> None:
    assert main(["migrate"]) == 0
    capsys.readouterr()
    assert main(command) == 0
    error = capsys.readouterr().err
    assert f"in the SQLite file {Path(database_file.removeprefix('sqlite:///'))}" in error
    assert f"it holds {empty}" in error

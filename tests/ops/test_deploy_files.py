"""compose.yaml, the Dockerfile and .env.example against the code: every command they run exists in the CLI, every
variable they give leadmover is a setting, and every port matches. CI has no container runtime, so they are read."""

from __future__ import annotations

import argparse
import json
import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from app.cli import _parser
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {name.upper() for name in Settings.model_fields}
# What the run stage sets for the system, not for leadmover.
SYSTEM_VARIABLES = {"PATH"}


def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "compose.yaml").read_text()))


def _leadmover_services() -> dict[str, dict[str, Any]]:
    return {
        name: spec for name, spec in _compose()["services"].items() if spec.get("image", "").startswith("leadmover")
    }


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined, comments left out."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def _parses(argv: list[str]) -> argparse.Namespace:
    assert argv[0] == "leadmover", argv
    return _parser().parse_args(argv[1:])  # argparse exits (SystemExit) on a command or option it does not know


def _dockerfile_cmd() -> list[str]:
    [cmd] = [json.loads(rest) for word, rest in _instructions() if word == "CMD"]
    return list(cmd)


def test_every_command_compose_and_the_dockerfile_run_exists_in_the_cli() -> None:
    services = _leadmover_services()
    assert {tuple(spec["command"][:2]) for spec in services.values()} == {
        ("leadmover", "migrate"),
        ("leadmover", "serve"),
    }
    for spec in services.values():
        _parses(list(spec["command"]))
    assert _parses(_dockerfile_cmd()).http


def test_compose_runs_postgres_on_a_volume_a_one_shot_migrate_and_two_http_replicas_after_it() -> None:
    compose = _compose()
    postgres = compose["services"]["postgres"]
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]
    services = _leadmover_services()
    migrate = [name for name, spec in services.items() if spec["command"][1] == "migrate"]
    replicas = [spec for spec in services.values() if spec["command"][1:3] == ["serve", "--http"]]
    assert len(migrate) == 1
    assert services[migrate[0]]["restart"] == "no"
    assert len(replicas) == 2
    for replica in replicas:
        assert replica["depends_on"] == {migrate[0]: {"condition": "service_completed_successfully"}}
        assert replica["env_file"] == ".env"


def test_every_variable_given_to_leadmover_is_a_setting() -> None:
    for spec in _leadmover_services().values():
        assert set(spec.get("environment", {})) <= SETTINGS
    for word, rest in _instructions():
        if word == "ENV":
            names = {part.split("=", 1)[0] for part in shlex.split(rest)}
            assert names <= SETTINGS | SYSTEM_VARIABLES | {"UV_COMPILE_BYTECODE", "UV_LINK_MODE", "UV_PYTHON_DOWNLOADS"}


def test_env_example_names_only_settings_and_what_compose_itself_reads() -> None:
    compose_reads = set(re.findall(r"\$\{(\w+)", (ROOT / "compose.yaml").read_text()))
    named = set()
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.lstrip("# ").strip()
        if re.fullmatch(r"[A-Z][A-Z0-9_]*=.*", line):
            named.add(line.split("=", 1)[0])
    assert named, "no settings found"
    assert named <= SETTINGS | compose_reads
    # What the example sets is a valid setting as written.
    values = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if re.fullmatch(r"[A-Z][A-Z0-9_]*=.+", line) and line.split("=", 1)[0] in SETTINGS
    )
    Settings(_env_file=None, **{name.lower(): value for name, value in values.items()})


def test_every_port_matches_the_cli_default_the_healthcheck_and_compose() -> None:
    serve = _parser().parse_args(["serve", "--http"])
    exposed = {int(rest.split("/")[0]) for word, rest in _instructions() if word == "EXPOSE"}
    [healthcheck] = [rest for word, rest in _instructions() if word == "HEALTHCHECK"]
    assert exposed == {serve.port}
    assert f"127.0.0.1:{serve.port}/readyz" in healthcheck
    for spec in _leadmover_services().values():
        command = list(spec["command"])
        if "serve" not in command:
            continue
        port = _parses(command).port
        assert [int(mapping.split(":")[-1]) for mapping in spec["ports"]] == [port]
        assert port in exposed


def test_the_image_installs_from_the_lock_in_two_stages_as_a_user_that_is_not_root() -> None:
    words = [word for word, _rest in _instructions()]
    syncs = [rest for word, rest in _instructions() if word == "RUN" and "uv sync" in rest]
    assert len(syncs) == 2  # the dependencies alone, then the project
    for sync in syncs:
        assert "--locked" in sync
        assert "--no-dev --extra postgres" in sync
    assert words.count("FROM") == 2  # a build stage and a run stage
    [user] = [rest for word, rest in _instructions() if word == "USER"]
    assert user not in ("root", "0")


def test_the_build_context_leaves_out_secrets_and_keeps_what_the_image_installs() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    ignored = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    assert {".env", ".git", ".venv", "*.db"} <= ignored
    assert not {"pyproject.toml", "uv.lock", "README.md", "app", "bot", "handlers", "storage", "simulators"} & ignored

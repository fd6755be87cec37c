"""manifest.yml is a valid Slack app manifest and declares what the app really uses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from app.bolt_app import BOT_SCOPES, REDIRECT_PATH
from app.http import EVENTS_PATH
from bot.instantly.schemas import LEAD_FILTERS
from bot.workflow_inputs import INPUT_TITLES
from bot.workflow_steps import MOVE_STEP, PLACES_STEP
from handlers import commands, ids

ROOT = Path(__file__).resolve().parent.parent
# Copied from ../shared/slack/manifest-schema.json (Slack's JSON schema for app manifests).
SCHEMA = json.loads((ROOT / "tests" / "contracts" / "slack-manifest-schema.json").read_text())


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_manifest_validates_against_slacks_schema(manifest: dict[str, Any]) -> None:
    jsonschema.validate(manifest, SCHEMA)


def test_schema_catches_a_broken_manifest(manifest: dict[str, Any]) -> None:
    broken = {**manifest, "display_information": {"name": "x" * 40}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


def test_manifest_declares_the_command_interactivity_scopes_and_socket_mode(manifest: dict[str, Any]) -> None:
    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert commands == [ids.COMMAND]
    interactivity = manifest["settings"]["interactivity"]
    assert interactivity["is_enabled"] is True
    assert interactivity["message_menu_options_url"].endswith("/slack/events")
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "chat:write.public", "im:write"} <= scopes
    # conversations.history / conversations.replies, used to recognise a message posted just before a crash
    assert {"channels:history", "groups:history", "im:history", "mpim:history"} <= scopes
    assert manifest["settings"]["socket_mode_enabled"] is True


def test_manifest_asks_for_exactly_the_scopes_an_oauth_install_requests(manifest: dict[str, Any]) -> None:
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)


def test_manifest_subscribes_to_uninstalls_and_names_the_redirect(manifest: dict[str, Any]) -> None:
    assert {"app_uninstalled", "tokens_revoked"} <= set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert manifest["settings"]["event_subscriptions"]["request_url"].endswith(EVENTS_PATH)
    assert [url.endswith(REDIRECT_PATH) for url in manifest["oauth_config"]["redirect_urls"]] == [True]


def test_the_usage_hint_names_every_verb_of_the_table_and_no_other(manifest: dict[str, Any]) -> None:
    [leads] = manifest["features"]["slash_commands"]
    hinted = [part.split()[0] for part in leads["usage_hint"].split("|")]
    table = [verb.name for verb in commands.VERBS]
    assert sorted(set(table) - set(hinted)) == [], "in the verb table but not in manifest.yml's usage_hint"
    assert sorted(set(hinted) - set(table)) == [], "in manifest.yml's usage_hint but not in the verb table"
    assert len(hinted) == len(set(hinted))


def test_manifest_declares_the_workflow_step_under_the_names_other_tools_rely_on(manifest: dict[str, Any]) -> None:
    step = manifest["functions"][MOVE_STEP]
    inputs, outputs = step["input_parameters"], step["output_parameters"]
    assert {"from", "to", "mode", "limit", "lead_status", "skip_duplicates", "channel_id", "user_id"} <= set(inputs)
    assert set(outputs) == {"job_number", "instantly_job_id", "status", "moved_count", "thread_url"}
    assert inputs["user_id"]["type"] == "slack#/types/user_id"
    assert inputs["channel_id"]["type"] == "slack#/types/channel_id"
    assert [c["value"] for c in inputs["mode"]["choices"]] == inputs["mode"]["enum"] == ["move", "copy"]
    for place in ("from", "to"):
        assert inputs[place]["dynamic_options"]["function"] == f"#/functions/{PLACES_STEP}"
    assert manifest["functions"][PLACES_STEP]["output_parameters"]["options"]["type"] == "slack#/types/options_select"
    # Custom steps come only from org-ready apps whose steps run on the app's own servers, fed by this event.
    assert manifest["settings"]["org_deploy_enabled"] is True
    assert manifest["settings"]["function_runtime"] == "remote"
    assert "function_executed" in manifest["settings"]["event_subscriptions"]["bot_events"]


def test_the_steps_lead_statuses_are_the_forms(manifest: dict[str, Any]) -> None:
    status = manifest["functions"][MOVE_STEP]["input_parameters"]["lead_status"]
    assert status["enum"] == list(LEAD_FILTERS)
    assert {c["value"]: c["title"] for c in status["choices"]} == LEAD_FILTERS


def test_a_bad_input_is_named_as_workflow_builder_shows_it(manifest: dict[str, Any]) -> None:
    inputs = manifest["functions"][MOVE_STEP]["input_parameters"]
    assert {name: parameter["title"] for name, parameter in inputs.items()} == INPUT_TITLES

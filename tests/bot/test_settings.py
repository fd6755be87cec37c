"""Settings: defaults, one-line errors that name the variable, no placeholder secrets, .env support."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import MissingSettingError, Settings


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(_env_file=None)
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.instantly_api_url == "https://api.instantly.ai/api/v2"
    assert settings.database_url == f"sqlite:///{tmp_path / 'leadmover.db'}"


def test_reads_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("INSTANTLY_API_KEY=key-from-dotenv\nLOG_LEVEL=debug\n")
    settings = Settings()
    assert settings.instantly_api_key is not None
    assert settings.instantly_api_key.get_secret_value() == "key-from-dotenv"
    assert settings.log_level == "DEBUG"
    assert "key-from-dotenv" not in repr(settings)


def test_placeholder_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="placeholder"):
        Settings(_env_file=None, slack_bot_token="changethis")


def test_require_names_every_missing_variable() -> None:
    settings = Settings(_env_file=None, slack_bot_token="xoxb-1")
    with pytest.raises(MissingSettingError) as caught:
        settings.require("slack_bot_token", "slack_app_token", "instantly_api_key")
    assert caught.value.names == ("SLACK_APP_TOKEN", "INSTANTLY_API_KEY")


def _cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_cli_names_every_missing_setting_of_the_mode_at_once_in_one_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    result = _cli("serve", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "leadmover: missing setting: SLACK_BOT_TOKEN, INSTANTLY_API_KEY, SLACK_APP_TOKEN must be set (environment or "
        ".env)"
    ]
    result = _cli("serve", "--http", env={**env, "SLACK_BOT_TOKEN": "xoxb-1"}, cwd=tmp_path)
    assert result.stderr.strip().splitlines() == [
        "leadmover: missing setting: INSTANTLY_API_KEY, SLACK_SIGNING_SECRET must be set (environment or .env)"
    ]
    assert not (tmp_path / "leadmover.db").exists()


def test_history_lookups_default_to_slacks_limit_for_apps_outside_its_marketplace() -> None:
    assert Settings(_env_file=None).slack_history_lookups_per_minute == 1
    assert Settings(_env_file=None, slack_history_lookups_per_minute=50).slack_history_lookups_per_minute == 50
    with pytest.raises(ValidationError):
        Settings(_env_file=None, slack_history_lookups_per_minute=51)


def test_the_database_passwords_are_secrets_the_log_blanks() -> None:
    settings = Settings(
        _env_file=None,
        database_url="postgresql://leadmover_app:app-pass-123@db/leadmover",
        leadmover_migration_database_url="postgresql://leadmover_owner:owner-pass-456@db/leadmover",
    )
    assert {"app-pass-123", "owner-pass-456"} <= set(settings.secret_values())

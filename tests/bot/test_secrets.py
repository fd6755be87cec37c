"""Sealing secrets (bot.secrets) and the settings that configure it (bot.settings): Fernet keys, the first sealing
and all opening, resealing with a new key, refusals that name what is wrong, the OAuth settings' rules, and that
every secret is known to the log redaction."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from pydantic import ValidationError

from bot.secrets import SealBroken, Sealer, SecretsUnavailable, new_key, parse_keys
from bot.settings import MissingSettingError, Settings

SECRET = "inst-key-5f2c9a1b7e"


@pytest.fixture(autouse=True)
def _no_settings_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


def _settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


# --- bot.secrets -------------------------------------------------------------------------------------------


def test_a_sealed_secret_opens_to_itself() -> None:
    sealer = Sealer([new_key()])
    assert sealer.open(sealer.seal(SECRET)) == SECRET


def test_sealed_text_never_contains_the_secret() -> None:
    sealer = Sealer([new_key()])
    sealed = sealer.seal(SECRET)
    assert SECRET not in sealed
    assert SECRET.encode().hex() not in sealed


def test_sealing_the_same_secret_twice_gives_different_text() -> None:
    sealer = Sealer([new_key()])
    assert sealer.seal(SECRET) != sealer.seal(SECRET)


def test_with_several_keys_the_first_seals_and_every_one_opens() -> None:
    first, second = new_key(), new_key()
    both = Sealer([first, second])

    sealed = both.seal(SECRET)
    assert Sealer([first]).open(sealed) == SECRET, "the first key seals"
    with pytest.raises(SealBroken):
        Sealer([second]).open(sealed)

    sealed_with_second = Sealer([second]).seal(SECRET)
    assert both.open(sealed_with_second) == SECRET, "a later key still opens"


def test_reseal_moves_a_secret_sealed_with_an_old_key_to_the_first_key() -> None:
    old, new = new_key(), new_key()
    sealed_with_old = Sealer([old]).seal(SECRET)

    resealed = Sealer([new, old]).reseal(sealed_with_old)

    assert resealed != sealed_with_old
    assert Sealer([new]).open(resealed) == SECRET, "once resealed, the old key may be dropped"
    with pytest.raises(SealBroken):
        Sealer([old]).open(resealed)


def test_reseal_of_a_secret_no_key_opens_is_a_broken_seal() -> None:
    sealed = Sealer([new_key()]).seal(SECRET)
    with pytest.raises(SealBroken):
        Sealer([new_key()]).reseal(sealed)


def test_a_secret_no_configured_key_opens_is_a_broken_seal() -> None:
    sealed = Sealer([new_key()]).seal(SECRET)
    with pytest.raises(SealBroken):
        Sealer([new_key(), new_key()]).open(sealed)


def test_a_damaged_sealed_value_is_a_broken_seal() -> None:
    sealer = Sealer([new_key()])
    with pytest.raises(SealBroken):
        sealer.open(sealer.seal(SECRET)[:-4] + "AAAA")
    with pytest.raises(SealBroken):
        sealer.open("not a fernet token")


def test_a_sealer_without_keys_says_to_set_the_encryption_key() -> None:
    with pytest.raises(SecretsUnavailable, match="LEADMOVER_ENCRYPTION_KEY"):
        Sealer([])


def test_parse_keys_reads_a_comma_separated_list_ignoring_blanks_and_spaces() -> None:
    first, second = new_key(), new_key()
    assert parse_keys(f" {first} , ,{second},") == [first, second]


def test_parse_keys_names_the_position_of_a_key_that_is_not_a_fernet_key() -> None:
    with pytest.raises(ValueError, match="key 2 is not a Fernet key"):
        parse_keys(f"{new_key()},not-a-key,{new_key()}")
    with pytest.raises(ValueError, match="key 1 is not a Fernet key"):
        parse_keys("c2hvcnQ=")  # base64, but not 32 bytes


def test_parse_keys_refuses_a_list_without_a_key() -> None:
    with pytest.raises(ValueError, match="no key"):
        parse_keys(" , ,")
    with pytest.raises(ValueError, match="no key"):
        parse_keys("")


# --- bot.settings ------------------------------------------------------------------------------------------


def test_settings_refuse_an_encryption_key_that_is_not_a_fernet_key() -> None:
    with pytest.raises(ValidationError, match="key 2 is not a Fernet key"):
        _settings(leadmover_encryption_key=f"{new_key()},oops")


def test_settings_give_the_encryption_keys_in_order_sealing_one_first() -> None:
    first, second = new_key(), new_key()
    assert _settings(leadmover_encryption_key=f"{first}, {second}").encryption_keys() == [first, second]
    assert _settings().encryption_keys() == []
    assert _settings(leadmover_encryption_key="  ").encryption_keys() == [], "blank is unset"


def test_settings_refuse_a_client_id_without_its_secret_and_the_reverse() -> None:
    with pytest.raises(ValidationError, match="SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together"):
        _settings(slack_client_id="123.456")
    with pytest.raises(ValidationError, match="SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together"):
        _settings(slack_client_secret="a1b2c3d4e5")


def test_a_blank_client_id_counts_as_unset() -> None:
    settings = _settings(slack_client_id="  ", slack_bot_token="xoxb-1")
    assert settings.slack_client_id is None
    assert not settings.installs_by_oauth


def test_settings_refuse_a_bot_token_together_with_a_client_id() -> None:
    with pytest.raises(ValidationError, match="not both"):
        _settings(slack_bot_token="xoxb-1", slack_client_id="123.456", slack_client_secret="a1b2c3d4e5")


def test_a_client_id_and_secret_mean_installing_by_oauth() -> None:
    assert _settings(slack_client_id="123.456", slack_client_secret="a1b2c3d4e5").installs_by_oauth
    assert not _settings(slack_bot_token="xoxb-1").installs_by_oauth


def test_the_authorize_url_sits_beside_the_web_api() -> None:
    assert _settings().slack_authorize_url == "https://slack.com/oauth/v2/authorize"
    loopback = _settings(slack_api_url="http://127.0.0.1:8765/api")
    assert loopback.slack_authorize_url == "http://127.0.0.1:8765/oauth/v2/authorize"


def _missing(settings: Settings) -> tuple[str, ...]:
    with pytest.raises(MissingSettingError) as caught:
        settings.require_credentials()
    return caught.value.names


def test_oauth_mode_needs_an_encryption_key() -> None:
    oauth = {"slack_client_id": "123.456", "slack_client_secret": "a1b2c3d4e5"}
    assert _missing(_settings(**oauth)) == ("LEADMOVER_ENCRYPTION_KEY",)
    _settings(**oauth, leadmover_encryption_key=new_key()).require_credentials()


def test_one_workspace_needs_a_bot_token_and_an_instantly_key_without_an_encryption_key() -> None:
    assert _missing(_settings()) == ("SLACK_BOT_TOKEN", "INSTANTLY_API_KEY")
    assert _missing(_settings(slack_bot_token="xoxb-1")) == ("INSTANTLY_API_KEY",)
    _settings(slack_bot_token="xoxb-1", instantly_api_key="k-1").require_credentials()


def test_one_workspace_with_an_encryption_key_needs_only_the_bot_token() -> None:
    """The Instantly key may then come from /leads connect."""
    assert _missing(_settings(leadmover_encryption_key=new_key())) == ("SLACK_BOT_TOKEN",)
    _settings(slack_bot_token="xoxb-1", leadmover_encryption_key=new_key()).require_credentials()


def test_secret_values_include_the_client_secret_and_every_encryption_key() -> None:
    first, second = new_key(), new_key()
    settings = _settings(
        slack_client_id="123.456",
        slack_client_secret="client-secret-9f8e7d",
        slack_signing_secret="signing-secret-1a2b",
        leadmover_encryption_key=f"{first},{second}",
    )
    values = settings.secret_values()
    assert {"client-secret-9f8e7d", "signing-secret-1a2b", first, second} <= set(values)
    assert "123.456" not in values, "the client id is not a secret"


def test_the_encryption_key_and_client_secret_never_show_in_the_settings_repr() -> None:
    key = new_key()
    settings = _settings(
        slack_client_id="123.456", slack_client_secret="client-secret-9f8e7d", leadmover_encryption_key=key
    )
    assert key not in repr(settings)
    assert "client-secret-9f8e7d" not in repr(settings)


def test_a_process_that_seals_nothing_never_loads_cryptography() -> None:
    code = "import sys, app.cli, app.wiring; print(sorted(m for m in sys.modules if m.startswith('cryptography')))"
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert answer.stdout.strip() == "[]", answer.stderr

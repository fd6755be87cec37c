"""Sealing secrets at rest: Instantly keys and Slack tokens are Fernet tokens in the database, never plain text.

LEADMOVER_ENCRYPTION_KEY holds one or more Fernet keys, comma-separated: the first seals, all of them open, so a
new key can be put first and `leadmover rotate-key` reseals everything with it before the old one is dropped.

`cryptography` is imported only when a key is used: a process that seals nothing (a bot token and an Instantly key
from the environment) does not carry it (a twelfth of its memory).
"""

from __future__ import annotations

from collections.abc import Sequence


class SecretsUnavailable(Exception):
    """No encryption key is set, so nothing secret may be stored; the message says what to set."""

    def __init__(self) -> None:
        super().__init__(
            "LEADMOVER_ENCRYPTION_KEY is not set, so leadmover cannot keep an Instantly key or a Slack token. "
            "Generate one with `leadmover new-key` and set it."
        )


class SealBroken(Exception):
    """A sealed value could not be opened with any configured key (a dropped key, or a damaged row)."""


def parse_keys(raw: str) -> list[str]:
    """The Fernet keys in a comma-separated list, each checked; ValueError names the bad position."""
    from cryptography.fernet import Fernet

    keys = [part.strip() for part in raw.split(",") if part.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ValueError(f"key {position} is not a Fernet key (32 url-safe base64-encoded bytes)") from None
    if not keys:
        raise ValueError("holds no key")
    return keys


def new_key() -> str:
    """A fresh Fernet key, for an operator to put in LEADMOVER_ENCRYPTION_KEY."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


class Sealer:
    """Seals with the first key and opens with any of them."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise SecretsUnavailable()
        from cryptography.fernet import Fernet, InvalidToken, MultiFernet

        self._fernet = MultiFernet([Fernet(key) for key in keys])
        self._invalid = InvalidToken

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except self._invalid:
            raise SealBroken("a stored secret could not be opened with any configured key") from None

    def reseal(self, sealed: str) -> str:
        """The same secret sealed with the first key (what rotate-key does to every stored secret)."""
        try:
            return self._fernet.rotate(sealed.encode()).decode()
        except self._invalid:
            raise SealBroken("a stored secret could not be opened with any configured key") from None

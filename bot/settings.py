"""Every knob leadmover has, read from the environment and `.env`: the only place that reads either."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.secrets import parse_keys

# The databases leadmover runs on: SQLite for one process, PostgreSQL (psycopg 3) for replicas.
_DATABASES = frozenset({"sqlite", "postgres", "postgresql"})
# Values copied from docs and templates that must never be taken for a real secret.
_PLACEHOLDERS = frozenset({"changethis", "changeme", "xxx", "secret", "your-token-here", "todo"})


def _id_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class MissingSettingError(Exception):
    """A setting the chosen mode needs is absent; the message names the variable."""

    def __init__(self, *names: str) -> None:
        self.names = names
        super().__init__(f"missing setting: {', '.join(names)} must be set (environment or .env)")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    # Set both to install in many workspaces through "Add to Slack" (OAuth v2) instead of one SLACK_BOT_TOKEN.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    # Where Slack sends the installer back; unset, Slack uses the app's only configured redirect URL.
    slack_redirect_uri: str | None = None
    # With token rotation on, a token is refreshed this long before it expires (Slack's tokens live 12 hours).
    slack_token_refresh_minutes: int = Field(default=120, ge=5, le=600)
    # Fernet keys, comma-separated: the first seals stored Instantly keys and Slack tokens, all of them open.
    leadmover_encryption_key: SecretStr | None = None

    instantly_api_key: SecretStr | None = None
    instantly_api_url: str = "https://api.instantly.ai/api/v2"
    instantly_timeout_seconds: float = Field(default=10.0, gt=0)
    # The share of Instantly's per-workspace limits (100/s, 6,000/min) one leadmover process may use.
    instantly_budget_percent: float = Field(default=10.0, gt=0, le=100)

    database_url: str = Field(default_factory=lambda: f"sqlite:///{Path.cwd() / 'leadmover.db'}")
    # PostgreSQL only: a role that owns the schema runs the migrations (`leadmover migrate`, and start-up) and grants
    # DATABASE_URL's role only what the app needs, so the app cannot rewrite its audit log (docs/operations.md).
    leadmover_migration_database_url: SecretStr | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # json: one object per line (time, level, logger, message, and the workspace, person and job it concerns).
    log_format: Literal["text", "json"] = "text"
    # On, slack_sdk's, httpx's and SQLAlchemy's own loggers print whole requests and answers at LOG_LEVEL=DEBUG
    # (redacted still); off, they stay at WARNING whatever LOG_LEVEL says.
    leadmover_wire_debug: bool = False

    poll_interval_seconds: float = Field(default=3.0, gt=0)
    picker_timeout_seconds: float = Field(default=2.0, gt=0)
    # With a filter set, the preview counts the leads it takes up to this many, then says "more than".
    leadmover_preview_count_cap: int = Field(default=1000, gt=0)
    # How long a job or a Slack write stays claimed by one process; a dead replica's work waits this long.
    lease_seconds: float = Field(default=60.0, gt=0)
    follow_limit_hours: float = Field(default=24.0, gt=0)
    # A request body over this gets 413 before it is read in full.
    leadmover_max_body_bytes: int = Field(default=1_000_000, ge=10_000)
    # conversations.history/.replies a minute per workspace, for finding a message whose send outcome is unknown:
    # 1 for apps distributed outside Slack's Marketplace (2025); internal and Marketplace apps may use up to 50.
    slack_history_lookups_per_minute: float = Field(default=1.0, gt=0, le=50)
    # How many of one person's moves may wait for Instantly to start them; more are refused in words.
    leadmover_moves_in_flight_per_user: int = Field(default=3, ge=1)
    # After this, finished jobs lose what people typed (search text, emails) and old outbox rows go.
    leadmover_retention_days: float = Field(default=90.0, gt=0)
    # Slack user ids (comma-separated) who are leadmover admins in every workspace, besides Slack's admins and owners.
    leadmover_admins: str = ""
    # User and user-group ids (comma-separated) allowed to move in every workspace, besides the ones admins allow.
    leadmover_allowed_users: str = ""
    # Off, every move starts at once (a team that wants no second pair of eyes, or has no second person).
    leadmover_approvals: bool = True
    # A move or copy with no limit, or a limit above this, waits for an approver.
    leadmover_approval_threshold: int = Field(default=1000, ge=0)
    # Where requests for approval go (a channel id); unset, they go to the channel the move was asked in.
    leadmover_approvals_channel: str | None = None
    # User and user-group ids (comma-separated) who may approve, besides admins.
    leadmover_approvers: str = ""
    # A request not decided within this expires.
    leadmover_approval_hours: float = Field(default=24.0, gt=0)
    # A watched workspace's Instantly jobs are looked for at most this often (one request a round, and one per page).
    leadmover_watch_seconds: float = Field(default=30.0, ge=1)
    # A schedule's run missed while every process was down still runs on start within this many minutes.
    leadmover_schedule_grace_minutes: float = Field(default=60.0, ge=0)

    # Socket Mode `serve` and `poll` answer /healthz, /readyz and /metrics on this port; 0 turns it off.
    leadmover_health_port: int = Field(default=8080, ge=0, le=65535)
    # /readyz fails while the oldest Slack write that is due has waited longer than this.
    leadmover_ready_outbox_seconds: float = Field(default=300.0, gt=0)
    # Adds a team_id label to the metrics: one series per workspace, so only for a few workspaces.
    leadmover_metrics_per_workspace: bool = False
    # Off, leadmover needs no *:history scope: after a crash at the instant of a post it posts again rather than
    # look in the channel first, so that one message may appear twice.
    leadmover_lookback: bool = True

    @field_validator(
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "instantly_api_key",
        "slack_client_secret",
        "leadmover_encryption_key",
    )
    @classmethod
    def _refuse_placeholders(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        raw = value.get_secret_value().strip()
        if not raw:
            return None
        if raw.lower() in _PLACEHOLDERS:
            raise ValueError("is a placeholder, not a real secret")
        return SecretStr(raw)

    @field_validator("leadmover_encryption_key")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_keys(value.get_secret_value())
        return value

    @field_validator("slack_client_id")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("leadmover_admins", "leadmover_allowed_users", "leadmover_approvers")
    @classmethod
    def _slack_ids(cls, value: str) -> str:
        for part in _id_list(value):
            if not (part[0] in "UWS" and part.isalnum() and part.isupper() and len(part) > 2):
                raise ValueError(f"{part!r} is not a Slack user id (U…, W…) or user-group id (S…)")
        return value

    @field_validator("leadmover_approvals_channel")
    @classmethod
    def _channel_id(cls, value: str | None) -> str | None:
        value = (value or "").strip() or None
        if value is not None and not (value[0] in "CG" and value.isalnum() and value.isupper()):
            raise ValueError(f"{value!r} is not a Slack channel id (C…, G…)")
        return value

    def admin_ids(self) -> frozenset[str]:
        return frozenset(_id_list(self.leadmover_admins))

    def allowed_ids(self) -> frozenset[str]:
        return frozenset(_id_list(self.leadmover_allowed_users))

    def approver_ids(self) -> frozenset[str]:
        return frozenset(_id_list(self.leadmover_approvers))

    @model_validator(mode="after")
    def _one_way_to_reach_slack(self) -> Settings:
        if (self.slack_client_id is None) != (self.slack_client_secret is None):
            raise ValueError("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together: set both, or neither")
        if self.slack_client_id is not None and self.slack_bot_token is not None:
            raise ValueError(
                "set either SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET "
                "(installed in many workspaces), not both"
            )
        return self

    @property
    def installs_by_oauth(self) -> bool:
        """Many workspaces, each installed through "Add to Slack", rather than one SLACK_BOT_TOKEN."""
        return self.slack_client_id is not None

    @property
    def slack_authorize_url(self) -> str:
        """Slack's page where a person approves an install; it sits beside the Web API's /api/."""
        return self.slack_api_url.removesuffix("api/") + "oauth/v2/authorize"

    def encryption_keys(self) -> list[str]:
        """The Fernet keys, the sealing one first; empty when none is set."""
        return parse_keys(self.leadmover_encryption_key.get_secret_value()) if self.leadmover_encryption_key else []

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        scheme = value.split(":", 1)[0].lower() if ":" in value else ""
        if scheme.split("+", 1)[0] not in _DATABASES:
            raise ValueError(
                f"{scheme or value!r} is not a database leadmover supports: use sqlite:///path/to/leadmover.db or "
                "postgresql://user:password@host/database"
            )
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _slack_url_ends_with_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @field_validator("instantly_api_url")
    @classmethod
    def _instantly_url_without_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    def require(self, *names: str) -> None:
        """Raise MissingSettingError naming every listed setting that has no value."""
        missing = [name.upper() for name in names if getattr(self, name) is None]
        if missing:
            raise MissingSettingError(*missing)

    def require_credentials(self) -> None:
        """Raise MissingSettingError naming every credential the chosen mode lacks: one workspace needs a Slack
        token and an Instantly key (or an encryption key, to keep one connected with /leads connect); installing by
        OAuth needs an encryption key for the tokens and keys it keeps."""
        self.require(*self._credentials())

    def require_for(self, *, command: str, http: bool = False) -> None:
        """Raise MissingSettingError naming, all at once, every setting `command` ("serve" or "poll") lacks."""
        names = list(self._credentials())
        if command == "serve":
            names.append("slack_signing_secret" if http else "slack_app_token")
        self.require(*names)

    def _credentials(self) -> tuple[str, ...]:
        if self.installs_by_oauth:
            return ("leadmover_encryption_key",)
        if self.leadmover_encryption_key is None:
            return ("slack_bot_token", "instantly_api_key")
        return ("slack_bot_token",)

    def secret_values(self) -> list[str]:
        """The raw secrets, so log output can be scrubbed of them."""
        secrets = (
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.instantly_api_key,
            self.slack_client_secret,
        )
        migration = self.leadmover_migration_database_url
        urls = (self.database_url, migration.get_secret_value() if migration is not None else None)
        passwords = [_password(url) for url in urls if url]
        return (
            [s.get_secret_value() for s in secrets if s is not None]
            + self.encryption_keys()
            + [p for p in passwords if p]
        )


def _password(url: str) -> str | None:
    """The password in a database URL, if it has one (so that a log line quoting the URL is scrubbed of it)."""
    try:
        return make_url(url).password
    except ArgumentError:
        return None

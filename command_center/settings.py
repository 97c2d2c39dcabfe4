"""The one settings object: every environment variable the app reads is declared here."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class BuilderMode(StrEnum):
    """Which LLM backend the widget builder uses."""

    offline = "offline"
    live = "live"


class Settings(BaseSettings):
    """Application configuration, read from the environment (and an optional `.env`)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    # storage
    database_url: str = Field(default="", description="SQLAlchemy URL; empty = SQLite under data/")
    redis_url: str = Field(default="", description="redis://…; empty = in-process cache and bus")
    redis_key_prefix: str = Field(default="", description="prefix for every Redis key and channel")
    state_manager: Literal["memory", "redis"] = Field(
        default="memory",
        description="Reflex's per-tab state: memory (one worker) or redis (several workers)",
    )
    data_dir: Path = Field(default=PROJECT_ROOT / "data")
    render_budget_per_second: int = Field(
        default=5000,
        ge=10,
        le=1_000_000,
        description="live dashboard tab pushes (one render × its tabs) per second per process",
    )

    # LLM
    builder_mode: BuilderMode = BuilderMode.offline
    bedrock_model_id: str = "us.anthropic.claude-sonnet-4-6"
    bedrock_reasoning_model_id: str = "us.anthropic.claude-opus-4-7"
    bedrock_endpoint_url: str = ""
    aws_region: str = "us-east-1"
    llm_timeout_seconds: float = Field(default=30.0, gt=0)
    llm_max_retries: int = Field(default=3, ge=0, le=10)
    semantic_refresh_seconds: int = Field(
        default=300, ge=5, description="how often the builder re-reads categorical values"
    )
    sql_generator: Literal["compiler", "llm"] = Field(
        default="compiler",
        description="llm = the fast-tier model writes widget SQL; only when BUILDER_MODE=live",
    )

    # warehouse
    databricks_host: str = ""
    databricks_http_path: str = ""
    databricks_token: str = ""
    databricks_pool_size: int = Field(default=4, ge=1, le=64)
    databricks_timeout_seconds: float = Field(default=15.0, gt=0)
    warehouse_rows: int = Field(
        default=1_000_000, ge=1_000, description="rows of ev_claim at build: OLTP copy + history"
    )
    warehouse_sync_seconds: float = Field(
        default=2.0, ge=0, le=3600, description="local warehouse sync interval; 0 = off"
    )
    oltp_retention_days: int = Field(
        default=45, ge=1, le=3650, description="claims/events the demo OLTP seed keeps"
    )

    # demo data
    seed_customers: int = Field(default=25_000, ge=10)
    seed_on_start: bool = True

    # tracing
    langfuse_public_key: str = ""
    langfuse_secret_key: str = ""
    langfuse_host: str = ""

    # observability
    metrics_enabled: bool = Field(default=True, description="serve GET /metrics (Prometheus)")
    metrics_require_token: bool = Field(
        default=True, description="GET /metrics needs a viewer (or higher) bearer token"
    )
    health_llm_ttl_seconds: float = Field(
        default=60.0, ge=0, description="how long live mode's real LLM health call is cached"
    )

    # API
    api_token: str = Field(default="", description="when set, write endpoints require Bearer token")
    event_batch_limit: int = Field(default=1000, ge=1, le=100_000)
    event_earliest: AwareDatetime = Field(
        default=datetime(2000, 1, 1, tzinfo=UTC),
        description="events whose occurred_at is earlier are rejected (422 per item)",
    )
    event_future_tolerance_seconds: int = Field(
        default=300, ge=0, le=86_400, description="how far past now occurred_at may be"
    )

    # input limits (command_center/limits.py has the per-field ones)
    max_body_bytes: int = Field(default=1_000_000, ge=1024, description="request body, default")
    max_events_body_bytes: int = Field(default=2_000_000, ge=1024, description="/v1/events")
    max_widget_body_bytes: int = Field(default=256 * 1024, ge=1024, description="/v1/widgets…")
    body_read_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    header_read_timeout_seconds: float = Field(default=10.0, gt=0, le=3600)
    ws_max_message_bytes: int = Field(default=1_000_000, ge=1024)

    # simulator
    simulator_rate: float = Field(default=2.0, gt=0, description="events per second")

    # sign-in (command_center/auth)
    auth_mode: Literal["local", "open"] = Field(
        default="local",
        description="local = sign-in required (local accounts, OIDC when configured); "
        "open = labelled open demo without sign-in",
    )
    admin_password: str = Field(
        default="", max_length=200, description="first admin's password; empty = random, printed"
    )
    session_ttl_minutes: int = Field(default=720, ge=1, le=43_200)
    login_rate_limit: int = Field(default=5, ge=1, le=1_000, description="failures/min per user+IP")
    oidc_issuer: str = Field(default="", max_length=500, description="OIDC issuer URL (discovery)")
    oidc_client_id: str = Field(default="", max_length=500)
    oidc_client_secret: str = Field(default="", max_length=500)
    oidc_scopes: str = Field(default="openid email profile", max_length=500)
    oidc_role_claim: str = Field(default="", max_length=100, description="claim holding roles")
    oidc_role_map: str = Field(
        default="", max_length=2000, description="claim value=role, comma-separated"
    )
    oidc_default_role: Literal["", "viewer", "editor", "admin"] = "viewer"
    public_url: str = Field(default="", max_length=500, description="external base URL of the app")

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value:
            return value
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a valid SQLAlchemy URL ({exc})") from None
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError("only sqlite and postgresql URLs are supported")
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("oidc_role_map")
    @classmethod
    def _check_role_map(cls, value: str) -> str:
        for rule in filter(None, (part.strip() for part in value.split(","))):
            claim, sep, role = rule.rpartition("=")
            if not sep or not claim.strip() or role.strip() not in {"viewer", "editor", "admin"}:
                raise ValueError(f"{rule!r} is not 'claim-value=viewer|editor|admin'")
        return value

    @property
    def oidc_enabled(self) -> bool:
        """OIDC single sign-on is offered when issuer and client id are set."""
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry `Secure` when the app is served over https (`PUBLIC_URL`)."""
        return self.public_url.lower().startswith("https://")

    @model_validator(mode="after")
    def _redis_state_needs_redis(self) -> Settings:
        if self.state_manager == "redis" and not self.redis_url:
            raise ValueError("STATE_MANAGER=redis needs REDIS_URL")
        return self

    @property
    def effective_database_url(self) -> str:
        """The database URL in use: the configured one or the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'command_center.db'}"

    @property
    def database_mode(self) -> str:
        """`postgresql` or `sqlite`."""
        return make_url(self.effective_database_url).get_backend_name()

    @property
    def cache_mode(self) -> str:
        """`redis` or `in-process`."""
        return "redis" if self.redis_url else "in-process"

    @property
    def warehouse_mode(self) -> str:
        """`databricks` when configured, otherwise `local`."""
        if self.databricks_host and self.databricks_http_path and self.databricks_token:
            return "databricks"
        return "local"

    @property
    def warehouse_path(self) -> Path:
        """Location of the local DuckDB warehouse file."""
        return self.data_dir / "warehouse.duckdb"

    @property
    def checkpoint_path(self) -> Path:
        """Location of the clarifier's SQLite checkpoint file (embedded mode)."""
        return self.data_dir / "checkpoints.sqlite"

    @property
    def tracing_mode(self) -> str:
        """`langfuse` when keys are set, otherwise `off`."""
        return "langfuse" if self.langfuse_public_key and self.langfuse_secret_key else "off"


class SettingsError(SystemExit):
    """Raised at start-up when a setting is invalid; its message is one readable line."""


def format_validation_error(error: ValidationError) -> str:
    """Render a settings validation error as one line naming each variable."""
    parts = []
    for item in error.errors():
        message = str(item["msg"]).removeprefix("Value error, ")
        if not item["loc"]:  # a rule across several variables
            parts.append(message)
            continue
        name = str(item["loc"][0]).upper()
        parts.append(f"{name}={item.get('input')!r}: {message}")
    return "invalid configuration: " + "; ".join(parts)


def load_settings() -> Settings:
    """Read settings from the environment, exiting with one clear line if any is invalid."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(format_validation_error(exc)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached). Tests call `get_settings.cache_clear()`."""
    return load_settings()


def die_on_bad_settings() -> Settings:
    """Load settings for a CLI/app entry point; print one line and exit(2) when invalid."""
    try:
        return get_settings()
    except SettingsError as exc:
        print(f"command-center: {exc}", file=sys.stderr)
        raise SystemExit(2) from None

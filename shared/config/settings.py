"""pydantic-settings base: the seed's variable names, `.env.local` beside each service's main.py.

Environment variables override the file. Settings objects are built at start-up (each service's
cached `get_settings()`), never at import, so tests construct their own.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.auth.tokens import DEFAULT_ISSUER, DEV_TOKEN_KEY_ID, DEV_TOKEN_SECRET, KEY_ID, MAX_TOKEN_HOURS, TokenSigner
from shared.config.secret_strength import weakness

__all__ = ["DEV_TOKEN_KEY_ID", "DEV_TOKEN_SECRET", "MAX_TOKEN_HOURS", "CommonSettings", "service_env_files"]
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def service_env_files(service_dir: Path) -> tuple[Path, ...]:
    return (service_dir / ".env.local",)


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", env_file_encoding="utf-8")

    environment: Literal["development", "production"] = "development"
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = Field(
        "text", description="json: one JSON object per line with request, order and trace ids (production)")
    bind_host: str = Field("127.0.0.1", description="Interface the HTTP (and gRPC) servers listen on")
    http_port: int = Field(8000, ge=0, le=65535)
    # SQLite file under ./var by default; PostgreSQL in production: postgresql+asyncpg://...
    database_url: str = ""
    api_base_url: str | None = Field(None, description="Main API that holds order details (GET /orders/{id})")
    api_timeout_seconds: float = Field(5.0, gt=0)
    max_concurrent_tasks: int = Field(10, ge=1, le=10_000)
    max_queued_tasks: int = Field(
        10_000, ge=1, le=1_000_000, description="jobs waiting for a slot; beyond, new work is refused with 503")
    order_expiry_minutes: float = Field(30, gt=0)
    find_max_sel: int = Field(10, ge=1, le=1000)
    max_body_bytes: int = Field(1_048_576, ge=1024, description="largest request body accepted (413 above)")
    idempotency_keep_hours: float = Field(24, gt=0, description="how long answers to Idempotency-Key requests are kept")
    idempotency_max_keys_per_caller: int = Field(
        1000, ge=1, le=1_000_000, description="Idempotency-Keys one caller may hold at once (429 beyond)")

    # --- Kafka / AWS MSK (see docs/kafka.md) ---
    kafka_enabled: bool = True
    kafka_bootstrap_servers: list[str] = Field(default_factory=lambda: ["localhost:9092"], min_length=1)
    kafka_client_id: str = "dcent-communicator"
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_ssl_cafile: Path | None = None
    # AWS_MSK_IAM = SASL OAUTHBEARER with a token from aws-msk-iam-sasl-signer-python
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "AWS_MSK_IAM"] | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_aws_region: str | None = None
    kafka_acks: Literal["all", "1", "0"] = "all"
    kafka_linger_ms: int = Field(5, ge=0, le=60_000)
    kafka_compression_type: Literal["gzip", "snappy", "lz4", "zstd"] | None = None
    kafka_request_timeout_ms: int = Field(10_000, ge=100)
    kafka_create_topics: bool = True
    kafka_topic_partitions: int = Field(1, ge=1)
    kafka_topic_replication: int = Field(1, ge=1)
    kafka_topic_buyer_acknowledgements: str = "BUYER_ACKNOWLEDGEMENTS"
    kafka_topic_buyer_notify: str = "BUYER_NOTIFY"
    kafka_topic_req_failures: str = "REQ_failures"
    kafka_topic_seller_acknowledgements: str = "SELLER_ACKNOWLEDGEMENTS"
    kafka_topic_seller_notify: str = "SELLER_NOTIFY"
    kafka_topic_prp_failures: str = "PRP_FAILURES"
    outbox_batch_size: int = Field(1000, ge=1, le=10_000)
    outbox_poll_seconds: float = Field(1.0, gt=0)
    outbox_linger_seconds: float = Field(
        0.05, ge=0, description="after a commit wakes the relay, wait this long so one batch carries many")
    outbox_retention_hours: float = Field(24, gt=0)

    # --- authentication (docs/security.md) ---
    auth_enabled: bool | None = Field(
        None, description="require bearer tokens; unset: on in production, off in development")
    auth_token_secrets: dict[str, SecretStr] = Field(
        default_factory=lambda: {DEV_TOKEN_KEY_ID: SecretStr(DEV_TOKEN_SECRET)}, min_length=1,
        description='JSON object {"<key id>": "<secret>"}: the first key signs tokens, all verify (rotation)')
    auth_token_issuer: str = Field(DEFAULT_ISSUER, min_length=1, description="the `iss` tokens carry and must carry")
    auth_token_max_hours: float = Field(
        MAX_TOKEN_HOURS, gt=0, description="longest token lifetime issued or accepted (exp - iat)")
    auth_token_leeway_seconds: float = Field(30, ge=0, le=300, description="clock skew allowed on exp, nbf, iat")

    @field_validator("auth_token_secrets")
    @classmethod
    def _key_ids(cls, keys: dict[str, SecretStr]) -> dict[str, SecretStr]:
        if bad := [kid for kid in keys if not KEY_ID.fullmatch(kid)]:
            raise ValueError(f"AUTH_TOKEN_SECRETS key ids must match {KEY_ID.pattern}: {bad}")
        return keys

    @property
    def auth_required(self) -> bool:
        return self.environment == "production" if self.auth_enabled is None else self.auth_enabled

    def token_secrets(self) -> list[str]:
        return [secret.get_secret_value() for secret in self.auth_token_secrets.values()]

    def token_signer(self) -> TokenSigner:
        return TokenSigner(
            {kid: secret.get_secret_value() for kid, secret in self.auth_token_secrets.items()},
            issuer=self.auth_token_issuer, leeway_seconds=self.auth_token_leeway_seconds,
            max_lifetime_seconds=self.auth_token_max_hours * 3600,
        )

    def verifying_signer(self) -> TokenSigner | None:
        """What checks incoming tokens: None while authentication is off (development)."""
        return self.token_signer() if self.auth_required else None

    @property
    def loopback_only(self) -> bool:
        return self.bind_host in LOOPBACK_HOSTS

    def problems_in_every_profile(self) -> list[str]:
        """What every profile refuses: the open profile served to a network by default, settings
        that contradict each other."""
        if "environment" not in self.model_fields_set and not self.loopback_only:
            return [(f"ENVIRONMENT must be set when BIND_HOST is {self.bind_host!r} (not loopback): "
                     "production, or development to serve the open profile on purpose")]
        return []

    def production_problems(self) -> list[str]:
        """What the production profile refuses; each service adds its own."""
        problems = []
        if not self.auth_required:
            problems.append("AUTH_ENABLED must not be false")
        for kid, secret in self.auth_token_secrets.items():
            if reason := weakness(secret.get_secret_value()):
                problems.append(f"AUTH_TOKEN_SECRETS key {kid!r} is weak: {reason}")
        if len(set(self.token_secrets())) < len(self.auth_token_secrets):
            problems.append("AUTH_TOKEN_SECRETS must not use one secret under two key ids")
        if self.auth_token_max_hours > MAX_TOKEN_HOURS:
            problems.append(f"AUTH_TOKEN_MAX_HOURS must be at most {MAX_TOKEN_HOURS} (tokens must expire)")
        if self.kafka_enabled and self.kafka_security_protocol in ("PLAINTEXT", "SASL_PLAINTEXT"):
            problems.append("KAFKA_SECURITY_PROTOCOL must be SSL or SASL_SSL (Kafka traffic is plaintext)")
        if not self.database_url.lower().startswith("postgresql+asyncpg://"):
            problems.append("DATABASE_URL must be postgresql+asyncpg://… (PostgreSQL through asyncpg, "
                            "the one production database)")
        if self.api_base_url and not self.api_base_url.startswith("https://"):
            problems.append("API_BASE_URL must be https:// (order details and the buyer's identity travel on it)")
        return problems

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Self:
        if self.environment == "production" and (problems := self.production_problems()):
            raise ValueError("the production profile refuses to start: " + "; ".join(problems))
        if problems := self.problems_in_every_profile():
            raise ValueError("refusing to start: " + "; ".join(problems))
        return self

    def resolved_database_url(self, service: str) -> str:
        if self.database_url:
            return self.database_url
        var = Path("var")
        var.mkdir(exist_ok=True)
        return f"sqlite+aiosqlite:///{(var / f'{service}.db').resolve()}"

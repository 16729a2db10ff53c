"""Processor settings (env vars override processor/.env.local)."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.config import CommonSettings, service_env_files
from shared.config.secret_strength import weakness

DEV_ADMIN_KEY = "dev-admin-key"
SERVICE_DIR = Path(__file__).resolve().parent.parent
DEMO_SELLERS_FILE = SERVICE_DIR / "data" / "sellers.json"
GOOGLE_CHAT_WEBHOOKS = "https://chat.googleapis.com/"
ALLOWED_PREFIX = re.compile(r"https://[A-Za-z0-9.-]+(:[0-9]{1,5})?/[^\s]*")


class ProcessorSettings(CommonSettings):
    model_config = SettingsConfigDict(env_file=service_env_files(SERVICE_DIR), extra="ignore")

    http_port: int = Field(8001, ge=0, le=65535)
    grpc_server_port: int = Field(50051, ge=0, le=65535)
    # grpc.aio serves on the event loop; these threads only run sync handlers and blocking calls.
    health_check_seconds: float = Field(
        2.0, gt=0, le=60, description="how often gRPC health looks at the database (NOT_SERVING while it is away)")
    grpc_max_workers: int = Field(10, ge=1, le=1000)
    grpc_grace_seconds: float = Field(5.0, ge=0)
    # Google Distance Matrix: base URL (https://maps.googleapis.com) and key; unset → great-circle only
    api_google_bot_url: str | None = None
    google_api_key: SecretStr | None = None
    distance_matrix_candidates: int = Field(20, ge=1, le=500, description="nearest sellers ranked by Google")
    distance_matrix_max_concurrent: int = Field(4, ge=1, le=100)
    google_attempts: int = Field(3, ge=1, le=10)
    google_timeout_seconds: float = Field(5.0, gt=0)
    # Google Chat: sellers' incoming-webhook URLs may be relative to this base (tests, proxies)
    api_google_chat_url: str | None = None
    gchat_messages_per_second: float = Field(1.0, gt=0, description="per space; Google allows about 1")
    gchat_max_attempts: int = Field(5, ge=1, le=20)
    gchat_max_queued_per_space: int = Field(
        1000, ge=1, le=100_000,
        description="notices waiting per Chat space (the routing intake holds 10 times as many); "
                    "more are dropped, counted and recorded as failed notices")
    gchat_webhook_allowed_prefixes: list[str] = Field(
        default_factory=lambda: [GOOGLE_CHAT_WEBHOOKS],
        description="production: seller webhooks (and API_GOOGLE_CHAT_URL) must start with one of these")
    admin_api_key: SecretStr = SecretStr(DEV_ADMIN_KEY)
    seller_token_hours: float = Field(720, gt=0, description="lifetime of seller tokens the admin API issues")
    # TLS for the gRPC server; with a client CA, clients must present a certificate it signed (mTLS)
    grpc_tls_cert_file: Path | None = None
    grpc_tls_key_file: Path | None = None
    grpc_tls_client_ca_file: Path | None = None
    grpc_tls_mutual: bool = Field(False, description="require client certificates (GRPC_TLS_CLIENT_CA_FILE signs them)")
    grpc_health_port: int | None = Field(
        None, ge=0, le=65535, description="plaintext port serving only gRPC health (probes)")
    grpc_reflection: bool | None = Field(
        None, description="serve gRPC server reflection; unset: on in development, off in production")
    # Unset: the demo directory in development, none in production (where naming it is refused).
    sellers_file: Path | None = DEMO_SELLERS_FILE
    search_radius_km: float = Field(1000.0, gt=0)
    edit_lock_seconds: int = Field(300, ge=1, le=3600)
    max_proposal_revisions: int = Field(
        100, ge=1, le=1_000_000, description="proposal writes (new or changed) one seller may make on one order")
    max_edit_locks_per_proposal: int = Field(
        200, ge=1, le=1_000_000, description="takes and renewals of the edit lock on one proposal")
    max_followups_per_order: int = Field(200, ge=1, le=1_000_000, description="buyer and seller follow-ups together")
    # A stream re-reads the log this often even without a local wake-up (another replica wrote).
    stream_poll_seconds: float = Field(2.0, gt=0)
    expiry_check_seconds: float = Field(5.0, gt=0)
    # The seller page a Chat card's button opens (issue 17). Unset: this service's own page on a
    # loopback BIND_HOST (development); elsewhere, cards go without a button until it is set.
    seller_page_url: str | None = Field(None, pattern=r"^https?://[^\s#?]+/$",
                                        description="public URL of the seller page, ending in /")
    seller_link_hours: float = Field(
        72.0, gt=0, le=24 * 30, description="life of the link in a Chat card (at most a day past the order's expiry)")
    seller_session_hours: float = Field(8.0, gt=0, le=24 * 7, description="life of the session a link opens")

    @property
    def seller_page(self) -> str | None:
        if self.seller_page_url:
            return self.seller_page_url
        if self.loopback_only:
            return f"http://127.0.0.1:{self.http_port}/seller/"
        return None

    @property
    def reflection_served(self) -> bool:
        """Reflection lists every service and message: a map for an attacker, so off in production."""
        return self.environment != "production" if self.grpc_reflection is None else self.grpc_reflection

    @model_validator(mode="before")
    @classmethod
    def _no_demo_sellers_by_default_in_production(cls, values: Any) -> Any:
        if isinstance(values, dict):
            if values.get("sellers_file") == "":  # SELLERS_FILE= : no file (not the current directory)
                values["sellers_file"] = None
            if values.get("environment") == "production":
                values.setdefault("sellers_file", None)
        return values

    def webhook_allowed(self, url: str | None) -> bool:
        if url is None or self.environment != "production":
            return True
        return url.startswith(tuple(self.gchat_webhook_allowed_prefixes))

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        key = self.admin_api_key.get_secret_value()
        if reason := weakness(key):
            problems.append(f"ADMIN_API_KEY is weak: {reason}")
        if key in self.token_secrets():
            problems.append("ADMIN_API_KEY must differ from every AUTH_TOKEN_SECRETS secret")
        if not (self.grpc_tls_cert_file and self.grpc_tls_key_file):
            problems.append("GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE must be set (gRPC is plaintext)")
        if self.sellers_file is not None and self.sellers_file.resolve() == DEMO_SELLERS_FILE:
            problems.append("SELLERS_FILE must not be the demo directory (development only)")
        if not all(ALLOWED_PREFIX.fullmatch(p) for p in self.gchat_webhook_allowed_prefixes):
            problems.append("GCHAT_WEBHOOK_ALLOWED_PREFIXES must each be https://<host>/… (a host and the '/' "
                            "after it, so no other host can match)")
        if self.api_google_chat_url and not self.webhook_allowed(self.api_google_chat_url):
            problems.append("API_GOOGLE_CHAT_URL must start with one of GCHAT_WEBHOOK_ALLOWED_PREFIXES")
        if self.seller_page_url and not self.seller_page_url.startswith("https://"):
            problems.append("SELLER_PAGE_URL must be https:// (the link in it opens a seller's session)")
        if self.api_google_bot_url and not self.api_google_bot_url.startswith("https://"):
            problems.append("API_GOOGLE_BOT_URL must be https:// (the Google API key travels on it)")
        return problems

    def problems_in_every_profile(self) -> list[str]:
        problems = super().problems_in_every_profile()
        if self.grpc_tls_mutual and not self.grpc_tls_client_ca_file:
            problems.append("GRPC_TLS_CLIENT_CA_FILE must be set when GRPC_TLS_MUTUAL is true")
        lifetimes = {"SELLER_TOKEN_HOURS": self.seller_token_hours, "SELLER_LINK_HOURS": self.seller_link_hours,
                     "SELLER_SESSION_HOURS": self.seller_session_hours}
        for name, hours in lifetimes.items():
            if hours > self.auth_token_max_hours:
                problems.append(f"{name} must not exceed AUTH_TOKEN_MAX_HOURS")
        return problems


@lru_cache
def get_settings() -> ProcessorSettings:
    return ProcessorSettings()

"""Requestor settings (env vars override requestor/.env.local)."""
from __future__ import annotations

import ipaddress
import time
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from shared.auth.principal import Role
from shared.auth.tokens import Audience, unverified_claims, unverified_key_id
from shared.config import CommonSettings, service_env_files
from shared.config.settings import DEV_TOKEN_KEY_ID
from shared.errors import Unauthorized

SERVICE_DIR = Path(__file__).resolve().parent.parent


class RequestorSettings(CommonSettings):
    model_config = SettingsConfigDict(env_file=service_env_files(SERVICE_DIR), extra="ignore")

    http_port: int = Field(8000, ge=0, le=65535)
    processor_grpc_target: str = Field(
        "127.0.0.1:50051", description="the Processor's gRPC server: host:port, a comma-separated list of IP:port "
        "(one per replica), or any gRPC target such as dns:///processor-grpc:50051; calls are spread round-robin")

    @model_validator(mode="after")
    def _lease_outlasts_heartbeats(self) -> RequestorSettings:
        if self.replica_lease_seconds < 2 * self.heartbeat_seconds:
            raise ValueError("REPLICA_LEASE_SECONDS must be at least twice HEARTBEAT_SECONDS, or one late "
                             "heartbeat moves a live replica's streams")
        return self

    @field_validator("processor_grpc_target")
    @classmethod
    def _address_list(cls, target: str) -> str:
        """`10.0.0.1:50051,10.0.0.2:50051` as gRPC's own name for a list of addresses (ipv4:…)."""
        if "," not in target or target.startswith(("ipv4:", "ipv6:")):
            return target
        hosts = [address.strip().rsplit(":", 1)[0].strip("[]") for address in target.split(",")]
        try:
            versions = {ipaddress.ip_address(host).version for host in hosts}
        except ValueError:
            raise ValueError("a list of Processor addresses must be IP:port pairs; "
                             "for a name that resolves to several, use dns:///name:port") from None
        if len(versions) > 1:
            raise ValueError("a list of Processor addresses must be all IPv4 or all IPv6")
        return f"ipv{versions.pop()}:{','.join(address.strip() for address in target.split(','))}"
    heartbeat_seconds: float = Field(
        1.0, gt=0, le=60, description="how often this replica tells the others it is alive (PostgreSQL)")
    replica_lease_seconds: float = Field(
        3.0, gt=0, le=600, description="a replica silent this long is dead: its orders' streams move to the others")
    grpc_call_timeout_seconds: float = Field(10.0, gt=0)
    grpc_call_attempts: int = Field(
        5, ge=1, le=5, description="tries of a call the Processor did not take (UNAVAILABLE)")
    # A service token the Processor signed (role "service"); sent as gRPC metadata
    processor_auth_token: SecretStr | None = None
    grpc_tls_enabled: bool = False
    grpc_tls_ca_file: Path | None = Field(None, description="CA of the Processor's certificate; unset: system roots")
    grpc_tls_cert_file: Path | None = Field(None, description="client certificate, for a Processor that asks (mTLS)")
    grpc_tls_key_file: Path | None = None
    grpc_tls_server_name: str | None = Field(
        None, description="name to verify the certificate against, if not the target's host")
    stream_retry_initial_seconds: float = Field(0.05, gt=0)
    stream_retry_max_seconds: float = Field(2.0, gt=0)
    # After an action, wait this long for the stream to deliver its event so the answer shows it.
    action_wait_seconds: float = Field(3.0, ge=0)
    sse_ping_seconds: float = Field(15.0, gt=0, description="keep-alive comment on an idle event stream")
    sse_poll_seconds: float = Field(5.0, gt=0)
    stream_ticket_seconds: float = Field(
        60, ge=5, le=600, description="life of a stream ticket (the credential an EventSource URL carries)")

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if self.processor_auth_token is None:
            problems.append("PROCESSOR_AUTH_TOKEN must be set (a service token the Processor signed)")
        elif reason := self.service_token_defect(self.processor_auth_token.get_secret_value()):
            problems.append(f"PROCESSOR_AUTH_TOKEN is not a usable service token: {reason}")
        if not self.grpc_tls_enabled:
            problems.append("GRPC_TLS_ENABLED must be true (gRPC to the Processor is plaintext)")
        return problems

    def problems_in_every_profile(self) -> list[str]:
        problems = super().problems_in_every_profile()
        if (self.grpc_tls_cert_file is None) != (self.grpc_tls_key_file is None):
            problems.append("GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE go together (mutual TLS)")
        return problems

    def service_token_defect(self, token: str) -> str | None:
        """What is wrong with a service token, judged by what can be seen without the Processor's
        secret (its signature is the Processor's to check)."""
        try:
            claims = unverified_claims(token)
        except Unauthorized as refusal:
            return refusal.reason
        if unverified_key_id(token) == DEV_TOKEN_KEY_ID:
            return "it is signed with the built-in development key (mint it with the Processor's AUTH_TOKEN_SECRETS)"
        expires, issued = claims.get("exp"), claims.get("iat")
        if claims.get("role") != Role.SERVICE or claims.get("aud") != Audience.PROCESSOR:
            return f"it must carry role {Role.SERVICE.value!r} and aud {Audience.PROCESSOR.value!r}"
        if type(expires) is not int or type(issued) is not int:
            return "it must carry exp and iat"
        if expires - issued > self.auth_token_max_hours * 3600:
            return "it lives longer than AUTH_TOKEN_MAX_HOURS"
        if expires <= time.time():
            return "it has expired"
        return None


@lru_cache
def get_settings() -> RequestorSettings:
    return RequestorSettings()

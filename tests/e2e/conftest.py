"""Both services as real processes on free ports, with a real database and Kafka broker."""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest

from devtools.service_process import ENDED_BY_ITSELF, Stack, launch_stack
from shared.auth import Role, TokenSigner
from tests.pki import make_certs

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def stack(make_db_url, tmp_path, kafka_broker):
    running = launch_stack(make_db_url("processor"), make_db_url("requestor"), kafka_broker.bootstrap, tmp_path)
    try:
        yield running
    finally:
        exit_codes = running.stop()
    # SIGTERM ends each service by itself, never the SIGKILL that follows 30 s later: nothing in its
    # shutdown (streams, relay, database) hangs.
    assert set(exit_codes.values()) <= ENDED_BY_ITSELF, exit_codes


@dataclass(frozen=True)
class ProductionStack:
    """Both services in the production profile, with the credentials a real deployment hands out."""

    stack: Stack
    admin_key: str
    processor_signer: TokenSigner
    requestor_signer: TokenSigner

    def seller(self, seller_id: str) -> str:
        return self.processor_signer.issue(Role.SELLER, seller_id, ttl_seconds=3600)

    def buyer(self, session_id: str) -> str:
        return self.requestor_signer.issue(Role.BUYER, session_id, ttl_seconds=3600)


@pytest.fixture
def production_stack(make_db_url, db_backend, tmp_path, kafka_broker):
    """ENVIRONMENT=production on PostgreSQL: each service its own generated keys, an admin key,
    gRPC over mutual TLS, the Requestor's service token signed by the Processor. (Kafka is off: the
    production profile demands TLS to it, which the local broker does not speak.)"""
    if db_backend != "postgresql":
        pytest.skip("the production profile refuses SQLite")
    (certs := tmp_path / "pki").mkdir()
    make_certs(certs)
    processor_keys = {"k-" + secrets.token_hex(4): secrets.token_urlsafe(32)}
    requestor_keys = {"k-" + secrets.token_hex(4): secrets.token_urlsafe(32)}
    processor_signer, requestor_signer = TokenSigner(processor_keys), TokenSigner(requestor_keys)
    admin_key = secrets.token_urlsafe(32)
    running = launch_stack(
        make_db_url("processor"), make_db_url("requestor"), kafka_broker.bootstrap, tmp_path,
        env={"ENVIRONMENT": "production", "KAFKA_ENABLED": "false"},
        processor_env={
            "AUTH_TOKEN_SECRETS": json.dumps(processor_keys), "ADMIN_API_KEY": admin_key,
            "GRPC_TLS_CERT_FILE": str(certs / "server.pem"), "GRPC_TLS_KEY_FILE": str(certs / "server.key"),
            "GRPC_TLS_CLIENT_CA_FILE": str(certs / "ca.pem"), "GRPC_TLS_MUTUAL": "true",
        },
        requestor_env={
            "AUTH_TOKEN_SECRETS": json.dumps(requestor_keys),
            "PROCESSOR_AUTH_TOKEN": processor_signer.issue(Role.SERVICE, "requestor", ttl_seconds=3600),
            "GRPC_TLS_ENABLED": "true", "GRPC_TLS_CA_FILE": str(certs / "ca.pem"),
            "GRPC_TLS_CERT_FILE": str(certs / "client.pem"), "GRPC_TLS_KEY_FILE": str(certs / "client.key"),
        },
    )
    try:
        yield ProductionStack(running, admin_key, processor_signer, requestor_signer)
    finally:
        exit_codes = running.stop()
    assert set(exit_codes.values()) <= ENDED_BY_ITSELF, exit_codes

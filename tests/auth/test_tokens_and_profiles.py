"""Tokens (signature, expiry, rotation) and the production profile's refusals: fast unit tests."""
import pytest
from pydantic import ValidationError

from processor.app.config import ProcessorSettings
from requestor.app.config import RequestorSettings
from shared.auth import Role, TokenSigner
from shared.errors import Unauthorized

OLD, NEW = "o" * 40, "n" * 40


def test_a_token_names_its_caller_until_it_expires():
    signer = TokenSigner([NEW])
    token = signer.issue(Role.SELLER, "SELLER-001", ttl_seconds=60, now=1000)
    principal = signer.verify(token, now=1050)
    assert (principal.role, principal.subject) == (Role.SELLER, "SELLER-001")
    with pytest.raises(Unauthorized, match="expired"):
        signer.verify(token, now=1000 + 60 + 31)  # past the 30 s leeway


@pytest.mark.parametrize("mangle", [
    lambda t: t + "x",                       # signature altered
    lambda t: t.split(".")[0] + ".e30." + t.split(".")[2],  # claims swapped for {}
    lambda t: "not.a-token",
    lambda t: "",
])
def test_altered_or_malformed_tokens_are_refused(mangle):
    token = TokenSigner([NEW]).issue(Role.BUYER, "SESSION-1", ttl_seconds=60)
    with pytest.raises(Unauthorized):
        TokenSigner([NEW]).verify(mangle(token))


def test_rotation_new_secret_first_old_tokens_still_verify_until_removed():
    old_token = TokenSigner([OLD]).issue(Role.SELLER, "SELLER-001", ttl_seconds=60)
    rotating = TokenSigner([NEW, OLD])
    assert rotating.verify(old_token).subject == "SELLER-001"
    new_token = rotating.issue(Role.SELLER, "SELLER-001", ttl_seconds=60)
    assert TokenSigner([NEW]).verify(new_token).subject == "SELLER-001"
    with pytest.raises(Unauthorized, match="key"):
        TokenSigner([NEW]).verify(old_token)


def test_development_profile_defaults_to_auth_off():
    assert not ProcessorSettings(_env_file=None).auth_required
    assert ProcessorSettings(_env_file=None, auth_enabled=True).auth_required


def test_production_profile_refuses_every_unsafe_default():
    with pytest.raises(ValidationError) as processor:
        ProcessorSettings(_env_file=None, environment="production")
    message = str(processor.value)
    for setting in ("AUTH_TOKEN_SECRETS", "ADMIN_API_KEY", "GRPC_TLS_CERT_FILE", "KAFKA_SECURITY_PROTOCOL"):
        assert setting in message
    with pytest.raises(ValidationError, match="AUTH_ENABLED"):
        ProcessorSettings(_env_file=None, environment="production", auth_enabled=False)
    with pytest.raises(ValidationError) as requestor:
        RequestorSettings(_env_file=None, environment="production")
    for setting in ("AUTH_TOKEN_SECRETS", "PROCESSOR_AUTH_TOKEN", "GRPC_TLS_ENABLED", "KAFKA_SECURITY_PROTOCOL"):
        assert setting in str(requestor.value)


def test_production_profile_starts_with_safe_settings(tmp_path):
    safe = {"_env_file": None, "environment": "production", "auth_token_secrets": [NEW],
            "kafka_security_protocol": "SASL_SSL"}
    processor = ProcessorSettings(**safe, admin_api_key="a" * 32,
                                  grpc_tls_cert_file=tmp_path / "c.pem", grpc_tls_key_file=tmp_path / "k.pem")
    assert processor.auth_required
    requestor = RequestorSettings(**safe, processor_auth_token="t", grpc_tls_enabled=True)
    assert requestor.auth_required

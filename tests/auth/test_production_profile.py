"""The production profile refuses every unsafe setting, each by name; safe settings start."""
import secrets

import pytest
from pydantic import ValidationError

from processor.app.config import DEMO_SELLERS_FILE, ProcessorSettings
from requestor.app.config import RequestorSettings
from shared.auth import Role, TokenSigner
from shared.config.secret_strength import weakness
from shared.config.settings import DEV_TOKEN_KEY_ID, DEV_TOKEN_SECRET

PROCESSOR_KEYS = {"k-p1": secrets.token_urlsafe(32)}
REQUESTOR_KEYS = {"k-r1": secrets.token_urlsafe(32)}
SERVICE_TOKEN = TokenSigner(PROCESSOR_KEYS).issue(Role.SERVICE, "requestor", ttl_seconds=3600)
COMMON = {"_env_file": None, "environment": "production", "kafka_security_protocol": "SASL_SSL",
          "database_url": "postgresql+asyncpg://dcent@db/dcent"}


def safe_processor(tmp_path, **overrides) -> ProcessorSettings:
    return ProcessorSettings(**{**COMMON, "auth_token_secrets": PROCESSOR_KEYS,
                                "admin_api_key": secrets.token_urlsafe(32),
                                "grpc_tls_cert_file": tmp_path / "c.pem", "grpc_tls_key_file": tmp_path / "k.pem",
                                **overrides})


def safe_requestor(**overrides) -> RequestorSettings:
    return RequestorSettings(**{**COMMON, "auth_token_secrets": REQUESTOR_KEYS, "processor_auth_token": SERVICE_TOKEN,
                                "grpc_tls_enabled": True, **overrides})


def test_safe_settings_start_with_authentication_on_and_no_demo_sellers(tmp_path):
    processor = safe_processor(tmp_path)
    assert processor.auth_required and processor.sellers_file is None
    assert safe_processor(tmp_path, gchat_webhook_allowed_prefixes=["https://chat-proxy.internal:8443/v1/"])
    assert ProcessorSettings(_env_file=None, sellers_file="").sellers_file is None  # SELLERS_FILE= : none
    assert safe_requestor().auth_required
    assert ProcessorSettings(_env_file=None).sellers_file == DEMO_SELLERS_FILE  # development keeps the demo


def test_the_development_profile_defaults_to_auth_off():
    assert not ProcessorSettings(_env_file=None).auth_required
    assert ProcessorSettings(_env_file=None, auth_enabled=True).auth_required


def test_the_defaults_are_refused_naming_each_setting():
    with pytest.raises(ValidationError) as processor:
        ProcessorSettings(_env_file=None, environment="production")
    for setting in ("AUTH_TOKEN_SECRETS", "ADMIN_API_KEY", "GRPC_TLS_CERT_FILE", "KAFKA_SECURITY_PROTOCOL",
                    "DATABASE_URL"):
        assert setting in str(processor.value)
    with pytest.raises(ValidationError) as requestor:
        RequestorSettings(_env_file=None, environment="production")
    for setting in ("AUTH_TOKEN_SECRETS", "PROCESSOR_AUTH_TOKEN", "GRPC_TLS_ENABLED", "DATABASE_URL"):
        assert setting in str(requestor.value)


WEAK = {"k-1": "a" * 40}
SHARED_UNDER_TWO_IDS = {"k-1": PROCESSOR_KEYS["k-p1"], "k-2": PROCESSOR_KEYS["k-p1"]}
FOREIGN_AUDIENCE = TokenSigner(PROCESSOR_KEYS).issue(Role.BUYER, "S-1", ttl_seconds=3600)
EXPIRED = TokenSigner(PROCESSOR_KEYS).issue(Role.SERVICE, "requestor", ttl_seconds=60, now=1_000_000)
DEV_SIGNED = TokenSigner({DEV_TOKEN_KEY_ID: DEV_TOKEN_SECRET}).issue(Role.SERVICE, "requestor", ttl_seconds=3600)


@pytest.mark.parametrize("overrides, refusal", [
    ({"auth_enabled": False}, "AUTH_ENABLED"),
    ({"auth_token_secrets": WEAK}, "AUTH_TOKEN_SECRETS key 'k-1' is weak: too predictable"),
    ({"auth_token_secrets": {"k-1": "change-me-" + secrets.token_urlsafe(32)}}, "placeholder"),
    ({"auth_token_secrets": {"k-1": "short"}}, "shorter than 32"),
    ({"auth_token_secrets": SHARED_UNDER_TWO_IDS}, "one secret under two key ids"),
    ({"auth_token_max_hours": 100_000}, "AUTH_TOKEN_MAX_HOURS"),
    ({"admin_api_key": "dev-admin-key"}, "ADMIN_API_KEY is weak"),
    ({"admin_api_key": "x" * 64}, "ADMIN_API_KEY is weak: too predictable"),
    ({"admin_api_key": PROCESSOR_KEYS["k-p1"]}, "ADMIN_API_KEY must differ"),
    ({"grpc_tls_cert_file": None}, "GRPC_TLS_CERT_FILE"),
    ({"kafka_security_protocol": "PLAINTEXT"}, "KAFKA_SECURITY_PROTOCOL"),
    ({"database_url": ""}, "DATABASE_URL"),
    ({"database_url": "sqlite+aiosqlite:///var/processor.db"}, "DATABASE_URL"),
    ({"database_url": "SQLITE+aiosqlite:///var/processor.db"}, "DATABASE_URL"),
    ({"database_url": "postgresql://dcent@db/dcent"}, "DATABASE_URL must be postgresql\\+asyncpg"),
    ({"database_url": "mysql+aiomysql://dcent@db/dcent"}, "DATABASE_URL"),
    ({"sellers_file": DEMO_SELLERS_FILE}, "SELLERS_FILE must not be the demo"),
    ({"api_base_url": "http://main-api.internal"}, "API_BASE_URL must be https"),
    ({"api_google_chat_url": "https://evil.example/"}, "API_GOOGLE_CHAT_URL"),
    ({"gchat_webhook_allowed_prefixes": ["http://proxy.internal/"]}, "GCHAT_WEBHOOK_ALLOWED_PREFIXES must each be"),
    ({"gchat_webhook_allowed_prefixes": ["https://"]}, "GCHAT_WEBHOOK_ALLOWED_PREFIXES must each be"),
    ({"gchat_webhook_allowed_prefixes": ["https://chat.googleapis.com"]}, "GCHAT_WEBHOOK_ALLOWED_PREFIXES"),
    ({"api_google_bot_url": "http://maps.example"}, "API_GOOGLE_BOT_URL"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_each_unsafe_processor_setting_is_refused_by_name(tmp_path, overrides, refusal):
    with pytest.raises(ValidationError, match=refusal):
        safe_processor(tmp_path, **overrides)


@pytest.mark.parametrize("overrides, refusal", [
    ({"processor_auth_token": "not-a-token"}, "PROCESSOR_AUTH_TOKEN is not a usable service token"),
    ({"processor_auth_token": FOREIGN_AUDIENCE}, "role 'service' and aud 'dcent-processor'"),
    ({"processor_auth_token": EXPIRED}, "expired"),
    ({"processor_auth_token": DEV_SIGNED}, "built-in development key"),
    ({"grpc_tls_enabled": False}, "GRPC_TLS_ENABLED"),
    ({"api_base_url": "http://main-api.internal"}, "API_BASE_URL must be https"),
    ({"auth_token_secrets": WEAK}, "AUTH_TOKEN_SECRETS"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_each_unsafe_requestor_setting_is_refused_by_name(overrides, refusal):
    with pytest.raises(ValidationError, match=refusal):
        safe_requestor(**overrides)


def test_an_open_profile_on_a_network_interface_needs_environment_said_out_loud():
    with pytest.raises(ValidationError, match=r"ENVIRONMENT must be set when BIND_HOST is '0\.0\.0\.0'"):
        ProcessorSettings(_env_file=None, bind_host="0.0.0.0")
    assert ProcessorSettings(_env_file=None, bind_host="0.0.0.0", environment="development").bind_host == "0.0.0.0"
    assert RequestorSettings(_env_file=None, bind_host="127.0.0.1").bind_host == "127.0.0.1"


def test_contradictory_settings_are_refused_in_every_profile(tmp_path):
    with pytest.raises(ValidationError, match="GRPC_TLS_CLIENT_CA_FILE must be set when GRPC_TLS_MUTUAL"):
        ProcessorSettings(_env_file=None, grpc_tls_mutual=True)
    with pytest.raises(ValidationError, match="SELLER_TOKEN_HOURS"):
        ProcessorSettings(_env_file=None, seller_token_hours=9000, auth_token_max_hours=8760)
    with pytest.raises(ValidationError, match="GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE go together"):
        RequestorSettings(_env_file=None, grpc_tls_cert_file=tmp_path / "c.pem")


@pytest.mark.parametrize("secret, weak", [
    (secrets.token_urlsafe(32), False), (secrets.token_hex(32), False),
    ("abababababababababababababababababab", True), ("passwordpasswordpasswordpassword1", True),
])
def test_secret_strength_is_judged_by_entropy_not_only_length(secret, weak):
    assert (weakness(secret) is not None) is weak

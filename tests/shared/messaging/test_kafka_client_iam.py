"""MSK IAM's signer is the optional `msk-iam` extra: loaded only when IAM is configured, and when it
is missing the configuration fails at start-up with an error that names the extra."""
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from shared.config import CommonSettings
from shared.messaging.kafka_client import KafkaPublisher, MskIamTokenProvider, create_topics, producer_config

ROOT = Path(__file__).resolve().parents[3]
SIGNER = "aws_msk_iam_sasl_signer"


def iam(**values) -> CommonSettings:
    return CommonSettings(_env_file=None, kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="AWS_MSK_IAM",
                          kafka_aws_region="eu-west-1", **values)


@pytest.fixture
def signer_missing(monkeypatch):
    """As if the extra were not installed: `import aws_msk_iam_sasl_signer` raises ImportError."""
    monkeypatch.setitem(sys.modules, SIGNER, None)


def test_iam_without_the_extra_fails_when_the_configuration_is_built_naming_the_extra(signer_missing):
    with pytest.raises(ImportError, match=r"AWS_MSK_IAM needs the msk-iam extra") as raised:
        producer_config(iam())
    assert "dcent-communicator[msk-iam]" in str(raised.value) and "pip install -e '.[msk-iam]'" in str(raised.value)
    assert isinstance(raised.value.__cause__, ImportError)


async def test_a_service_starting_with_iam_and_no_extra_stops_there_before_any_connection(signer_missing):
    # Start-up builds the configuration first (topics, then the producer): no broker is contacted.
    with pytest.raises(ImportError, match="msk-iam extra"):
        await KafkaPublisher(iam(kafka_create_topics=False, kafka_bootstrap_servers=["127.0.0.1:1"]), []).connect()
    with pytest.raises(ImportError, match="msk-iam extra"):
        await create_topics(iam(kafka_bootstrap_servers=["127.0.0.1:1"]), ["SELLER_NOTIFY"])


def test_other_mechanisms_do_not_need_the_extra(signer_missing):
    assert producer_config(CommonSettings(_env_file=None))["security_protocol"] == "PLAINTEXT"
    config = producer_config(CommonSettings(
        _env_file=None, kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="svc", kafka_sasl_password="s3cret"))
    assert config["sasl_mechanism"] == "SCRAM-SHA-512"
    # An injected signer needs no extra either (how the token provider's own tests run).
    assert MskIamTokenProvider("eu-west-1", generate=lambda region: ("t", 0.0))


async def test_with_the_extra_the_provider_signs_with_it(monkeypatch):
    calls = []

    class MSKAuthTokenProvider:  # the extra's interface: generate_auth_token(region) -> (token, expiry ms)
        @staticmethod
        def generate_auth_token(region):
            calls.append(region)
            return "signed-token", time.time() * 1000 + 900_000

    monkeypatch.setitem(sys.modules, SIGNER, types.SimpleNamespace(MSKAuthTokenProvider=MSKAuthTokenProvider))
    provider = producer_config(iam())["sasl_oauth_token_provider"]
    assert isinstance(provider, MskIamTokenProvider)
    assert await provider.token() == "signed-token" and calls == ["eu-west-1"]


def test_the_services_import_without_the_signer_or_boto3():
    # A fresh interpreter: importing both services (and the Kafka client) loads neither package.
    code = (
        "import sys\n"
        f"sys.modules[{SIGNER!r}] = None\n"
        "import shared.messaging.kafka_client, processor.app.factory, requestor.app.factory\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore'))\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr

"""Settings → aiokafka client configuration for PLAINTEXT, TLS, SASL/SCRAM and MSK IAM."""
import asyncio
import ssl
import time

import pytest

from shared.config import CommonSettings
from shared.messaging.kafka_client import MskIamTokenProvider, producer_config


def settings(**values) -> CommonSettings:
    return CommonSettings(_env_file=None, **values)


def test_local_defaults_need_neither_idempotence_nor_transactions():
    config = producer_config(settings())
    assert config["bootstrap_servers"] == ["localhost:9092"]
    assert config["security_protocol"] == "PLAINTEXT" and config["enable_idempotence"] is False
    assert config["acks"] == "all" and "sasl_mechanism" not in config and "ssl_context" not in config


def test_bootstrap_servers_is_a_json_list_in_the_environment(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", '["b-1.msk:9096", "b-2.msk:9096"]')
    assert producer_config(settings())["bootstrap_servers"] == ["b-1.msk:9096", "b-2.msk:9096"]


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_scram_over_tls(mechanism):
    config = producer_config(settings(
        kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism=mechanism,
        kafka_sasl_username="svc", kafka_sasl_password="s3cret", kafka_acks="1", kafka_compression_type="gzip",
    ))
    sasl = (config["sasl_mechanism"], config["sasl_plain_username"], config["sasl_plain_password"])
    assert sasl == (mechanism, "svc", "s3cret")
    assert isinstance(config["ssl_context"], ssl.SSLContext) and config["ssl_context"].verify_mode == ssl.CERT_REQUIRED
    assert config["acks"] == 1 and config["compression_type"] == "gzip"


def test_scram_without_credentials_is_refused():
    with pytest.raises(ValueError, match="KAFKA_SASL_USERNAME"):
        producer_config(settings(kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="SCRAM-SHA-512"))


def test_msk_iam_is_oauthbearer_with_a_signer_token_provider():
    config = producer_config(settings(
        kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="AWS_MSK_IAM", kafka_aws_region="eu-west-1"))
    assert config["sasl_mechanism"] == "OAUTHBEARER"
    assert isinstance(config["sasl_oauth_token_provider"], MskIamTokenProvider)
    with pytest.raises(ValueError, match="KAFKA_AWS_REGION"):
        producer_config(settings(kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="AWS_MSK_IAM"))


async def test_iam_token_signing_does_not_block_the_loop_and_is_reused():
    calls = []

    def slow_signer(region):  # botocore signs synchronously
        calls.append(region)
        time.sleep(0.3)
        return "token-abc", time.time() * 1000 + 900_000

    provider = MskIamTokenProvider("eu-west-1", generate=slow_signer)
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    assert await provider.token() == "token-abc"
    task.cancel()
    assert ticks >= 5  # the loop kept running while the signer slept (about 30 ticks unloaded)
    assert await provider.token() == "token-abc" and calls == ["eu-west-1"]

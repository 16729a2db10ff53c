"""aiokafka producer configuration for local brokers and AWS MSK (TLS, SASL/SCRAM, IAM)."""
from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaProducer
from aiokafka.abc import AbstractTokenProvider

from shared.config import CommonSettings

if TYPE_CHECKING:
    from shared.messaging.outbox import Record

MSK_IAM_EXTRA_MISSING = (
    "KAFKA_SASL_MECHANISM=AWS_MSK_IAM needs the msk-iam extra (aws-msk-iam-sasl-signer-python), which is "
    "not installed: install dcent-communicator[msk-iam] (in a checkout: `uv sync --frozen --extra msk-iam` "
    "or `pip install -e '.[msk-iam]'`; the Docker images have it)"
)


def msk_iam_signer() -> Callable[[str], tuple[str, float]]:
    """The signer of the optional msk-iam extra, imported only when IAM is configured.

    Missing, it fails here, while the producer configuration is built at start-up, naming the
    extra, rather than at the first token refresh inside aiokafka.
    """
    try:
        from aws_msk_iam_sasl_signer import MSKAuthTokenProvider
    except ImportError as error:
        raise ImportError(MSK_IAM_EXTRA_MISSING, name=error.name) from error
    return MSKAuthTokenProvider.generate_auth_token


class MskIamTokenProvider(AbstractTokenProvider):
    """SASL OAUTHBEARER tokens for MSK IAM, signed by aws-msk-iam-sasl-signer-python.

    The signer is synchronous (botocore): it runs in a worker thread so the event loop never
    waits on it, and its token is reused until a minute before it expires.
    """

    def __init__(self, region: str, *, generate: Callable[[str], tuple[str, float]] | None = None) -> None:
        self._region = region
        self._generate = generate if generate is not None else msk_iam_signer()
        self._token: str | None = None
        self._expires_at_ms = 0.0
        self._lock = asyncio.Lock()

    def _sign(self) -> tuple[str, float]:
        return self._generate(self._region)

    async def token(self) -> str:
        async with self._lock:
            if self._token is not None and time.time() * 1000 < self._expires_at_ms - 60_000:
                return self._token
            token, self._expires_at_ms = await asyncio.to_thread(self._sign)
            self._token = token
            return token


def producer_config(settings: CommonSettings) -> dict[str, Any]:
    """The keyword arguments of AIOKafkaProducer for these settings (pure: tested without a broker)."""
    config: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "client_id": settings.kafka_client_id,
        "acks": "all" if settings.kafka_acks == "all" else int(settings.kafka_acks),
        "linger_ms": settings.kafka_linger_ms,
        "compression_type": settings.kafka_compression_type,
        "request_timeout_ms": settings.kafka_request_timeout_ms,
        # At-least-once through the outbox: the local broker has neither idempotence nor transactions.
        "enable_idempotence": False,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        config["ssl_context"] = ssl.create_default_context(
            cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
        )
    mechanism = settings.kafka_sasl_mechanism
    if mechanism == "AWS_MSK_IAM":
        if not settings.kafka_aws_region:
            raise ValueError("KAFKA_AWS_REGION is required with KAFKA_SASL_MECHANISM=AWS_MSK_IAM")
        config["sasl_mechanism"] = "OAUTHBEARER"
        config["sasl_oauth_token_provider"] = MskIamTokenProvider(settings.kafka_aws_region)
    elif mechanism is not None:
        if not settings.kafka_sasl_username or settings.kafka_sasl_password is None:
            raise ValueError(f"KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required with {mechanism}")
        config["sasl_mechanism"] = mechanism
        config["sasl_plain_username"] = settings.kafka_sasl_username
        config["sasl_plain_password"] = settings.kafka_sasl_password.get_secret_value()
    return config


def make_producer(settings: CommonSettings) -> AIOKafkaProducer:
    """Create inside the running loop (the lifespan); aiokafka binds to the loop it starts on."""
    return AIOKafkaProducer(**producer_config(settings))


async def create_topics(settings: CommonSettings, names: list[str]) -> None:
    """Create missing topics (MSK usually has auto-creation off); existing ones are left alone."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    config = {k: v for k, v in producer_config(settings).items()
              if k in ("bootstrap_servers", "client_id", "request_timeout_ms", "security_protocol", "ssl_context",
                       "sasl_mechanism", "sasl_plain_username", "sasl_plain_password", "sasl_oauth_token_provider")}
    admin = AIOKafkaAdminClient(**config)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in names if n not in existing]
        if missing:
            await admin.create_topics([
                NewTopic(n, settings.kafka_topic_partitions, settings.kafka_topic_replication) for n in missing
            ])
    finally:
        await admin.close()


class KafkaPublisher:
    """The outbox relay's Publisher over aiokafka (created in the lifespan, on the running loop)."""

    def __init__(self, settings: CommonSettings, topic_names: list[str]) -> None:
        self._settings = settings
        self._topic_names = topic_names
        self._producer: AIOKafkaProducer | None = None

    async def connect(self) -> None:
        if self._settings.kafka_create_topics:
            await create_topics(self._settings, self._topic_names)
        producer = make_producer(self._settings)
        try:
            await producer.start()
        except BaseException:  # cancelled while connecting, too: no producer left open
            await producer.stop()
            raise
        self._producer = producer

    async def send_batch(self, records: list[Record]) -> tuple[int, Exception | None]:
        if self._producer is None:
            raise RuntimeError("connect() first")
        futures = []
        error: Exception | None = None
        for topic, key, value, headers in records:
            try:
                futures.append(await self._producer.send(topic, value, key=key, headers=headers))
            except Exception as exc:  # noqa: BLE001 - e.g. metadata unavailable while the broker is down
                error = exc
                break
        sent = 0
        for outcome in await asyncio.gather(*futures, return_exceptions=True):
            if isinstance(outcome, Exception):
                error = error or outcome
                break
            sent += 1
        return sent, error

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

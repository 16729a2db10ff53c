"""Everything the Requestor runs, built and started in the lifespan, stopped in reverse."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import grpc
from prometheus_client.metrics_core import Metric
from sqlalchemy.ext.asyncio import AsyncEngine

from requestor.app.adapters.order_details import OrderDetailsSource
from requestor.app.config import RequestorSettings
from requestor.app.grpc_client.client import ProcessorClient
from requestor.app.grpc_client.stream_manager import OrderStreamManager
from requestor.app.services.orders import BuyerOrders
from requestor.app.services.stream_ownership import StreamOwnership
from requestor.app.services.update_requests import RequestUpdater
from requestor.app.store.replicas import ReplicaRegistry
from requestor.app.store.tables import IdempotencyRow, OutboxRow
from shared.auth import Role
from shared.auth.grpc_auth import bearer_metadata, channel_credentials
from shared.auth.http import Authenticator
from shared.auth.tickets import StreamTickets
from shared.auth.tokens import Audience
from shared.config.profile import announce
from shared.db.engine import LOCK_WAIT_SECONDS, make_engine, make_sessionmaker
from shared.db.idempotency import IdempotencyStore
from shared.db.migrate import upgrade_to_head
from shared.db.notifications import Notifications
from shared.messaging.service import Messaging
from shared.proto import communicator_pb2 as pb
from shared.utils.grpc_metrics import GrpcClientMetrics
from shared.utils.grpc_options import CLIENT_OPTIONS, retrying_service_config
from shared.utils.idempotency_keys import IdempotencyCounts
from shared.utils.metrics import counter, gauge, platform_families
from shared.utils.task_queue import PriorityTaskQueue

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@dataclass
class Requestor:
    settings: RequestorSettings
    engine: AsyncEngine
    channel: grpc.aio.Channel
    grpc_metrics: GrpcClientMetrics
    queue: PriorityTaskQueue
    notifications: Notifications
    messaging: Messaging
    updater: RequestUpdater
    streams: OrderStreamManager
    ownership: StreamOwnership
    orders: BuyerOrders
    buyers_auth: Authenticator
    idempotency: IdempotencyStore
    stream_tickets: StreamTickets
    idempotency_counts: IdempotencyCounts = field(default_factory=IdempotencyCounts)

    @classmethod
    def build(cls, settings: RequestorSettings) -> Requestor:
        engine = make_engine(settings.resolved_database_url("requestor"))
        sessions = make_sessionmaker(engine)
        grpc_metrics = GrpcClientMetrics()
        channel = _processor_channel(settings, grpc_metrics.interceptors())
        token = settings.processor_auth_token
        metadata = bearer_metadata(token.get_secret_value() if token else None)
        queue = PriorityTaskQueue(settings.max_concurrent_tasks, settings.max_queued_tasks)
        # Other replicas' applies wake this one's SSE readers and relay (PostgreSQL; nothing on SQLite).
        notifications = Notifications(engine)
        messaging = Messaging(settings, sessions, OutboxRow, source="requestor", notifications=notifications)
        updater = RequestUpdater(sessions, messaging, poll_seconds=settings.sse_poll_seconds,
                                 notifications=notifications)
        streams = OrderStreamManager(
            channel, updater,
            retry_initial=settings.stream_retry_initial_seconds, retry_max=settings.stream_retry_max_seconds,
            metadata=metadata,
        )
        details = (
            OrderDetailsSource(settings.api_base_url, timeout=settings.api_timeout_seconds, queue=queue)
            if settings.api_base_url else None
        )
        ownership = StreamOwnership(
            registry=ReplicaRegistry(sessions), streams=streams, notifications=notifications,
            heartbeat_seconds=settings.heartbeat_seconds, lease_seconds=settings.replica_lease_seconds,
        )
        processor = ProcessorClient(channel, timeout=settings.grpc_call_timeout_seconds, metadata=metadata)
        return cls(
            settings=settings, engine=engine, channel=channel, grpc_metrics=grpc_metrics, queue=queue,
            notifications=notifications, messaging=messaging,
            updater=updater, streams=streams,
            ownership=ownership,
            orders=BuyerOrders(sessions=sessions, processor=processor, ownership=ownership, updater=updater,
                               details_source=details, messaging=messaging,
                               action_wait_seconds=settings.action_wait_seconds),
            buyers_auth=Authenticator(settings.verifying_signer(), audience=Audience.REQUESTOR, roles=[Role.BUYER]),
            idempotency=IdempotencyStore(sessions, IdempotencyRow, keep_hours=settings.idempotency_keep_hours,
                                         max_per_caller=settings.idempotency_max_keys_per_caller,
                                         stale_after=timedelta(seconds=2 * _longest_request_seconds(settings))),
            stream_tickets=StreamTickets(settings.token_signer(), audience=Audience.REQUESTOR,
                                         ttl_seconds=settings.stream_ticket_seconds),
        )

    def metric_families(self) -> list[Metric]:
        """GET /metrics: what this Requestor counts (no order or session in a label)."""
        return [
            counter("dcent_events_applied", "Order events applied to the buyers' view by this process",
                    self.updater.events_applied),
            *platform_families(
                queue=self.queue, messaging=self.messaging,
                notices_sent=self.notifications.sent, notices_received=self.notifications.received,
                engine=self.engine, idempotency=self.idempotency_counts),
            gauge("dcent_order_streams_followed", "Open orders whose Processor stream this replica follows",
                  len(self.streams.followed)),
            counter("dcent_order_stream_reconnects", "Order streams reopened after a break", self.streams.reconnects),
            gauge("dcent_sse_readers", "SSE streams and actions waiting for their event", self.updater.readers),
            *self.grpc_metrics.families(),
        ]

    def authenticated_caller(self, path: str, headers: Mapping[str, str]) -> str:
        return self.buyers_auth.caller(headers.get("authorization"))

    async def start(self) -> None:
        announce(self.settings, "requestor")
        if self.settings.auth_required and self.settings.processor_auth_token is None:
            log.warning("requestor: authentication is on but PROCESSOR_AUTH_TOKEN is unset: a Processor that "
                        "checks tokens will refuse every call (docs/security.md)")
        await upgrade_to_head(self.engine, MIGRATIONS)
        self.queue.start()
        self.messaging.start()
        self.updater.start()
        self.notifications.start()
        following = await self.ownership.start()
        log.info("replica %s following %d open orders on %s", self.ownership.replica_id, following,
                 self.settings.processor_grpc_target)

    async def stop(self) -> None:
        await self.ownership.stop()
        await self.notifications.close()  # no announcement starts a stream from here on
        self.updater.close_readers()
        await self.streams.close()
        await self.updater.close()
        await self.queue.close()
        await self.messaging.stop()
        await self.channel.close()
        await self.engine.dispose()


def _longest_request_seconds(settings: RequestorSettings) -> float:
    """A buyer's longest request, an initiate: the write lock's wait, the order's details, the
    Processor's call (retries within its deadline), then the wait for its event."""
    return (LOCK_WAIT_SECONDS + settings.api_timeout_seconds + settings.grpc_call_timeout_seconds
            + settings.action_wait_seconds)


def _processor_channel(
    settings: RequestorSettings, interceptors: list[grpc.aio.ClientInterceptor]
) -> grpc.aio.Channel:
    options = [*CLIENT_OPTIONS, ("grpc.enable_retries", 1), ("grpc.service_config", retrying_service_config(
        [pb.DESCRIPTOR.services_by_name["OrderNonStreamingService"].full_name],
        attempts=settings.grpc_call_attempts, initial=0.1, maximum=settings.stream_retry_max_seconds,
    ))]
    if not settings.grpc_tls_enabled:
        return grpc.aio.insecure_channel(settings.processor_grpc_target, options=options, interceptors=interceptors)
    if settings.grpc_tls_server_name:
        options.append(("grpc.ssl_target_name_override", settings.grpc_tls_server_name))
    credentials = channel_credentials(
        settings.grpc_tls_ca_file, settings.grpc_tls_cert_file, settings.grpc_tls_key_file)
    return grpc.aio.secure_channel(settings.processor_grpc_target, credentials, options=options,
                                   interceptors=interceptors)

"""Everything the Processor runs, built and started in the lifespan, stopped in reverse."""
from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import grpc
import httpx
from prometheus_client.metrics_core import CounterMetricFamily, Metric
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from processor.app.adapters.google_chat import GoogleChatNotifier
from processor.app.adapters.google_distance_matrix import DistanceMatrixClient, DistanceMatrixStats
from processor.app.config import ProcessorSettings
from processor.app.grpc_server.server import ProcessorGrpcServer
from processor.app.grpc_server.servicer import OrderNonStreamingServicer, OrderStreamingServicer
from processor.app.services.edit_locks import EditLockService
from processor.app.services.expiry import ExpirySweeper
from processor.app.services.followups import FollowUpService
from processor.app.services.notice_failures import NoticeFailures
from processor.app.services.notice_sender import NoticeSender
from processor.app.services.orders import OrderService
from processor.app.services.proposal_intake import ProposalIntake
from processor.app.services.proposals import ProposalService
from processor.app.services.seller_admin import SellerAdmin, warn_of_shared_spaces
from processor.app.services.seller_links import SellerLinks
from processor.app.services.seller_page import SellerPage
from processor.app.services.seller_selection import SellerSelector
from processor.app.store.due_work import DueWork
from processor.app.store.event_log import EventLog
from processor.app.store.notice_outbox import NoticeOutbox
from processor.app.store.seller_directory import SellerDirectory, read_sellers_file
from processor.app.store.seller_views import SellerViews
from processor.app.store.tables import IdempotencyRow, OutboxRow
from processor.app.store.unit_of_work import OrderStore
from shared.auth import Role
from shared.auth.grpc_auth import TokenInterceptor, server_credentials
from shared.auth.http import Authenticator
from shared.auth.tokens import Audience
from shared.config.profile import announce
from shared.db.engine import LOCK_WAIT_SECONDS, make_engine, make_sessionmaker
from shared.db.idempotency import IdempotencyStore
from shared.db.leadership import Leadership
from shared.db.migrate import upgrade_to_head
from shared.db.notifications import Notifications
from shared.errors import Forbidden
from shared.messaging.service import Messaging
from shared.utils.grpc_metrics import GrpcServerMetrics
from shared.utils.health import watch_database
from shared.utils.idempotency_keys import IdempotencyCounts
from shared.utils.metrics import counter, gauge, platform_families
from shared.utils.task_queue import Priority, PriorityTaskQueue

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Where the admin API lives (X-Admin-Key; processor/app/api/v1/sellers.py's routers, which a test
# checks against this): its callers are the admin, everyone else's are sellers.
ADMIN_PATHS = ("/api/v1/sellers", "/api/v1/admin")
SELLER_SESSIONS_PATH = "/api/v1/seller-sessions"


@dataclass
class Processor:
    settings: ProcessorSettings
    engine: AsyncEngine
    sessions: async_sessionmaker
    queue: PriorityTaskQueue
    notifications: Notifications
    events: EventLog
    messaging: Messaging
    directory: SellerDirectory
    http: httpx.AsyncClient
    chat: GoogleChatNotifier
    distance_matrix: DistanceMatrixClient | None
    notice_sender: NoticeSender
    grpc_metrics: GrpcServerMetrics
    seller_views: SellerViews
    seller_links: SellerLinks
    seller_page: SellerPage
    seller_admin: SellerAdmin
    orders: OrderService
    intake: ProposalIntake
    proposals: ProposalService
    edit_locks: EditLockService
    followups: FollowUpService
    sweeper: ExpirySweeper
    grpc: ProcessorGrpcServer
    sellers_auth: Authenticator
    idempotency: IdempotencyStore
    idempotency_counts: IdempotencyCounts = field(default_factory=IdempotencyCounts)
    _background: list[asyncio.Task] = field(default_factory=list)

    @classmethod
    def build(cls, settings: ProcessorSettings) -> Processor:
        engine = make_engine(settings.resolved_database_url("processor"))
        sessions = make_sessionmaker(engine)
        queue = PriorityTaskQueue(settings.max_concurrent_tasks, settings.max_queued_tasks)
        # Other replicas' commits wake this one's readers and relay (PostgreSQL; nothing on SQLite).
        notifications = Notifications(engine)
        events = EventLog(sessions, poll_seconds=settings.stream_poll_seconds, notifications=notifications)
        messaging = Messaging(settings, sessions, OutboxRow, source="processor", notifications=notifications)
        notice_outbox = NoticeOutbox(sessions, notifications,
                                     retention=timedelta(hours=settings.outbox_retention_hours))
        store = OrderStore(sessions, events, messaging, notice_outbox)
        # Never more waiting in Chat's queues than one space's queue holds (none is dropped), and a
        # seller's slow space holds up only its own notices.
        notice_sender = NoticeSender(
            outbox=notice_outbox, max_in_flight=settings.gchat_max_queued_per_space,
            max_per_seller=max(1, settings.gchat_max_queued_per_space // 10),
            pace_seconds=1 / settings.gchat_messages_per_second)
        directory = SellerDirectory(sessions)
        # One HTTP client for every Google call: pooled connections, bounded, closed at stop.
        http = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.google_timeout_seconds, connect=min(5.0, settings.google_timeout_seconds)),
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        )
        seller_links = SellerLinks(settings.token_signer(), page_url=settings.seller_page,
                                   link_hours=settings.seller_link_hours, session_hours=settings.seller_session_hours)
        chat = GoogleChatNotifier(
            http, directory.webhooks, base_url=settings.api_google_chat_url,
            per_second=settings.gchat_messages_per_second, max_attempts=settings.gchat_max_attempts,
            max_queued_per_space=settings.gchat_max_queued_per_space,
            # Each POST holds a queue slot only while in flight, and Chat holds at most half the slots
            # (one if there is one): slow webhooks can never take the slots selection and CONTROL need.
            max_concurrent_posts=max(1, settings.max_concurrent_tasks // 2),
            # Admitted even when the queue is full: the sender has at most max_concurrent_posts POSTs
            # in it (the rest wait in its own bounded queues), and a refused notice would be lost.
            run_job=lambda job: queue.run(job, priority=Priority.BACKGROUND, name="gchat-post", always_admit=True),
            on_failure=NoticeFailures(store).record,
            on_settled=notice_sender.settled,
            link_for=seller_links.link,  # each card's button: the seller page, signed as it goes out
        )
        distance_matrix = _distance_matrix(settings, http)
        selector = SellerSelector(
            directory, distance_matrix, find_max_sel=settings.find_max_sel,
            search_radius_km=settings.search_radius_km, google_candidates=settings.distance_matrix_candidates,
        )
        orders = OrderService(store=store, selector=selector, queue=queue,
                              expiry_minutes=settings.order_expiry_minutes)
        intake = ProposalIntake(store, max_revisions=settings.max_proposal_revisions)
        edit_locks = EditLockService(store=store, default_seconds=settings.edit_lock_seconds,
                                     max_locks=settings.max_edit_locks_per_proposal)
        followups = FollowUpService(store=store, max_per_order=settings.max_followups_per_order)
        grpc_metrics = GrpcServerMetrics()
        seller_views = SellerViews(sessions)
        return cls(
            settings=settings, engine=engine, sessions=sessions, queue=queue, notifications=notifications,
            events=events, messaging=messaging,
            directory=directory, http=http, chat=chat, distance_matrix=distance_matrix, notice_sender=notice_sender,
            seller_views=seller_views, seller_links=seller_links,
            seller_page=SellerPage(seller_views, events, seller_links, directory),
            grpc_metrics=grpc_metrics,
            seller_admin=SellerAdmin(directory=directory, tokens=settings.token_signer(),
                                     token_hours=settings.seller_token_hours, webhook_allowed=settings.webhook_allowed),
            orders=orders, intake=intake,
            proposals=ProposalService(store=store, intake=intake, max_revisions=settings.max_proposal_revisions),
            edit_locks=edit_locks, followups=followups,
            sweeper=ExpirySweeper(due_work=DueWork(sessions), orders=orders, edit_locks=edit_locks, queue=queue,
                                  max_sleep_seconds=settings.expiry_check_seconds),
            grpc=ProcessorGrpcServer(
                OrderStreamingServicer(orders, events),
                OrderNonStreamingServicer(orders, followups, queue),
                host=settings.bind_host, port=settings.grpc_server_port, max_workers=settings.grpc_max_workers,
                # Counting first: calls that authentication refuses are counted too.
                interceptors=[grpc_metrics, *([TokenInterceptor(
                    Authenticator(settings.verifying_signer(), audience=Audience.PROCESSOR, roles=[Role.SERVICE]))]
                    if settings.auth_required else [])],
                credentials=_grpc_credentials(settings), health_port=settings.grpc_health_port,
                reflection_served=settings.reflection_served,
            ),
            sellers_auth=Authenticator(settings.verifying_signer(), audience=Audience.PROCESSOR, roles=[Role.SELLER]),
            # A seller request does database work only: at most the write lock's wait, then its own.
            idempotency=IdempotencyStore(sessions, IdempotencyRow, keep_hours=settings.idempotency_keep_hours,
                                         max_per_caller=settings.idempotency_max_keys_per_caller,
                                         stale_after=timedelta(seconds=2 * LOCK_WAIT_SECONDS)),
        )

    def metric_families(self) -> list[Metric]:
        """GET /metrics: what this Processor counts (no order, seller or session in a label)."""
        stats = self.chat.stats
        chat = CounterMetricFamily("dcent_chat_notices", "Google Chat notices by outcome", labels=["outcome"])
        for outcome in ("sent", "retried", "failed", "skipped", "dropped"):
            chat.add_metric([outcome], getattr(stats, outcome))
        roads = self.distance_matrix.stats if self.distance_matrix else DistanceMatrixStats()
        matrix = CounterMetricFamily("dcent_distance_matrix_requests", "Google Distance Matrix requests by outcome",
                                     labels=["outcome"])
        for outcome in ("ok", "refused", "error"):
            matrix.add_metric([outcome], getattr(roads, outcome))
        return [
            counter("dcent_events_appended", "Order events appended to the event log by this process",
                    self.events.events_committed),
            *platform_families(
                queue=self.queue, messaging=self.messaging,
                notices_sent=self.notifications.sent, notices_received=self.notifications.received,
                engine=self.engine, idempotency=self.idempotency_counts),
            gauge("dcent_order_stream_readers", "Open order streams (gRPC) and other readers of the event log",
                  self.events.readers),
            chat,
            matrix,
            *self.grpc_metrics.families(),
        ]

    def authenticated_caller(self, path: str, headers: Mapping[str, str]) -> str:
        if path == SELLER_SESSIONS_PATH:  # the link in the body is the credential
            return "seller-link"
        if path.startswith(ADMIN_PATHS):  # the seller directory's admin API: X-Admin-Key
            self.require_admin(headers.get("x-admin-key"))
            return "admin"
        return self.sellers_auth.caller(headers.get("authorization"))

    def require_admin(self, presented_key: str | None) -> None:
        if not self.is_admin(presented_key):
            raise Forbidden("the seller directory needs the X-Admin-Key header (ADMIN_API_KEY)")

    def is_admin(self, presented_key: str | None) -> bool:
        """X-Admin-Key matches ADMIN_API_KEY (bytes compared: a non-ASCII header is a mismatch, not an error)."""
        if not presented_key:
            return False
        expected = self.settings.admin_api_key.get_secret_value().encode()
        return secrets.compare_digest(presented_key.encode("utf-8", "replace"), expected)

    async def start(self) -> None:
        announce(self.settings, "processor")
        await upgrade_to_head(self.engine, MIGRATIONS)
        if self.settings.sellers_file:
            records = read_sellers_file(self.settings.sellers_file)
            if refused := [r.seller_id for r in records if not self.settings.webhook_allowed(r.gchat_webhook)]:
                raise ValueError(f"SELLERS_FILE: webhooks outside GCHAT_WEBHOOK_ALLOWED_PREFIXES for {refused[:5]}")
            count = await self.directory.upsert(records, keep_deactivated=True)
            log.info("seller directory: %d sellers from %s", count, self.settings.sellers_file)
            await warn_of_shared_spaces(self.directory)
        self.queue.start()
        self.messaging.start()
        self.events.start()
        self.notifications.start()
        # Once per database, each on the replica holding its advisory lock (the others stand by):
        # the expiry sweeper, and the seller notices' sender (so each Chat space's pace holds cluster-wide).
        self._background = [
            asyncio.create_task(Leadership(self.engine, "processor-expiry-sweeper").run(self.sweeper.run),
                                name="expiry-sweeper"),
            asyncio.create_task(Leadership(self.engine, "processor-chat-sender").run(
                lambda: self.notice_sender.run(self.chat)), name="chat-sender"),
        ]
        await self.grpc.start()
        # gRPC health tells the truth: NOT_SERVING while the database does not answer (as /ready).
        self._background.append(asyncio.create_task(watch_database(
            self.engine, self.grpc.set_serving, interval=self.settings.health_check_seconds), name="health-watch"))
        log.info("gRPC listening on %s:%d (%s)", self.settings.bind_host, self.grpc.port,
                 "TLS" if self.grpc.tls else "plaintext")

    async def stop(self) -> None:
        # Streams end first so the Requestor reconnects (to us after restart, or to a peer).
        self.events.close()
        await self.grpc.stop(self.settings.grpc_grace_seconds)
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self.queue.close()
        await self.intake.close()
        await self.messaging.stop()
        await self.notifications.close()
        await self.chat.close()
        await self.http.aclose()
        await self.engine.dispose()


def _grpc_credentials(settings: ProcessorSettings) -> grpc.ServerCredentials | None:
    if not (settings.grpc_tls_cert_file and settings.grpc_tls_key_file):
        return None
    return server_credentials(settings.grpc_tls_cert_file, settings.grpc_tls_key_file, settings.grpc_tls_client_ca_file)


def _distance_matrix(settings: ProcessorSettings, http: httpx.AsyncClient) -> DistanceMatrixClient | None:
    if not (settings.api_google_bot_url and settings.google_api_key):
        log.info("Google Distance Matrix not configured (API_GOOGLE_BOT_URL, GOOGLE_API_KEY): great-circle ranking")
        return None
    return DistanceMatrixClient(
        http, settings.api_google_bot_url, settings.google_api_key.get_secret_value(),
        max_concurrent=settings.distance_matrix_max_concurrent, attempts=settings.google_attempts,
        timeout=settings.google_timeout_seconds,
    )

"""GET /metrics (Prometheus text format) on both services: HTTP requests by route, status and
latency, and what the service counts itself (its `metric_families()`).

One registry per app (tests run several apps in one process). Labels stay bounded: the route is
its template (`/api/v1/orders/{order_req_id}`), never the path a caller sent, and nothing is
labelled by order, seller or session.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def counter(name: str, documentation: str, value: float, **labels: str) -> Metric:
    family = CounterMetricFamily(name, documentation, labels=list(labels))
    family.add_metric(list(labels.values()), value)
    return family


def gauge(name: str, documentation: str, value: float, **labels: str) -> Metric:
    family = GaugeMetricFamily(name, documentation, labels=list(labels))
    family.add_metric(list(labels.values()), value)
    return family


def platform_families(*, queue: Any, messaging: Any, notices_sent: int, notices_received: int, engine: Any,
                      idempotency: Any) -> list[Metric]:
    """What both services count the same way."""
    checked_out = getattr(engine.pool, "checkedout", None)
    pending = GaugeMetricFamily("dcent_task_queue_pending", "Jobs waiting in the priority task queue, by priority "
                                "class", labels=["priority"])
    for priority, waiting in queue.pending_by_priority().items():
        pending.add_metric([priority.name.lower()], waiting)
    return [
        pending,
        gauge("dcent_task_queue_running", "Jobs running from the priority task queue", queue.running),
        counter("dcent_outbox_published", "Kafka messages the outbox relay published from this process",
                messaging.relay.published),
        counter("dcent_outbox_publish_errors", "Outbox relay cycles that failed (broker or database away)",
                messaging.relay.errors),
        gauge("dcent_outbox_relay_leading", "1 when this replica holds the outbox relay's lock",
              int(messaging.leadership.leading)),
        gauge("dcent_outbox_backlog", "Kafka messages waiting in the outbox", messaging.backlog_rows),
        gauge("dcent_outbox_oldest_unsent_age_seconds", "How long the oldest waiting message has waited",
              messaging.oldest_unsent_seconds),
        counter("dcent_replica_notices_sent", "Wake-up notices sent to other replicas", notices_sent),
        counter("dcent_replica_notices_received", "Wake-up notices received from other replicas", notices_received),
        gauge("dcent_db_pool_connections_in_use", "Database connections checked out of the pool",
              checked_out() if callable(checked_out) else 0),
        counter("dcent_idempotency_replays", "Requests answered with the answer stored for their Idempotency-Key",
                idempotency.replays),
        counter("dcent_idempotency_conflicts", "Requests refused (409) for reusing an Idempotency-Key with "
                "another request", idempotency.conflicts),
    ]


class CountsItself(Protocol):
    def metric_families(self) -> Iterable[Metric]: ...


class _ServiceCollector(Collector):
    def __init__(self, service: Callable[[], CountsItself | None]) -> None:
        self._service = service

    def collect(self) -> Iterable[Metric]:
        service = self._service()
        return list(service.metric_families()) if service is not None else []


class Metrics:
    def __init__(self, service: Callable[[], Any]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("http_requests", "HTTP requests answered, by route template and status",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("http_request_duration_seconds", "HTTP request latency by route template",
                                 ["method", "route"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.registry.register(_ServiceCollector(service))

    def router(self) -> APIRouter:
        router = APIRouter(tags=["health"])

        @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
        async def metrics() -> Response:
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

        return router


def route_template(scope: Scope) -> str:
    """The matched route's template under the prefixes its routers were included with. FastAPI
    keeps included routers whole: the full template is in its effective route context (the route
    itself knows only its own part); the latter is the fallback. "unmatched": no route (404)."""
    context = scope.get("fastapi", {}).get("effective_route_context")
    full = getattr(context, "path", None)
    if isinstance(full, str) and full:
        return full
    return getattr(scope.get("route"), "path", None) or "unmatched"


class RequestMetrics:
    """ASGI middleware: each HTTP request counted and timed under its route's template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), [500]

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            template = route_template(scope)
            if template != "/metrics":
                method = scope["method"] if scope["method"] in HTTP_METHODS else "other"  # bounded: not as sent
                self.metrics.requests.labels(method, template, str(status[0])).inc()
                self.metrics.latency.labels(method, template).observe(time.perf_counter() - started)

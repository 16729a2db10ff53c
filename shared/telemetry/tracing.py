"""OpenTelemetry traces: off unless the standard variables ask for them.

On when OTEL_TRACES_EXPORTER names exporters (`otlp`, `console`, comma-separated) and
OTEL_SDK_DISABLED is not `true`. The SDK and exporters read the rest themselves:
OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS,
OTEL_EXPORTER_OTLP_PROTOCOL (`grpc`, the default, or `http/protobuf`), OTEL_TRACES_SAMPLER...

A process configures tracing once, before it builds its app (`main.py`); everything else asks
this module, which does nothing while tracing is off:
- FastAPI (each app, `instrument_app`), grpc.aio servers and channels, httpx clients (Google
  Distance Matrix and Chat) and each SQLAlchemy engine (`instrument_engine`) make spans;
- the trace context crosses what no instrumentation sees: the task queue (jobs run in their
  submitter's context), the order event log and the outbox (a `traceparent` stored with the row,
  `current_traceparent()`), the relay's Kafka message (a `traceparent` header on a PRODUCER span,
  `publish_span()`), and the order stream (delivery and the Requestor's apply are spans *linked*
  to the event's trace, `linked_span()`: a stream lives as long as its order, so it is no one's child).
The producer side of aiokafka is not instrumented: the relay sends long after the request, and
the instrumentation would stamp the relay's own context on the header. Consumers (the simulator)
use the aiokafka instrumentation, which continues the trace from that header.
"""
from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.propagate import set_global_textmap
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.telemetry.redaction import redact

PROPAGATOR = TraceContextTextMapPropagator()  # W3C traceparent: what we store and send
NOT_TRACED = "/health$,/ready$,/metrics$"  # probes and scrapes make no traces (matched on the URL's end)
TRACE_HEADERS = (b"traceparent", b"tracestate", b"baggage")


def _clean(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: redact(v) if isinstance(v, str) else v for k, v in (attributes or {}).items()}


def redacted(span: ReadableSpan) -> ReadableSpan:
    """The span as it may leave the process: secrets out of its name, attributes, events and
    status, as out of every log line (instrumentations record URLs with their query — a webhook's
    key and token, an SSE ticket — and exceptions' messages)."""
    status = span.status
    if status.description:
        status = Status(status.status_code, redact(status.description))
    return ReadableSpan(
        name=redact(span.name), context=span.context, parent=span.parent, resource=span.resource,
        attributes=_clean(span.attributes), links=span.links, kind=span.kind, status=status,
        events=[Event(e.name, _clean(e.attributes), e.timestamp) for e in span.events],
        start_time=span.start_time, end_time=span.end_time, instrumentation_scope=span.instrumentation_scope,
    )


class RedactingExporter(SpanExporter):
    """Every exporter is behind one: what it sends has been through `redacted`."""

    def __init__(self, inner: SpanExporter) -> None:
        self._inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self._inner.export([redacted(span) for span in spans])

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


class InsideTracesOnly:
    """The SQL instrumentation's tracer: a statement outside any request or job (heartbeats,
    health checks, pollers, a lock's keepalive) starts no trace of its own — an idle service
    would otherwise send several a second."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer

    def start_span(self, name: str, context: Context | None = None, *args: Any, **kwargs: Any) -> Span:
        if not trace.get_current_span(context).get_span_context().is_valid:
            return trace.INVALID_SPAN
        return self._tracer.start_span(name, context, *args, **kwargs)


class UntrustedTraceHeaders:
    """ASGI: a public caller's `traceparent`, `tracestate` and `baggage` are dropped before the
    tracing middleware reads them, so a caller can neither choose our trace ids, nor force
    sampling, nor send baggage on through our calls. TRACE_HEADERS_TRUSTED=true keeps them (a
    gateway of yours in front that sets them)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() not in TRACE_HEADERS]}
        await self.app(scope, receive, send)


class Tracing:
    """A configured provider and the instrumentations it started; `shutdown()` undoes both."""

    def __init__(self, provider: TracerProvider, instrumentors: list[Any], *, trust_headers: bool = False,
                 description: str = "") -> None:
        self.provider = provider
        self.description = description  # said at start-up (shared.config.profile.announce)
        self.trust_headers = trust_headers
        self.tracer = provider.get_tracer("dcent-communicator")
        self._instrumentors = instrumentors

    def shutdown(self) -> None:
        global _active
        for instrumentor in self._instrumentors:
            instrumentor.uninstrument()
        self.provider.shutdown()
        if _active is self:
            _active = None


_active: Tracing | None = None


def exporters_from_environment(environ: Mapping[str, str]) -> list[SpanExporter]:
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    exporters: list[SpanExporter] = []
    for name in filter(None, (n.strip().lower() for n in environ.get("OTEL_TRACES_EXPORTER", "").split(","))):
        if name == "none":
            continue
        if name == "console":
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            exporters.append(ConsoleSpanExporter())
        elif name == "otlp":
            protocol = environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
            protocol = (protocol or "grpc").strip()
            if protocol not in ("grpc", "http/protobuf"):
                raise ValueError(f"OTEL_EXPORTER_OTLP_PROTOCOL: {protocol!r} is not supported (grpc or http/protobuf)")
            if protocol == "http/protobuf":
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter

                exporters.append(HttpExporter())
            else:
                from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter

                exporters.append(GrpcExporter())
        else:
            raise ValueError(f"OTEL_TRACES_EXPORTER: unknown exporter {name!r} (use otlp, console or none)")
    return exporters


def configure_tracing(
    service_name: str, *, exporters: Sequence[SpanExporter] | None = None, kafka_consumer: bool = False,
    environ: Mapping[str, str] = os.environ,
) -> Tracing | None:
    """Start tracing for this process, or return None when the environment does not ask for it.
    `exporters` (tests: an in-memory one) replaces the environment's and exports each span as it
    ends; the environment's are batched. `kafka_consumer`: also instrument aiokafka (the simulator)."""
    global _active
    if _active is not None:
        raise RuntimeError("tracing is already configured in this process")
    immediate = exporters is not None
    chosen = list(exporters) if exporters is not None else exporters_from_environment(environ)
    if not chosen:
        return None
    from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorClient, GrpcAioInstrumentorServer
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    name = environ.get("OTEL_SERVICE_NAME") or service_name
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    for exporter in map(RedactingExporter, chosen):
        provider.add_span_processor(SimpleSpanProcessor(exporter) if immediate else BatchSpanProcessor(exporter))
    if "OTEL_PROPAGATORS" not in environ:  # W3C trace context only: no baggage is read or passed on
        set_global_textmap(PROPAGATOR)
    instrumentors: list[Any] = [GrpcAioInstrumentorServer(), GrpcAioInstrumentorClient(), HTTPXClientInstrumentor()]
    if kafka_consumer:
        from opentelemetry.instrumentation.aiokafka import AIOKafkaInstrumentor

        instrumentors.append(AIOKafkaInstrumentor())
    for instrumentor in instrumentors:
        instrumentor.instrument(tracer_provider=provider)
    if not immediate:  # a real process: libraries that ask the global provider get this one
        trace.set_tracer_provider(provider)
    trusted = environ.get("TRACE_HEADERS_TRUSTED", "").strip().lower() == "true"
    _active = Tracing(provider, instrumentors, trust_headers=trusted, description=(
        f"service {name}, exporting with {', '.join(type(e).__name__ for e in chosen)}"
        f"{'; callers trace headers trusted' if trusted else ''}"))
    return _active


def active() -> Tracing | None:
    return _active


def instrument_app(app: Any) -> None:
    """Server spans for a FastAPI app (before it first runs); nothing while tracing is off."""
    if _active is not None:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=_active.provider, excluded_urls=NOT_TRACED,
            exclude_spans=["receive", "send"],  # not a span per SSE frame
        )
        if not _active.trust_headers:  # outside the tracing middleware, which FastAPI builds around the stack
            build = app.build_middleware_stack
            app.build_middleware_stack = lambda: UntrustedTraceHeaders(build())


def instrument_engine(engine: Any) -> None:
    """A span per SQL statement of this engine (an AsyncEngine or a plain one)."""
    if _active is not None:
        from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
        from opentelemetry.metrics import NoOpMeterProvider

        # The engine-level tracer of the SQLAlchemy instrumentation: its instrumentor is a
        # process-wide singleton that takes engines only once, and each service has its own.
        usage = NoOpMeterProvider().get_meter(__name__).create_up_down_counter("db.client.connections.usage")
        EngineTracer(InsideTracesOnly(_active.tracer), getattr(engine, "sync_engine", engine), usage)


def current_traceparent() -> str | None:
    """The W3C traceparent of the current span, to store with a row (None: nothing traced)."""
    if not trace.get_current_span().get_span_context().is_valid:
        return None
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def context_of(traceparent: str | None) -> Context | None:
    return PROPAGATOR.extract({"traceparent": traceparent}) if traceparent else None


@contextmanager
def linked_span(name: str, traceparent: str | None, kind: SpanKind = SpanKind.INTERNAL,
                **attributes: str | int) -> Iterator[Span | None]:
    """A span of the current trace (or a new one) linked to the trace that `traceparent` names;
    nothing while tracing is off."""
    if _active is None:
        yield None
        return
    links = []
    if (context := context_of(traceparent)) is not None:
        linked = trace.get_current_span(context).get_span_context()
        if linked.is_valid:
            links.append(Link(linked))
    with _active.tracer.start_as_current_span(name, kind=kind, links=links, attributes=attributes) as span:
        yield span


@contextmanager
def continued_span(name: str, traceparent: str | None, kind: SpanKind = SpanKind.INTERNAL,
                   **attributes: str | int) -> Iterator[Span | None]:
    """A span continuing the trace that `traceparent` names (work done later for that request, as
    a stored Chat notice), current inside the block; nothing while tracing is off."""
    if _active is None:
        yield None
        return
    with _active.tracer.start_as_current_span(name, context=context_of(traceparent), kind=kind,
                                              attributes=attributes) as span:
        yield span


def publish_span(traceparent: str | None, topic: str, event_id: str) -> tuple[Span | None, str | None]:
    """The relay's PRODUCER span for one stored message, child of the trace that wrote it, and the
    traceparent header to send (that span's while tracing, else the stored one, so a consumer
    still continues the writer's trace). The caller ends the span (`end_publish`)."""
    if _active is None or traceparent is None:
        return None, traceparent
    span = _active.tracer.start_span(
        f"{topic} publish", context=context_of(traceparent), kind=SpanKind.PRODUCER,
        attributes={"messaging.system": "kafka", "messaging.destination.name": topic,
                    "messaging.message.id": event_id, "messaging.operation.type": "publish"},
    )
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier, context=trace.set_span_in_context(span))
    return span, carrier.get("traceparent")


def end_publish(spans: Sequence[Span | None], acknowledged: int, error: Exception | None) -> None:
    for index, span in enumerate(spans):
        if span is None:
            continue
        if index >= acknowledged:
            span.set_status(Status(StatusCode.ERROR, str(error) if error else "not acknowledged"))
        span.end()


def log_ids() -> tuple[str, str] | None:
    """(trace id, span id) of the current span as hex, for log lines; None outside any span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")

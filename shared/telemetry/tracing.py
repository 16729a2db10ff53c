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

import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import Span as SdkSpan
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.telemetry.redaction import redact

log = logging.getLogger(__name__)
PROPAGATOR = TraceContextTextMapPropagator()  # W3C traceparent: what we store and send
NOT_TRACED = "health,ready,metrics"  # probes and scrapes make no traces


def redact_attributes(span: Any, *_: Any) -> None:
    """Secrets out of a span, as out of every log line: instrumentations record URLs with their
    query (a webhook's key and token, an SSE ticket)."""
    for key, value in (getattr(span, "attributes", None) or {}).items():
        if isinstance(value, str) and (clean := redact(value)) != value:
            span.set_attribute(key, clean)


class RedactingAttributes(SpanProcessor):
    """Every span redacted as it starts (httpx's, gRPC's, SQL's, ours); the ASGI server span sets
    its URL again after that, and is redacted by its request hook (`instrument_app`)."""

    def on_start(self, span: SdkSpan, parent_context: Context | None = None) -> None:
        redact_attributes(span)


class Tracing:
    """A configured provider and the instrumentations it started; `shutdown()` undoes both."""

    def __init__(self, provider: TracerProvider, instrumentors: list[Any]) -> None:
        self.provider = provider
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
            if (protocol or "grpc").strip() == "http/protobuf":
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
    provider.add_span_processor(RedactingAttributes())  # first: before any exporter sees the span
    for exporter in chosen:
        provider.add_span_processor(SimpleSpanProcessor(exporter) if immediate else BatchSpanProcessor(exporter))
    instrumentors: list[Any] = [GrpcAioInstrumentorServer(), GrpcAioInstrumentorClient(), HTTPXClientInstrumentor()]
    if kafka_consumer:
        from opentelemetry.instrumentation.aiokafka import AIOKafkaInstrumentor

        instrumentors.append(AIOKafkaInstrumentor())
    for instrumentor in instrumentors:
        instrumentor.instrument(tracer_provider=provider)
    if not immediate:  # a real process: libraries that ask the global provider get this one
        trace.set_tracer_provider(provider)
    _active = Tracing(provider, instrumentors)
    log.info("tracing on: %s exporting", ", ".join(type(e).__name__ for e in chosen))
    return _active


def active() -> Tracing | None:
    return _active


def instrument_app(app: Any) -> None:
    """Server spans for a FastAPI app (before it first runs); nothing while tracing is off."""
    if _active is not None:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=_active.provider, excluded_urls=NOT_TRACED, server_request_hook=redact_attributes,
            exclude_spans=["receive", "send"],  # not a span per SSE frame
        )


def instrument_engine(engine: Any) -> None:
    """A span per SQL statement of this engine (an AsyncEngine or a plain one)."""
    if _active is not None:
        from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
        from opentelemetry.metrics import NoOpMeterProvider

        # The engine-level tracer of the SQLAlchemy instrumentation: its instrumentor is a
        # process-wide singleton that takes engines only once, and each service has its own.
        usage = NoOpMeterProvider().get_meter(__name__).create_up_down_counter("db.client.connections.usage")
        EngineTracer(_active.tracer, getattr(engine, "sync_engine", engine), usage)


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

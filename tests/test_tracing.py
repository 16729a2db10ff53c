"""OpenTelemetry traces (issue 18): with an in-memory exporter, one trace covers the buyer's
initiate on the Requestor, the Processor's InitiateOrder, seller selection's Distance Matrix call,
the Chat notices and the outbox's publish to Kafka (whose message carries the trace in a
`traceparent` header); a seller's proposal is another trace, and its delivery on the order stream
and the Requestor's store of it are spans linked to that trace. JSON log lines carry the ids."""
from __future__ import annotations

import asyncio
import json
import logging
from functools import partial

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from processor.app.config import DEMO_SELLERS_FILE
from shared.telemetry.tracing import configure_tracing, exporters_from_environment
from shared.utils.log_context import REQUEST_ID, JsonFormatter
from tests.conftest import processor_of
from tests.e2e.topic_reader import TopicReader
from tests.requestor.test_api import SEED_INITIATE, SEED_PROPOSAL, has_proposal, order_view, until
from tests.shared.test_log_redaction import (  # noqa: F401 - service_logs: the fixture, used by name
    BUYER_JWT,
    GOOGLE_API_KEY,
    WEBHOOK_TOKEN,
    flushed,
    service_logs,
)
from tests.shared.test_log_redaction import processor_settings as log_settings

CALLERS_TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
SECRETS = (GOOGLE_API_KEY, WEBHOOK_TOKEN, WEBHOOK_TOKEN.replace("%3D", "="), BUYER_JWT)
CHICAGO = {"lat": 41.8781, "lng": -87.6298}


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    tracing = configure_tracing("dcent-test", exporters=[exporter])
    assert tracing is not None
    try:
        yield exporter
    finally:
        tracing.shutdown()  # instrumentations undone: the rest of the suite runs untraced


@pytest.fixture
def sellers_with_webhooks(tmp_path, fake_google):
    """The demo directory, every seller with a Chat space on the fake Google."""
    sellers = json.loads(DEMO_SELLERS_FILE.read_text())
    for seller in sellers:
        space = f"{fake_google.url}/v1/spaces/{seller['seller_id']}"
        seller["gchat_webhook"] = f"{space}/messages?key=k&token={WEBHOOK_TOKEN}"
    path = tmp_path / "sellers.json"
    path.write_text(json.dumps(sellers))
    return path


def holds(check):
    """`until` awaits its predicate: a plain check, made awaitable."""
    async def predicate():
        return check()
    return predicate


async def has_sellers(requestor) -> bool:
    return bool((await order_view(requestor))["Sellers"])


def trace_of(span) -> int:
    return span.context.trace_id


async def test_one_trace_from_initiate_to_kafka_and_a_proposal_linked_to_its_delivery(
        spans, sellers_with_webhooks, fake_google, kafka_broker, start_processor, start_requestor, service_logs):  # noqa: F811
    logs = service_logs(log_settings(log_format="json", google_api_key=GOOGLE_API_KEY))
    reader = TopicReader(kafka_broker.bootstrap)
    kafka = {"kafka_enabled": True, "kafka_bootstrap_servers": [kafka_broker.bootstrap]}
    try:
        async for processor in start_processor(
                sellers_file=sellers_with_webhooks, api_google_bot_url=fake_google.url, google_api_key=GOOGLE_API_KEY,
                gchat_messages_per_second=50.0, **kafka):
            async for requestor in start_requestor(processor_of(processor).grpc.port, **kafka):
                initiate = {**SEED_INITIATE, "Location": CHICAGO}  # ranked by road: the Distance Matrix
                # A caller's own trace context is not ours to continue (nor its baggage to pass on).
                assert (await requestor.http.post("/api/v1/initiate", json=initiate, headers={
                    "traceparent": CALLERS_TRACE, "baggage": "note=from-outside"})).status_code == 202
                await until(holds(lambda: fake_google.matrix_requests() and fake_google.chat_requests()))
                await until(partial(has_sellers, requestor))
                seller = (await order_view(requestor))["Sellers"][0]["SellerID"]  # a Chicago seller
                proposal = {**SEED_PROPOSAL, "Seller": seller}
                assert (await processor.http.post("/api/v1/proposal-submissions", json=proposal)).status_code == 201
                # More, at once (written together by group commit): each event keeps its own request's trace.
                others = [s["SellerID"] for s in (await order_view(requestor))["Sellers"][1:4]]
                answers = await asyncio.gather(*(processor.http.post("/api/v1/proposal-submissions", json={
                    **SEED_PROPOSAL, "Seller": other, "ProposalDictObj": {**SEED_PROPOSAL["ProposalDictObj"],
                                                                          "ProposalID": f"PROP-{other}"}})
                    for other in others))
                assert [a.status_code for a in answers] == [201] * len(others)
                sse = await requestor.http.get(f"/api/v1/orders/ORD-NONE/events?ticket={BUYER_JWT}",
                                               headers={"Authorization": f"Bearer {BUYER_JWT}"})
                assert sse.status_code in (401, 404)
                await until(partial(has_proposal, requestor, "PROP-001"))
                await until(holds(lambda: any("traceparent" in m.headers for m in reader.of_order("ORD-001"))))
                await until(holds(lambda: any(s.name == "apply ProposalSubmissions"
                                              for s in spans.get_finished_spans())))
                stored = await processor_of(processor).events.read_after("ORD-001", 0)
    finally:
        reader.close()

    finished = spans.get_finished_spans()
    initiate = next(s for s in finished if s.kind == SpanKind.SERVER and s.name == "POST /api/v1/initiate")
    trace = [s for s in finished if trace_of(s) == trace_of(initiate)]
    names = {(s.kind, s.name) for s in trace}
    initiate_rpc = "/dcent.communicator.v1.OrderNonStreamingService/InitiateOrder"
    assert (SpanKind.CLIENT, initiate_rpc) in names and (SpanKind.SERVER, initiate_rpc) in names, names
    http_calls = [s for s in trace if s.kind == SpanKind.CLIENT and s.name in ("GET", "POST")]
    urls = [str(s.attributes.get("url.full") or s.attributes.get("http.url")) for s in http_calls]
    assert any("/maps/api/distancematrix/json" in url for url in urls), urls
    assert any("/v1/spaces/" in url for url in urls), urls
    assert any(s.name == "google chat notice" for s in trace)
    assert any(s.kind == SpanKind.PRODUCER and s.name.endswith(" publish") for s in trace)
    attributes = " ".join(str(v) for s in finished for v in s.attributes.values())
    assert not any(secret in attributes for secret in SECRETS), "a secret in a span's attributes"

    # The outbox row kept the trace; the relay sent it on as the message's traceparent header.
    headers = [m.headers["traceparent"] for m in reader.of_order("ORD-001") if "traceparent" in m.headers]
    assert any(h.split("-")[1] == format(trace_of(initiate), "032x") for h in headers), headers

    # The logs of it all: JSON lines, the request's and the trace's ids on them, no secret.
    text = flushed(logs)
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert not any(secret in text for secret in SECRETS), "a secret in the logs"
    initiate_id = format(trace_of(initiate), "032x")
    google = [line for line in lines if line["logger"] == "httpx" and "127.0.0.1" in line["message"]]
    assert google and all(line.get("trace_id") == initiate_id and line.get("span_id") for line in google)
    assert any(line.get("request_id") for line in lines)

    # The proposal: its own trace; its delivery (Processor) and store (Requestor) link to it.
    submits = [s for s in finished if s.kind == SpanKind.SERVER and s.name == "POST /api/v1/proposal-submissions"]
    submit = min(submits, key=lambda s: s.start_time)
    assert trace_of(submit) != trace_of(initiate)
    assert format(trace_of(initiate), "032x") != CALLERS_TRACE.split("-")[1]
    assert not any("baggage" in str(s.attributes) for s in finished)
    proposal_traces = {e.traceparent.split("-")[1] for e in stored if e.event_type.value == "ProposalSubmissions"}
    assert proposal_traces == {format(trace_of(s), "032x") for s in submits} and len(proposal_traces) == 4
    for name in ("deliver ProposalSubmissions", "apply ProposalSubmissions"):
        linked = [s for s in finished if s.name == name]
        assert linked and any(link.context.trace_id == trace_of(submit) for s in linked for link in s.links), name


async def test_json_log_lines_carry_the_trace_and_span_ids(spans):
    from shared.telemetry.tracing import active

    tracing = active()
    assert tracing is not None
    formatter = JsonFormatter()
    request = REQUEST_ID.set("req-7")
    try:
        with tracing.tracer.start_as_current_span("work") as span:
            line = json.loads(formatter.format(logging.LogRecord("dcent", logging.INFO, __file__, 1, "hi", (), None)))
    finally:
        REQUEST_ID.reset(request)
    assert line["request_id"] == "req-7"
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert line["span_id"] == format(span.get_span_context().span_id, "016x")
    outside = json.loads(formatter.format(logging.LogRecord("dcent", logging.INFO, __file__, 1, "hi", (), None)))
    assert "trace_id" not in outside


def test_tracing_is_off_unless_the_standard_variables_ask():
    assert exporters_from_environment({}) == []
    assert exporters_from_environment({"OTEL_TRACES_EXPORTER": "none"}) == []
    assert exporters_from_environment({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"}) == []
    assert [type(e).__name__ for e in exporters_from_environment({"OTEL_TRACES_EXPORTER": "console"})] \
        == ["ConsoleSpanExporter"]
    http = exporters_from_environment({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"})
    assert type(http[0]).__module__.endswith("proto.http.trace_exporter")
    with pytest.raises(ValueError, match="OTEL_TRACES_EXPORTER"):
        exporters_from_environment({"OTEL_TRACES_EXPORTER": "zipkin-typo"})


async def test_sql_makes_spans_inside_a_trace_only(spans, tmp_path):
    """Heartbeats, pollers and health checks run SQL outside any request: no trace of their own."""
    from sqlalchemy import text

    from shared.db.engine import make_engine
    from shared.telemetry.tracing import active

    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            assert spans.get_finished_spans() == ()
            with active().tracer.start_as_current_span("request"):
                await connection.execute(text("SELECT 2"))
    finally:
        await engine.dispose()
    names = [s.name for s in spans.get_finished_spans()]
    assert names[-1] == "request" and len(names) == 2, names

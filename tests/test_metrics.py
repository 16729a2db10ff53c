"""GET /metrics on both services (issue 18, first part): Prometheus text that prometheus_client
parses, the families named with their types, values that moved as the seed flow implies, and no
label that names an order, a seller or a session."""
from __future__ import annotations

import grpc
from prometheus_client.parser import text_string_to_metric_families

from shared.proto import communicator_pb2 as pb
from shared.proto import communicator_pb2_grpc as pb_grpc
from tests.conftest import processor_of
from tests.requestor.test_api import SEED_INITIATE, SEED_PROPOSAL, has_proposal, until

SHARED_FAMILIES = {
    "http_requests": "counter", "http_request_duration_seconds": "histogram",
    "dcent_task_queue_pending": "gauge", "dcent_task_queue_running": "gauge",
    "dcent_outbox_published": "counter", "dcent_outbox_publish_errors": "counter",
    "dcent_outbox_relay_leading": "gauge", "dcent_outbox_backlog": "gauge",
    "dcent_outbox_oldest_unsent_age_seconds": "gauge",
    "dcent_replica_notices_sent": "counter", "dcent_replica_notices_received": "counter",
    "dcent_db_pool_connections_in_use": "gauge",
    "dcent_idempotency_replays": "counter", "dcent_idempotency_conflicts": "counter",
}
PROCESSOR_FAMILIES = {
    **SHARED_FAMILIES,
    "dcent_events_appended": "counter", "dcent_order_stream_readers": "gauge", "dcent_chat_notices": "counter",
    "dcent_distance_matrix_requests": "counter",
    "grpc_server_handled": "counter", "grpc_server_handling_seconds": "histogram",
}
REQUESTOR_FAMILIES = {
    **SHARED_FAMILIES,
    "dcent_events_applied": "counter",
    "dcent_order_streams_followed": "gauge", "dcent_order_stream_reconnects": "counter", "dcent_sse_readers": "gauge",
    "grpc_client_handled": "counter", "grpc_client_handling_seconds": "histogram",
}
PRIORITIES = {"control", "interactive", "new_work", "background"}
INITIATE = "/dcent.communicator.v1.OrderNonStreamingService/InitiateOrder"
STREAM = "/dcent.communicator.v1.OrderStreamingService/ProcessOrderStream"


async def scrape(service) -> dict:
    response = await service.http.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def value(families: dict, name: str, suffix: str = "", **labels: str) -> float:
    return sum(s.value for s in families[name].samples
               if s.name == name + suffix and all(s.labels.get(k) == v for k, v in labels.items()))


async def test_both_services_export_their_counts_and_the_seed_flow_moves_them(requestor, processor):
    before = {"processor": await scrape(processor), "requestor": await scrape(requestor)}
    assert (await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE)).status_code == 202
    assert (await processor.http.post("/api/v1/proposal-submissions", json=SEED_PROPOSAL)).status_code == 201
    await until(lambda: has_proposal(requestor, "PROP-001"))
    after = {"processor": await scrape(processor), "requestor": await scrape(requestor)}

    for service, expected in (("processor", PROCESSOR_FAMILIES), ("requestor", REQUESTOR_FAMILIES)):
        exported = {name: family.type for name, family in after[service].items() if not name.endswith("_created")}
        assert exported == expected, service
        assert {s.labels["priority"] for s in after[service]["dcent_task_queue_pending"].samples} == PRIORITIES
    # Three events (RequestSubmissions, SellersSelected, ProposalSubmissions) appended and applied.
    for service, name in (("processor", "dcent_events_appended"), ("requestor", "dcent_events_applied")):
        assert value(after[service], name, "_total") - value(before[service], name, "_total") == 3, service
    route = "/api/v1/proposal-submissions"
    assert value(after["processor"], "http_requests", "_total", route=route, status="201") == 1
    assert value(after["processor"], "http_request_duration_seconds", "_count", route=route) == 1
    assert value(after["requestor"], "dcent_order_streams_followed") == 1
    assert value(after["processor"], "grpc_server_handled", "_total", method=INITIATE, code="OK") == 1
    assert value(after["processor"], "grpc_server_handling_seconds", "_count", method=INITIATE) == 1
    # The same call seen from the Requestor; its stream, open, is counted when it ends.
    assert value(after["requestor"], "grpc_client_handled", "_total", method=INITIATE, code="OK") == 1
    assert value(after["requestor"], "grpc_client_handling_seconds", "_count", method=INITIATE) == 1
    assert value(after["requestor"], "grpc_client_handled", "_total", method=STREAM) == 0
    # No Google in the test configuration: the Distance Matrix's outcomes are there, at zero.
    assert {s.labels["outcome"]: s.value for s in after["processor"]["dcent_distance_matrix_requests"].samples
            if s.name.endswith("_total")} == {"ok": 0, "refused": 0, "error": 0}

    labels = {v for families in after.values() for f in families.values() for s in f.samples for v in s.labels.values()}
    assert not {v for v in labels if "ORD-" in v or "SELLER-" in v or "PROP-" in v}


async def test_a_replayed_or_conflicting_idempotency_key_is_counted(requestor, processor):
    assert (await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE)).status_code == 202
    before = await scrape(processor)
    key = {"Idempotency-Key": "metrics-1"}
    for _ in range(3):
        assert (await processor.http.post("/api/v1/proposal-submissions", json=SEED_PROPOSAL,
                                          headers=key)).status_code == 201
    other = {**SEED_PROPOSAL, "ProposalDictObj": {**SEED_PROPOSAL["ProposalDictObj"], "Price": 1.0}}
    assert (await processor.http.post("/api/v1/proposal-submissions", json=other, headers=key)).status_code == 409
    after = await scrape(processor)
    for name, moved in (("dcent_idempotency_replays", 2), ("dcent_idempotency_conflicts", 1)):
        assert value(after, name, "_total") - value(before, name, "_total") == moved, name


async def test_the_processor_counts_its_distance_matrix_requests(fake_google, start_processor):
    async for processor in start_processor(api_google_bot_url=fake_google.url, google_api_key="test-key"):
        async with grpc.aio.insecure_channel(f"127.0.0.1:{processor_of(processor).grpc.port}") as channel:
            await pb_grpc.OrderNonStreamingServiceStub(channel).InitiateOrder(pb.InitiateOrderRequest(
                order_req_id="ORD-1", session_id="SESSION-1", notification_type="GChat",
                details=pb.OrderDetails(industry="food", location=pb.Location(lat=41.8781, lng=-87.6298))))
        families = await scrape(processor)
    requests = len(fake_google.matrix_requests())
    assert requests >= 1
    assert value(families, "dcent_distance_matrix_requests", "_total", outcome="ok") == requests


async def test_labels_stay_bounded_whatever_a_caller_sends(processor):
    """A caller's path and method never become label values: 404s are `unmatched`, odd methods `other`."""
    for n in range(3):
        await processor.http.request("PURGE", f"/health?n={n}")
        await processor.http.get(f"/no/such/path/{n}")
    families = await scrape(processor)
    methods = {s.labels["method"] for s in families["http_requests"].samples}
    routes = {s.labels["route"] for s in families["http_requests"].samples}
    assert "PURGE" not in methods and "other" in methods
    assert not any("no/such" in r for r in routes) and "unmatched" in routes

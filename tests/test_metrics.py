"""GET /metrics on both services (issue 18, first part): Prometheus text that prometheus_client
parses, the families named with their types, values that moved as the seed flow implies, and no
label that names an order, a seller or a session."""
from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.requestor.test_api import SEED_INITIATE, SEED_PROPOSAL, has_proposal, until

PROCESSOR_FAMILIES = {
    "http_requests": "counter", "http_request_duration_seconds": "histogram",
    "dcent_events_committed": "counter", "dcent_task_queue_pending": "gauge", "dcent_task_queue_running": "gauge",
    "dcent_outbox_published": "counter", "dcent_outbox_relay_leading": "gauge",
    "dcent_outbox_backlog": "gauge", "dcent_outbox_oldest_unsent_age_seconds": "gauge",
    "dcent_replica_notices_sent": "counter", "dcent_replica_notices_received": "counter",
    "dcent_db_pool_connections_in_use": "gauge", "dcent_order_stream_readers": "gauge", "dcent_chat_notices": "counter",
    "grpc_server_handled": "counter", "grpc_server_handling_seconds": "histogram",
}
REQUESTOR_FAMILIES = {
    **{k: v for k, v in PROCESSOR_FAMILIES.items()
       if k not in ("dcent_order_stream_readers", "dcent_chat_notices") and not k.startswith("grpc_")},
    "dcent_order_streams_followed": "gauge", "dcent_order_stream_reconnects": "counter", "dcent_sse_readers": "gauge",
}


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
        assert {name: after[service][name].type for name in expected if name in after[service]} == expected
    # Three events (RequestSubmissions, SellersSelected, ProposalSubmissions) appended and applied.
    for service in ("processor", "requestor"):
        moved = (value(after[service], "dcent_events_committed", "_total")
                 - value(before[service], "dcent_events_committed", "_total"))
        assert moved == 3, service
    route = "/api/v1/proposal-submissions"
    assert value(after["processor"], "http_requests", "_total", route=route, status="201") == 1
    assert value(after["processor"], "http_request_duration_seconds", "_count", route=route) == 1
    assert value(after["requestor"], "dcent_order_streams_followed") == 1
    initiate = "/dcent.communicator.v1.OrderNonStreamingService/InitiateOrder"
    assert value(after["processor"], "grpc_server_handled", "_total", method=initiate, code="OK") == 1
    assert value(after["processor"], "grpc_server_handling_seconds", "_count", method=initiate) == 1

    labels = {v for families in after.values() for f in families.values() for s in f.samples for v in s.labels.values()}
    assert not {v for v in labels if "ORD-" in v or "SELLER-" in v or "PROP-" in v}

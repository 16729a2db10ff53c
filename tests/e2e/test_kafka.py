"""What a Kafka consumer sees of an order, across real processes and a real broker."""
from __future__ import annotations

import uuid

import httpx
import pytest

from devtools.local_broker import LocalBroker
from devtools.service_process import ENDED_BY_ITSELF, free_port, launch_stack
from tests.e2e.topic_reader import SIX_TOPICS, TopicReader

pytestmark = pytest.mark.e2e
SELLERS = [f"SELLER-{n:03d}" for n in range(1, 11)]


@pytest.fixture
def reader(kafka_broker):
    topic_reader = TopicReader(kafka_broker.bootstrap)
    yield topic_reader
    topic_reader.close()


def proposal(order, seller, pid, price, **extra):
    return {"OrderReqID": order, "Seller": seller, "ProposalDictObj": {"ProposalID": pid, "Price": price}, **extra}


def test_one_lifecycle_exact_messages_per_topic(stack, reader):
    order = f"ORD-KAFKA-{uuid.uuid4().hex[:8]}"
    buyer, seller = httpx.Client(base_url=stack.requestor_url), httpx.Client(base_url=stack.processor_url)
    initiate = {"OrderReqId": order, "SessionID": "S-1", "Notification type": "GChat"}
    assert buyer.post("/api/v1/initiate", json=initiate).status_code == 202
    submit = "/api/v1/proposal-submissions"
    assert seller.post(submit, json=proposal(order, "SELLER-001", "K-P1", 100.0)).status_code == 201
    assert seller.post(submit, json=proposal(order, "SELLER-002", "K-P2", 90.0)).status_code == 201
    assert seller.post(submit, json=proposal(order, "SELLER-002", "K-P2", 85.0)).status_code == 200
    refused = seller.post("/api/v1/proposal-submissions", json=proposal(order, "SELLER-050", "K-P9", 1.0))
    assert refused.status_code == 404  # not invited: answered as an unknown order (issue 14)
    message = {"content": {"URLs": [], "MessageType": "text", "Message": "Ships in 3 days"}}
    from_seller = {"OrderReqID": order, "Seller": "SELLER-001", "Message": message}
    assert seller.post("/api/v1/followup", json=from_seller).status_code == 201
    from_buyer = {"OrderReqID": order, "Audience": ["K-P1"], "Message": message}
    assert buyer.post("/api/v1/followup", json=from_buyer).status_code == 200
    lock_request = {"OrderReqID": order, "ProposalID": "K-P1", "Seller": "SELLER-001"}
    lock = seller.post("/api/v1/edit-lock", json=lock_request).json()
    unlock = {**lock_request, "Action": "unlock", "LockToken": lock["LockToken"]}
    assert seller.post("/api/v1/edit-lock", json=unlock).status_code == 200
    assert buyer.put(f"/api/v1/pause/{order}").status_code == 200
    assert buyer.put(f"/api/v1/pause/{order}").status_code == 409  # refused: already paused
    assert buyer.put(f"/api/v1/resume/{order}").status_code == 200
    assert buyer.put(f"/api/v1/finalize/{order}", json={"ProposalID": "K-P1"}).status_code == 200

    expected = {
        "BUYER_ACKNOWLEDGEMENTS": [("ORD_SUBMISSION", "RequestSubmissions")],
        "BUYER_NOTIFY": [("ORD_UPDATES", t) for t in (
            "SellersSelected", "ProposalSubmissions", "ProposalSubmissions", "ProposalUpdate", "SellerFollowUp",
            "EditLock", "EditLock", "OrderPaused", "OrderResumed", "OrderFinalised")],
        "REQ_failures": [("ORD_UPDATES", "PauseRefused")],
        "SELLER_ACKNOWLEDGEMENTS": [("PRP_SUBMISSION", t) for t in (
            "ProposalSubmissions", "ProposalSubmissions", "ProposalUpdate")],
        "SELLER_NOTIFY": [("PRP_REQUEST", "SellersSelected")] * 10 + [
            ("PRP_REQUEST", "RequestFollowUp"), ("PRP_REQUEST", "ProposalClosed"), ("PRP_REQUEST", "ProposalAccepted")],
        "PRP_FAILURES": [("PRP_SUBMISSION", "ProposalSubmissionRefused")],
    }
    total = sum(len(v) for v in expected.values())
    reader.wait_for(lambda: len(reader.of_order(order)) >= total)
    assert reader.by_topic(order) == expected

    messages = reader.of_order(order)
    for m in messages:
        assert set(m.value) == {"event_id", "event_type", "order_req_id", "occurred_at", "source", "payload"}
        assert m.headers == {"event_id": m.value["event_id"], "event_type": m.value["event_type"]}
    invitations = [m for m in messages if m.topic == "SELLER_NOTIFY" and m.event_type == "SellersSelected"]
    assert [m.value["payload"]["seller_id"] for m in invitations] == SELLERS
    failure = next(m for m in messages if m.topic == "PRP_FAILURES")
    assert failure.value["payload"]["reason"] == f"order {order} not found"
    assert failure.value["payload"]["status"] == 404 and failure.value["source"] == "processor"
    assert failure.value["payload"]["request"]["ProposalDictObj"]["ProposalID"] == "K-P9"


@pytest.mark.usefixtures("db_backend")
def test_broker_outage_requests_served_backlog_delivered_in_order(make_db_url, tmp_path):
    """The broker stops answering mid-flow (SIGSTOP), proposals keep coming, then it is back."""
    broker = LocalBroker(free_port(), log_path=tmp_path / "tansu.log").start(topics=SIX_TOPICS)
    stack = reader = None
    order = f"ORD-OUTAGE-{uuid.uuid4().hex[:8]}"

    def received(topic):
        return [m.value["payload"]["proposal_id"] for m in reader.of_order(order)
                if m.topic == topic and m.event_type == "ProposalSubmissions"]

    try:
        stack = launch_stack(make_db_url("processor"), make_db_url("requestor"), broker.bootstrap, tmp_path)
        reader = TopicReader(broker.bootstrap)
        buyer, seller = httpx.Client(base_url=stack.requestor_url), httpx.Client(base_url=stack.processor_url)
        body = {"OrderReqId": order, "SessionID": "S", "Notification type": "GChat"}
        assert buyer.post("/api/v1/initiate", json=body).status_code == 202

        def post(n):
            body = proposal(order, SELLERS[n % 10], f"O-{n:03d}", 10.0 + n)
            assert seller.post("/api/v1/proposal-submissions", json=body).status_code == 201

        for n in range(20):
            post(n)
        broker.freeze()  # mid-flow: some of these may still be on their way
        for n in range(20, 50):
            post(n)  # served while Kafka does not answer
        for service in (seller, buyer):  # both relays see it, each when its next batch stalls
            reader.wait_for(lambda s=service: s.get("/ready").json()["status"] == "degraded", timeout=60)
        assert "backlog" in seller.get("/ready").json()["checks"]["kafka"]

        broker.thaw()
        expected = [f"O-{n:03d}" for n in range(50)]
        reader.wait_for(lambda: len(received("SELLER_ACKNOWLEDGEMENTS")) == 50
                        and len(received("BUYER_NOTIFY")) == 50, timeout=120)
        assert received("SELLER_ACKNOWLEDGEMENTS") == expected
        assert received("BUYER_NOTIFY") == expected
        reader.wait_for(lambda: seller.get("/ready").json()["status"] == "ready", timeout=60)
    finally:
        try:
            if reader is not None:
                reader.close()
            exit_codes = stack.stop() if stack is not None else {}
        finally:
            broker.stop()
    assert set(exit_codes.values()) <= ENDED_BY_ITSELF, exit_codes

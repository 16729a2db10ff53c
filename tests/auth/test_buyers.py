"""Issue 7, item 1 (buyers): a buyer session acts only on the orders it initiated."""
import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from shared.auth import Role
from shared.proto import communicator_pb2 as pb
from shared.proto import communicator_pb2_grpc as pb_grpc
from tests.auth.conftest import SIGNER, bearer
from tests.conftest import processor_of

pytestmark = pytest.mark.usefixtures("db_backend")

BUYER_A, BUYER_B = bearer(Role.BUYER, "SESSION-A"), bearer(Role.BUYER, "SESSION-B")
NOTE = {"content": {"URLs": [], "MessageType": "text", "Message": "hello"}}


def initiate_body(order_id: str, session: str) -> dict:
    return {"OrderReqId": order_id, "SessionID": session, "Notification type": "GChat"}


@pytest.fixture
async def orders_of_two_buyers(secured_requestor, secured_processor):
    http = secured_requestor.http
    for order_id, session, headers in (("ORD-A", "SESSION-A", BUYER_A), ("ORD-B", "SESSION-B", BUYER_B)):
        response = await http.post("/api/v1/initiate", json=initiate_body(order_id, session), headers=headers)
        assert response.status_code == 202, response.text
    proposal = {"OrderReqID": "ORD-A", "Seller": "SELLER-001",
                "ProposalDictObj": {"ProposalID": "PROP-A1", "Price": 10.0, "DeliveryDate": "2025-11-01T00:00:00Z"}}
    assert (await secured_processor.http.post("/api/v1/proposal-submissions", json=proposal,
                                              headers=bearer(Role.SELLER, "SELLER-001"))).status_code == 201
    return http


async def test_a_buyer_cannot_act_on_another_buyers_order(orders_of_two_buyers):
    http = orders_of_two_buyers
    attempts = [
        http.put("/api/v1/finalize/ORD-A", json={"ProposalID": "PROP-A1"}, headers=BUYER_B),
        http.put("/api/v1/pause/ORD-A", headers=BUYER_B),
        http.put("/api/v1/resume/ORD-A", headers=BUYER_B),
        http.post("/api/v1/followup", json={"OrderReqID": "ORD-A", "Audience": ["PROP-A1"], "Message": NOTE},
                  headers=BUYER_B),
        http.get("/api/v1/orders/ORD-A", headers=BUYER_B),
        http.get("/api/v1/orders/ORD-A/events", headers=BUYER_B),
    ]
    for attempt in attempts:
        response = await attempt
        assert response.status_code == 404, response.text  # as if it did not exist (issue 14)
        assert response.json()["detail"]["reason"] == "order ORD-A not found"
    # Nothing happened to ORD-A; its owner still can.
    view = (await http.get("/api/v1/orders/ORD-A", headers=BUYER_A)).json()
    assert view["State"] == "Open" and view["FollowUps"] == []
    assert (await http.put("/api/v1/pause/ORD-A", headers=BUYER_A)).json()["State"] == "Paused"


async def test_a_buyer_initiates_only_for_its_own_session_and_lists_only_its_orders(orders_of_two_buyers):
    http = orders_of_two_buyers
    posing = await http.post("/api/v1/initiate", json=initiate_body("ORD-C", "SESSION-A"), headers=BUYER_B)
    assert posing.status_code == 403
    assert (await http.get("/api/v1/orders/ORD-C", headers=BUYER_A)).status_code == 404
    listed = (await http.get("/api/v1/orders", headers=BUYER_B)).json()
    assert [o["OrderReqID"] for o in listed["Orders"]] == ["ORD-B"] and listed["Total"] == 1


async def test_a_buyer_cannot_tell_another_sessions_order_from_a_missing_one(orders_of_two_buyers):
    """Issue 14: a foreign order and an unknown one answer alike, so order ids cannot be probed."""
    http = orders_of_two_buyers
    probes = {
        "read": lambda order: http.get(f"/api/v1/orders/{order}", headers=BUYER_B),
        "events": lambda order: http.get(f"/api/v1/orders/{order}/events", headers=BUYER_B),
        "events ticket": lambda order: http.post(f"/api/v1/orders/{order}/events/ticket", headers=BUYER_B),
        "follow up": lambda order: http.post(
            "/api/v1/followup", json={"OrderReqID": order, "Audience": ["PROP-A1"], "Message": NOTE}, headers=BUYER_B),
        "finalize": lambda order: http.put(f"/api/v1/finalize/{order}", json={"ProposalID": "PROP-A1"},
                                           headers=BUYER_B),
        "pause": lambda order: http.put(f"/api/v1/pause/{order}", headers=BUYER_B),
        "resume": lambda order: http.put(f"/api/v1/resume/{order}", headers=BUYER_B),
    }
    for name, probe in probes.items():
        foreign, missing = await probe("ORD-A"), await probe("ORD-Z")
        assert foreign.status_code == missing.status_code == 404, (name, foreign.text)
        assert foreign.text.replace("ORD-A", "ORD-?") == missing.text.replace("ORD-Z", "ORD-?"), name
        assert missing.json() == {"detail": {"reason": "order ORD-Z not found"}}, name
    assert (await http.get("/api/v1/orders/ORD-A", headers=BUYER_A)).json()["State"] == "Open"


async def test_tokens_are_required_and_checked(orders_of_two_buyers):
    http = orders_of_two_buyers
    assert (await http.get("/api/v1/orders")).status_code == 401
    expired = SIGNER.issue(Role.BUYER, "SESSION-A", ttl_seconds=1, now=1_000_000)
    response = await http.get("/api/v1/orders", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401 and "expired" in response.json()["detail"]["reason"]
    seller = await http.get("/api/v1/orders", headers=bearer(Role.SELLER, "SELLER-001"))
    assert seller.status_code == 401 and "another service" in seller.text  # a seller token is the Processor's
    # A browser's EventSource cannot set headers: it opens the stream with a ticket (test_stream_tickets.py).
    # (Finalized first, so the stream ends and the in-process client can read all of it.)
    finalized = await http.put("/api/v1/finalize/ORD-A", json={"ProposalID": "PROP-A1"}, headers=BUYER_A)
    assert finalized.status_code == 200
    ticket = (await http.post("/api/v1/orders/ORD-A/events/ticket", headers=BUYER_A)).json()["Ticket"]
    events = await http.get(f"/api/v1/orders/ORD-A/events?ticket={ticket}")
    assert events.status_code == 200 and "event: OrderFinalised" in events.text


async def test_grpc_needs_the_service_token(orders_of_two_buyers, secured_processor):
    target = f"127.0.0.1:{processor_of(secured_processor).grpc.port}"
    request = pb.OrderControlRequest(order_req_id="ORD-A", reason="x")
    async with grpc.aio.insecure_channel(target) as channel:
        stub = pb_grpc.OrderNonStreamingServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await stub.PauseOrder(request, timeout=5)
        assert missing.value.code() == grpc.StatusCode.UNAUTHENTICATED
        seller_md = (("authorization", bearer(Role.SELLER, "SELLER-001")["Authorization"]),)
        with pytest.raises(grpc.aio.AioRpcError) as wrong_role:
            await stub.PauseOrder(request, timeout=5, metadata=seller_md)
        assert wrong_role.value.code() == grpc.StatusCode.PERMISSION_DENIED
        stream = pb_grpc.OrderStreamingServiceStub(channel).ProcessOrderStream(
            pb.OrderStreamRequest(order_req_id="ORD-A"))
        with pytest.raises(grpc.aio.AioRpcError) as streaming:
            await stream.read()
        assert streaming.value.code() == grpc.StatusCode.UNAUTHENTICATED
        # Probes carry no token.
        health = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert health.status == health_pb2.HealthCheckResponse.SERVING


async def test_a_requestor_with_a_bad_service_token_answers_503_not_401(start_requestor, secured_processor):
    port = processor_of(secured_processor).grpc.port
    async for requestor in start_requestor(port, auth_enabled=True, processor_auth_token="not-a-token"):
        response = await requestor.http.post(
            "/api/v1/initiate", json=initiate_body("ORD-X", "SESSION-A"), headers=BUYER_A)
        assert response.status_code == 503 and "UNAUTHENTICATED" in response.json()["detail"]["reason"]

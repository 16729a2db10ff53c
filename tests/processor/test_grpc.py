"""The Processor's gRPC surface over a real socket: unary actions, the stream, health."""
import asyncio

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from processor.app.services.orders import InitiateCommand
from shared.models.orders import OrderDetails
from shared.proto import communicator_pb2 as pb
from shared.proto import communicator_pb2_grpc as pb_grpc
from shared.proto import convert
from tests.conftest import processor_of

pytestmark = pytest.mark.usefixtures("db_backend")


def initiate_request(order_id="ORD-1", session="SESSION-1", **details):
    return pb.InitiateOrderRequest(order_req_id=order_id, session_id=session, notification_type="GChat",
                                   details=pb.OrderDetails(**details))


async def submit(processor, pid, seller="SELLER-001", order="ORD-1", price=10.0):
    response = await processor.http.post("/api/v1/proposal-submissions", json={
        "OrderReqID": order, "Seller": seller, "ProposalDictObj": {"ProposalID": pid, "Price": price}})
    assert response.status_code in (200, 201), response.text
    return response.json()


async def collect(channel, order_id, after=0, count=None, timeout=30.0):  # returns as soon as it has them
    stub = pb_grpc.OrderStreamingServiceStub(channel)
    call = stub.ProcessOrderStream(pb.OrderStreamRequest(order_req_id=order_id, resume_after_seq=after))
    events = []

    async def read():
        async for message in call:
            events.append(convert.event_from_pb(message))
            if count and len(events) == count:
                call.cancel()
                return

    await asyncio.wait_for(read(), timeout)
    return events


async def test_initiate_is_idempotent_and_selects_by_distance(grpc_channel):
    stub = pb_grpc.OrderNonStreamingServiceStub(grpc_channel)
    chicago = pb.Location(lat=41.8781, lng=-87.6298)
    first = await stub.InitiateOrder(initiate_request(industry="food", location=chicago, max_sellers=3))
    again = await stub.InitiateOrder(initiate_request(industry="food", location=chicago, max_sellers=3))
    assert first.order.state == pb.ORDER_STATE_OPEN and again == first
    sellers = [convert.seller_from_pb(s) for s in first.order.sellers]
    assert sellers[0].seller_id == "SELLER-003"  # Chicago Foods, 0 km away
    assert [s.rank for s in sellers] == [1, 2, 3] and all(s.source == "haversine" for s in sellers)
    assert sellers == sorted(sellers, key=lambda s: s.distance_km)

    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.InitiateOrder(initiate_request(session="SESSION-2"))
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "another session" in info.value.details()


async def test_stream_replays_after_seq_then_tails_live(processor, grpc_channel):
    stub = pb_grpc.OrderNonStreamingServiceStub(grpc_channel)
    await stub.InitiateOrder(initiate_request())
    await submit(processor, "PROP-1")

    replay = await collect(grpc_channel, "ORD-1", count=3)
    assert [(e.seq, e.event_type.value) for e in replay] == [
        (1, "RequestSubmissions"), (2, "SellersSelected"), (3, "ProposalSubmissions")]

    live = asyncio.create_task(collect(grpc_channel, "ORD-1", after=2, count=3))
    await asyncio.sleep(0.1)
    await submit(processor, "PROP-2", seller="SELLER-002")
    await submit(processor, "PROP-2", seller="SELLER-002", price=9.0)
    events = await live
    assert [(e.seq, e.event_type.value) for e in events] == [
        (3, "ProposalSubmissions"), (4, "ProposalSubmissions"), (5, "ProposalUpdate")]
    assert events[2].payload.data == {"ProposalID": "PROP-2", "Price": 9.0} and events[2].payload.revision == 2


async def test_finalize_awards_one_closes_the_rest_and_ends_the_stream(processor, grpc_channel):
    stub = pb_grpc.OrderNonStreamingServiceStub(grpc_channel)
    await stub.InitiateOrder(initiate_request())
    for n, seller in enumerate(["SELLER-001", "SELLER-002", "SELLER-003"], 1):
        await submit(processor, f"PROP-{n}", seller=seller)
    lock = await processor.http.post("/api/v1/edit-lock", json={
        "OrderReqID": "ORD-1", "ProposalID": "PROP-2", "Seller": "SELLER-002"})
    assert lock.status_code == 200

    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.FinalizeOrder(pb.FinalizeOrderRequest(order_req_id="ORD-1", proposal_id="PROP-2"))
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "edit-locked" in info.value.details()

    done = await stub.FinalizeOrder(pb.FinalizeOrderRequest(order_req_id="ORD-1", proposal_id="PROP-1"))
    assert done.order.state == pb.ORDER_STATE_FINALISED

    events = await collect(grpc_channel, "ORD-1", after=6)  # ends by itself after the terminal event
    assert [(e.event_type.value, getattr(e.payload, "proposal_id", "")) for e in events] == [
        ("ProposalClosed", "PROP-2"), ("ProposalClosed", "PROP-3"),
        ("ProposalAccepted", "PROP-1"), ("OrderFinalised", ""),
    ]
    assert events[-1].seq == done.seq and events[-1].payload.winning_proposal_id == "PROP-1"

    with pytest.raises(grpc.aio.AioRpcError) as again:
        await stub.PauseOrder(pb.OrderControlRequest(order_req_id="ORD-1"))
    assert again.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert again.value.details() == "order ORD-1 is Finalised; it cannot become Paused"


async def test_buyer_followup_reports_who_was_reached(processor, grpc_channel):
    stub = pb_grpc.OrderNonStreamingServiceStub(grpc_channel)
    await stub.InitiateOrder(initiate_request())
    await submit(processor, "PROP-1")
    message = pb.FollowUpMessage(message_type="text", message="When can you deliver?")
    response = await stub.ProcessFollowUp(pb.FollowUpRequest(
        order_req_id="ORD-1", audience=["PROP-1", "PROP-404"], message=message))
    assert list(response.reached) == ["PROP-1"]
    assert [(m.proposal_id, m.reason) for m in response.not_reached] == [("PROP-404", "unknown proposal")]

    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.ProcessFollowUp(pb.FollowUpRequest(order_req_id="ORD-1", audience=["PROP-404"], message=message))
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION

    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await stub.ProcessFollowUp(pb.FollowUpRequest(order_req_id="NOPE", audience=["PROP-1"], message=message))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


async def test_unknown_order_stream_and_bad_ids_are_refused(grpc_channel):
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await collect(grpc_channel, "ORD-404")
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    stub = pb_grpc.OrderNonStreamingServiceStub(grpc_channel)
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await stub.InitiateOrder(initiate_request(order_id="bad id"))
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT and bad.value.details().startswith("order_req_id")


async def test_order_expires_closes_proposals_and_ends_stream(start_processor):
    async for processor in start_processor(order_expiry_minutes=0.02):  # 1.2 s
        orders = processor_of(processor).orders
        await orders.initiate(InitiateCommand("ORD-1", "S", "GChat", OrderDetails()))
        await submit(processor, "PROP-1")
        async with grpc.aio.insecure_channel(f"127.0.0.1:{processor_of(processor).grpc.port}") as channel:
            events = await collect(channel, "ORD-1", after=3)
        assert [e.event_type.value for e in events] == ["ProposalClosed", "OrderExpired"]
        assert (await orders.summary("ORD-1")).state == "Expired"


async def test_expiry_survives_a_restart(start_processor):
    async for processor in start_processor(order_expiry_minutes=0.01, expiry_check_seconds=60):
        await processor_of(processor).orders.initiate(InitiateCommand("ORD-1", "S", "GChat", OrderDetails()))
    await asyncio.sleep(0.8)  # it came due while nothing was running
    async for processor in start_processor(expiry_check_seconds=60):  # only its first sweep can do it
        orders = processor_of(processor).orders
        async with asyncio.timeout(30):
            while (await orders.summary("ORD-1")).state != "Expired":
                await asyncio.sleep(0.05)


async def test_health_service_reports_serving(grpc_channel):
    health = health_pb2_grpc.HealthStub(grpc_channel)
    services = ("dcent.communicator.v1.OrderStreamingService", "dcent.communicator.v1.OrderNonStreamingService")
    for service in ("", *services):  # "": the server as a whole
        response = await health.Check(health_pb2.HealthCheckRequest(service=service))
        assert response.status == health_pb2.HealthCheckResponse.SERVING


async def reflected_services(port: int) -> list[str] | grpc.StatusCode:
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        try:
            async for answer in call:
                return [s.name for s in answer.list_services_response.service]
        except grpc.aio.AioRpcError as error:
            return error.code()
    return []


async def test_reflection_is_served_in_development_and_off_when_told(start_processor):
    from processor.app.config import ProcessorSettings

    async for processor in start_processor():
        services = await reflected_services(processor_of(processor).grpc.port)
        assert "dcent.communicator.v1.OrderStreamingService" in services
    async for processor in start_processor(grpc_reflection=False):
        assert await reflected_services(processor_of(processor).grpc.port) == grpc.StatusCode.UNIMPLEMENTED
    assert ProcessorSettings.model_construct(environment="production").reflection_served is False  # unset: off

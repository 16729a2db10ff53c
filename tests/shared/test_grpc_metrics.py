"""The Requestor's side of the gRPC metrics (issue 18): calls made, by method and the code they
ended with, unary latency; a stream counted when it ends, however it ends."""
import asyncio

import grpc
import pytest

from shared.proto import communicator_pb2 as pb
from shared.proto import communicator_pb2_grpc as pb_grpc
from shared.utils.grpc_metrics import GrpcClientMetrics
from tests.conftest import processor_of

SERVICE = "/dcent.communicator.v1.OrderNonStreamingService/"
STREAM = "/dcent.communicator.v1.OrderStreamingService/ProcessOrderStream"


async def until(holds, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not holds():
            await asyncio.sleep(0.01)


def initiate(order_id: str) -> pb.InitiateOrderRequest:
    return pb.InitiateOrderRequest(order_req_id=order_id, session_id="S-1", notification_type="GChat",
                                   details=pb.OrderDetails())


async def test_calls_are_counted_by_method_and_final_code(processor):
    metrics = GrpcClientMetrics()
    target = f"127.0.0.1:{processor_of(processor).grpc.port}"
    async with grpc.aio.insecure_channel(target, interceptors=metrics.interceptors()) as channel:
        unary = pb_grpc.OrderNonStreamingServiceStub(channel)
        streams = pb_grpc.OrderStreamingServiceStub(channel)
        assert (await unary.InitiateOrder(initiate("ORD-1"))).order.order_req_id == "ORD-1"
        with pytest.raises(grpc.aio.AioRpcError):
            await unary.InitiateOrder(initiate("bad id"))

        with pytest.raises(grpc.aio.AioRpcError) as unknown:
            async for _ in streams.ProcessOrderStream(pb.OrderStreamRequest(order_req_id="ORD-404")):
                pass
        assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
        open_stream = streams.ProcessOrderStream(pb.OrderStreamRequest(order_req_id="ORD-1"))
        assert [(await open_stream.read()).seq for _ in range(2)] == [1, 2]  # RequestSubmissions, SellersSelected
        assert metrics.calls.handled[STREAM, "CANCELLED"] == 0  # open: not counted yet
        open_stream.cancel()
        await until(lambda: metrics.calls.handled[STREAM, "CANCELLED"] == 1)
        left_open = streams.ProcessOrderStream(pb.OrderStreamRequest(order_req_id="ORD-1"))
        assert (await left_open.read()).seq == 1
    await until(lambda: metrics.calls.handled[STREAM, "CANCELLED"] == 2)  # ended by the channel's close

    assert dict(metrics.calls.handled) == {
        (SERVICE + "InitiateOrder", "OK"): 1, (SERVICE + "InitiateOrder", "INVALID_ARGUMENT"): 1,
        (STREAM, "NOT_FOUND"): 1, (STREAM, "CANCELLED"): 2,
    }
    families = {family.name: family for family in metrics.families()}
    assert set(families) == {"grpc_client_handled", "grpc_client_handling_seconds"}
    count = [s.value for s in families["grpc_client_handling_seconds"].samples if s.name.endswith("_count")]
    assert count == [2]  # unary calls only, one method

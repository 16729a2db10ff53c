"""gRPC_NS: the Requestor's unary calls to the Processor, with deadlines and error translation.

Retries of calls the Processor never took (UNAVAILABLE: restarting, unreachable) are the
channel's own retry policy (shared.utils.grpc_options.retrying_service_config), inside each
call's deadline.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import grpc
from google.protobuf.message import Message

from shared.models.followups import FollowUpReceipt
from shared.models.messages import MessageContent
from shared.models.orders import OrderDetails, OrderSummary
from shared.proto import communicator_pb2 as pb
from shared.proto import communicator_pb2_grpc as pb_grpc
from shared.proto import convert
from shared.proto.errors import from_grpc_code

log = logging.getLogger(__name__)

Response = TypeVar("Response")


class ProcessorClient:
    def __init__(
        self, channel: grpc.aio.Channel, *, timeout: float, metadata: tuple[tuple[str, str], ...] = ()
    ) -> None:
        self._stub = pb_grpc.OrderNonStreamingServiceStub(channel)
        self._timeout = timeout
        self._metadata = metadata

    async def _call(self, method: Callable[..., Awaitable[Response]], request: Message) -> Response:
        try:
            return await method(request, timeout=self._timeout, metadata=self._metadata)
        except grpc.aio.AioRpcError as exc:
            refusal = from_grpc_code(exc.code(), exc.details())
            if refusal.reason != exc.details():
                log.warning("processor call %s failed: %s %s", method, exc.code().name, exc.details())
            raise refusal from None

    async def initiate(
        self, order_req_id: str, session_id: str, notification_type: str, details: OrderDetails
    ) -> OrderSummary:
        response = await self._call(self._stub.InitiateOrder, pb.InitiateOrderRequest(
            order_req_id=order_req_id, session_id=session_id, notification_type=notification_type,
            details=convert.details_to_pb(details),
        ))
        return convert.summary_from_pb(response.order)

    async def follow_up(self, order_req_id: str, audience: list[str], message: MessageContent) -> FollowUpReceipt:
        response = await self._call(self._stub.ProcessFollowUp, pb.FollowUpRequest(
            order_req_id=order_req_id, audience=audience, message=convert.message_to_pb(message),
        ))
        return convert.follow_up_receipt_from_pb(response)

    async def finalize(self, order_req_id: str, proposal_id: str) -> tuple[OrderSummary, int]:
        return self._action(await self._call(
            self._stub.FinalizeOrder, pb.FinalizeOrderRequest(order_req_id=order_req_id, proposal_id=proposal_id)
        ))

    async def pause(self, order_req_id: str, reason: str) -> tuple[OrderSummary, int]:
        return self._action(await self._call(
            self._stub.PauseOrder, pb.OrderControlRequest(order_req_id=order_req_id, reason=reason)
        ))

    async def resume(self, order_req_id: str, reason: str) -> tuple[OrderSummary, int]:
        return self._action(await self._call(
            self._stub.ResumeOrder, pb.OrderControlRequest(order_req_id=order_req_id, reason=reason)
        ))

    @staticmethod
    def _action(response: pb.OrderActionResponse) -> tuple[OrderSummary, int]:
        return convert.summary_from_pb(response.order), response.seq

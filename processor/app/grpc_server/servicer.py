"""gRPC edge of the Processor: translate protobuf ↔ models, delegate to services, map errors."""
from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any, TypeAlias, TypeVar

import grpc
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import DBAPIError

from processor.app.services.followups import FollowUpService
from processor.app.services.orders import InitiateCommand, OrderService
from processor.app.store.event_log import EventLog
from shared.errors import DomainError, InvalidInput
from shared.models.common import Identifier
from shared.models.orders import OrderSummary
from shared.proto import communicator_pb2 as pb
from shared.proto import communicator_pb2_grpc as pb_grpc
from shared.proto import convert
from shared.proto.errors import grpc_code
from shared.telemetry.tracing import SpanKind, linked_span
from shared.utils.task_queue import Priority, PriorityTaskQueue

log = logging.getLogger(__name__)
_IDENTIFIER = TypeAdapter(Identifier)
Servicer = TypeVar("Servicer")
Request = TypeVar("Request")
Response = TypeVar("Response")
Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"  # generic only in the stubs


def _identifier(value: str, field: str) -> str:
    try:
        return _IDENTIFIER.validate_python(value)
    except ValidationError as exc:
        raise InvalidInput(f"{field}: {exc.errors()[0]['msg']}", field=field) from None


def domain_errors(
    method: Callable[[Servicer, Request, Context], Awaitable[Response]],
) -> Callable[[Servicer, Request, Context], Coroutine[Any, Any, Response]]:
    """Turn a DomainError or invalid model into the matching gRPC status, message = the reason."""

    @functools.wraps(method)
    async def wrapper(self: Servicer, request: Request, context: Context) -> Response:
        try:
            return await method(self, request, context)
        except grpc.aio.AbortError:
            raise
        except DomainError as exc:
            await context.abort(grpc_code(exc), exc.reason)
        except ValidationError as exc:
            first = exc.errors()[0]
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{'.'.join(map(str, first['loc']))}: {first['msg']}")
        except (DBAPIError, ConnectionError) as exc:
            log.warning("database unavailable in %s: %s", method.__name__, type(exc).__name__)
            await context.abort(grpc.StatusCode.UNAVAILABLE, "the database is unavailable; retry shortly")
        except Exception:
            # grpc.aio would send str(exc) as the details (SQL and its parameters, once): log it here.
            log.exception("%s failed", method.__name__)
            await context.abort(grpc.StatusCode.INTERNAL, "internal error")

    return wrapper


class OrderNonStreamingServicer(pb_grpc.OrderNonStreamingServiceServicer):
    """gRPC_NS: buyer actions. Control actions go ahead of new work on the priority queue."""

    def __init__(self, orders: OrderService, followups: FollowUpService, queue: PriorityTaskQueue) -> None:
        self._orders = orders
        self._followups = followups
        self._queue = queue

    @domain_errors
    async def InitiateOrder(self, request: pb.InitiateOrderRequest, context: Context) -> pb.OrderActionResponse:
        summary = await self._orders.initiate(InitiateCommand(
            order_req_id=_identifier(request.order_req_id, "order_req_id"),
            session_id=_identifier(request.session_id, "session_id"),
            notification_type=request.notification_type or "GChat",
            details=convert.details_from_pb(request.details),
        ))
        return pb.OrderActionResponse(order=convert.summary_to_pb(summary), seq=summary.last_seq)

    @domain_errors
    async def ProcessFollowUp(self, request: pb.FollowUpRequest, context: Context) -> pb.FollowUpResponse:
        order_req_id = _identifier(request.order_req_id, "order_req_id")
        audience = [_identifier(a, "audience") for a in request.audience]
        if not audience:
            raise InvalidInput("audience: at least one ProposalID is required", field="audience")
        message = convert.message_from_pb(request.message)
        receipt = await self._queue.run(
            lambda: self._followups.from_buyer(order_req_id, audience, message),
            priority=Priority.INTERACTIVE, name=f"followup:{order_req_id}",
        )
        return convert.follow_up_receipt_to_pb(receipt)

    @domain_errors
    async def FinalizeOrder(self, request: pb.FinalizeOrderRequest, context: Context) -> pb.OrderActionResponse:
        order_req_id = _identifier(request.order_req_id, "order_req_id")
        proposal_id = _identifier(request.proposal_id, "proposal_id")
        return await self._control(order_req_id, lambda: self._orders.finalize(order_req_id, proposal_id))

    @domain_errors
    async def PauseOrder(self, request: pb.OrderControlRequest, context: Context) -> pb.OrderActionResponse:
        order_req_id = _identifier(request.order_req_id, "order_req_id")
        return await self._control(order_req_id, lambda: self._orders.pause(order_req_id, request.reason))

    @domain_errors
    async def ResumeOrder(self, request: pb.OrderControlRequest, context: Context) -> pb.OrderActionResponse:
        order_req_id = _identifier(request.order_req_id, "order_req_id")
        return await self._control(order_req_id, lambda: self._orders.resume(order_req_id, request.reason))

    async def _control(
        self, order_req_id: str, action: Callable[[], Awaitable[tuple[OrderSummary, int]]]
    ) -> pb.OrderActionResponse:
        summary, seq = await self._queue.run(action, priority=Priority.CONTROL, name=f"control:{order_req_id}")
        return pb.OrderActionResponse(order=convert.summary_to_pb(summary), seq=seq)


class OrderStreamingServicer(pb_grpc.OrderStreamingServiceServicer):
    """gRPC_SS: the order's event log after `resume_after_seq`, then live, until its terminal event."""

    def __init__(self, orders: OrderService, log: EventLog) -> None:
        self._orders = orders
        self._log = log

    async def ProcessOrderStream(
        self, request: pb.OrderStreamRequest, context: Context
    ) -> AsyncIterator[pb.OrderStreamResponse]:
        try:
            order_req_id = _identifier(request.order_req_id, "order_req_id")
            await self._orders.summary(order_req_id)
        except DomainError as exc:
            await context.abort(grpc_code(exc), exc.reason)
        async for event in self._log.follow(order_req_id, max(0, request.resume_after_seq)):
            with linked_span(f"deliver {event.event_type.value}", event.traceparent, SpanKind.PRODUCER,
                             order_req_id=order_req_id, seq=event.seq):
                message = convert.event_to_pb(event)
            yield message
            del event  # not held while the stream idles

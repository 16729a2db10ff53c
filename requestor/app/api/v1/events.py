"""GET /api/v1/orders/{order_req_id}/events: the order's updates as server-sent events.

Each event's SSE id is its `seq`: a browser that reconnects sends Last-Event-ID and gets
exactly what it missed, then live updates. Idle streams get keep-alive comments. A stream ends
when the credential that opened it expires; a browser trades its bearer token for a stream
ticket first (POST .../events/ticket), since an EventSource cannot send headers.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response, status
from pydantic import Field
from sse_starlette import EventSourceResponse, ServerSentEvent

from requestor.app.api.deps import BuyerDep, OrdersDep, SsePingSecondsDep, StreamBuyerDep, StreamTicketsDep, UpdatesDep
from shared.errors import InvalidInput
from shared.models.common import MAX_SQL_INT, ApiModel, Identifier, UtcDatetime
from shared.models.events import OrderEvent
from shared.utils.http_errors import error_responses

router = APIRouter(tags=["orders"])
log = logging.getLogger(__name__)


class StreamTicketView(ApiModel):
    ticket: str = Field(alias="Ticket",
                        description="send as ?ticket= to this order's events, within STREAM_TICKET_SECONDS")
    expires_at: UtcDatetime = Field(alias="ExpiresAt")
    events_url: str = Field(alias="EventsURL")


@router.post(
    "/orders/{order_req_id}/events/ticket",
    response_model=StreamTicketView,
    status_code=status.HTTP_201_CREATED,
    summary="A short-lived ticket that opens this order's event stream (for EventSource URLs)",
    responses=error_responses(401, 404),
)
async def stream_ticket(
    order_req_id: Annotated[Identifier, Path()], orders: OrdersDep, tickets: StreamTicketsDep, buyer: BuyerDep,
    response: Response,
) -> StreamTicketView:
    response.headers["Cache-Control"] = "no-store"  # a credential: kept by no cache, replayed by no key
    await orders.require(order_req_id, buyer)
    issued = tickets.issue(buyer, order_req_id)
    return StreamTicketView(ticket=issued.ticket, expires_at=datetime.fromtimestamp(issued.expires_at, UTC),
                            events_url=f"/api/v1/orders/{order_req_id}/events?ticket={issued.ticket}")


def as_sse(event: OrderEvent) -> ServerSentEvent:
    """One event as SSE; one that cannot be serialised is announced, not allowed to end the stream."""
    try:
        data = event.model_dump_json()
    except Exception:  # whatever broke this event must not cost the buyer the next ones
        log.exception("event %d of order %s could not be serialised", event.seq, event.order_req_id)
        data = json.dumps({"order_req_id": event.order_req_id, "seq": event.seq,
                           "event_type": event.event_type.value, "error": "this event could not be shown"})
    return ServerSentEvent(id=str(event.seq), event=event.event_type.value, data=data)


@router.get(
    "/orders/{order_req_id}/events",
    summary="Live updates of one order (text/event-stream); resume with Last-Event-ID",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}}, **error_responses(401, 403, 404, 422)},
)
async def order_events(
    order_req_id: Annotated[Identifier, Path()],
    orders: OrdersDep,
    updates: UpdatesDep,
    ping_seconds: SsePingSecondsDep,
    buyer: StreamBuyerDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    after_seq: Annotated[
        int, Query(ge=0, le=MAX_SQL_INT, description="Start after this seq (when no Last-Event-ID)")
    ] = 0,
) -> EventSourceResponse:
    await orders.require(order_req_id, buyer)
    if last_event_id is not None:
        # ASCII digits only: str.isdigit() also accepts "²", which int() refuses (a 500, once).
        if not (last_event_id.isascii() and last_event_id.isdigit() and int(last_event_id) <= MAX_SQL_INT):
            raise InvalidInput("Last-Event-ID must be the seq of the last event received", field="Last-Event-ID")
        after_seq = int(last_event_id)

    ends_at = None if buyer.expires_at is None else asyncio.get_running_loop().time() + buyer.expires_at - time.time()

    async def events() -> AsyncIterator[ServerSentEvent]:
        async with aclosing(updates.follow(order_req_id, after_seq)) as log_events:
            while True:
                try:
                    # Only the wait for the next event is timed: a timeout must never fire while
                    # this generator is suspended in a yield (it would cancel the sender instead).
                    async with asyncio.timeout_at(ends_at):
                        event = await anext(log_events)
                except StopAsyncIteration:
                    return
                except TimeoutError:  # the credential expired: the client authenticates again to go on
                    yield ServerSentEvent(event="CredentialExpired", data="{}")
                    return
                yield as_sse(event)
                del event  # not held while the stream idles

    return EventSourceResponse(events(), ping=ping_seconds)

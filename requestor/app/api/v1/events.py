"""GET /api/v1/orders/{order_req_id}/events: the order's updates as server-sent events.

Each event's SSE id is its `seq`: a browser that reconnects sends Last-Event-ID and gets
exactly what it missed, then live updates. Idle streams get keep-alive comments.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query
from sse_starlette import EventSourceResponse, ServerSentEvent

from requestor.app.api.deps import RequestorDep, StreamBuyerDep
from shared.errors import InvalidInput
from shared.models.common import MAX_SQL_INT, Identifier
from shared.utils.http_errors import error_responses

router = APIRouter(tags=["orders"])


@router.get(
    "/orders/{order_req_id}/events",
    summary="Live updates of one order (text/event-stream); resume with Last-Event-ID",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}}, **error_responses(401, 403, 404, 422)},
)
async def order_events(
    order_req_id: Annotated[Identifier, Path()],
    requestor: RequestorDep,
    buyer: StreamBuyerDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    after_seq: Annotated[
        int, Query(ge=0, le=MAX_SQL_INT, description="Start after this seq (when no Last-Event-ID)")
    ] = 0,
) -> EventSourceResponse:
    await requestor.orders.require(order_req_id, buyer)
    if last_event_id is not None:
        # ASCII digits only: str.isdigit() also accepts "²", which int() refuses (a 500, once).
        if not (last_event_id.isascii() and last_event_id.isdigit() and int(last_event_id) <= MAX_SQL_INT):
            raise InvalidInput("Last-Event-ID must be the seq of the last event received", field="Last-Event-ID")
        after_seq = int(last_event_id)

    async def events() -> AsyncIterator[ServerSentEvent]:
        async for event in requestor.updater.log.follow(order_req_id, after_seq):
            yield ServerSentEvent(id=str(event.seq), event=event.event_type.value, data=event.model_dump_json())
            del event  # not held while the stream idles

    return EventSourceResponse(events(), ping=requestor.settings.sse_ping_seconds)

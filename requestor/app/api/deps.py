"""FastAPI dependencies: the one collaborator each route needs from the lifespan-built Requestor.

Never the Requestor itself: app.state is untyped, so each function's return type says what it
hands over and the routes do not import the container (issue 15).
"""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials

from requestor.app.services.orders import BuyerOrders
from requestor.app.services.update_requests import RequestUpdater
from shared.auth import Principal
from shared.auth.http import Authenticator, bearer_scheme
from shared.auth.tickets import StreamTickets
from shared.models.common import Identifier

# Every dependency is `async def`: FastAPI runs a plain `def` one in a worker thread, a thread
# hop per dependency per request (a measurable share of a proposal's cost, docs/performance.md).


async def get_orders(request: Request) -> BuyerOrders:
    return request.app.state.requestor.orders


async def get_updates(request: Request) -> RequestUpdater:
    """The applied events of each order, which the SSE route follows."""
    return request.app.state.requestor.updater


async def get_stream_tickets(request: Request) -> StreamTickets:
    return request.app.state.requestor.stream_tickets


async def get_sse_ping_seconds(request: Request) -> float:
    return request.app.state.requestor.settings.sse_ping_seconds


Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
StreamTicketsDep = Annotated[StreamTickets, Depends(get_stream_tickets)]


def _buyers_auth(request: Request) -> Authenticator:
    return request.app.state.requestor.buyers_auth


async def get_buyer(request: Request, credentials: Bearer) -> Principal:
    """The calling buyer session (anyone, while authentication is off)."""
    return _buyers_auth(request).authenticate(credentials.credentials if credentials else None)


async def get_stream_buyer(
    request: Request,
    credentials: Bearer,
    tickets: StreamTicketsDep,
    order_req_id: Annotated[Identifier, Path()],
    ticket: Annotated[str | None, Query(
        description="A stream ticket (POST .../events/ticket), for clients that cannot set headers "
                    "(a browser's EventSource); never the bearer token itself")] = None,
) -> Principal:
    if credentials is None and ticket is not None and _buyers_auth(request).enabled:
        return tickets.redeem(ticket, order_req_id)
    return await get_buyer(request, credentials)


BuyerDep = Annotated[Principal, Depends(get_buyer)]
StreamBuyerDep = Annotated[Principal, Depends(get_stream_buyer)]
OrdersDep = Annotated[BuyerOrders, Depends(get_orders)]
UpdatesDep = Annotated[RequestUpdater, Depends(get_updates)]
SsePingSecondsDep = Annotated[float, Depends(get_sse_ping_seconds)]

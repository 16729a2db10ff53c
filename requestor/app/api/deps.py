"""FastAPI dependencies: services from the lifespan-built Requestor, as Annotated aliases."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials

from requestor.app.container import Requestor
from requestor.app.services.orders import BuyerOrders
from shared.auth import Principal
from shared.auth.http import bearer_scheme
from shared.models.common import Identifier

# Every dependency is `async def`: FastAPI runs a plain `def` one in a worker thread, a thread
# hop per dependency per request (a measurable share of a proposal's cost, docs/performance.md).


async def get_requestor(request: Request) -> Requestor:
    return request.app.state.requestor


async def get_orders(request: Request) -> BuyerOrders:
    return request.app.state.requestor.orders


Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


async def get_buyer(request: Request, credentials: Bearer) -> Principal:
    """The calling buyer session (anyone, while authentication is off)."""
    return request.app.state.requestor.buyers_auth.authenticate(credentials.credentials if credentials else None)


async def get_stream_buyer(
    request: Request,
    credentials: Bearer,
    order_req_id: Annotated[Identifier, Path()],
    ticket: Annotated[str | None, Query(
        description="A stream ticket (POST .../events/ticket), for clients that cannot set headers "
                    "(a browser's EventSource); never the bearer token itself")] = None,
) -> Principal:
    requestor: Requestor = request.app.state.requestor
    if credentials is None and ticket is not None and requestor.buyers_auth.enabled:
        return requestor.stream_tickets.redeem(ticket, order_req_id)
    return requestor.buyers_auth.authenticate(credentials.credentials if credentials else None)


RequestorDep = Annotated[Requestor, Depends(get_requestor)]
BuyerDep = Annotated[Principal, Depends(get_buyer)]
StreamBuyerDep = Annotated[Principal, Depends(get_stream_buyer)]
OrdersDep = Annotated[BuyerOrders, Depends(get_orders)]

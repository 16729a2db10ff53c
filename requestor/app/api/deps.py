"""FastAPI dependencies: services from the lifespan-built Requestor, as Annotated aliases."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials

from requestor.app.container import Requestor
from requestor.app.services.orders import BuyerOrders
from shared.auth import Principal
from shared.auth.http import bearer_scheme

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
    access_token: Annotated[str | None, Query(
        description="The bearer token, for clients that cannot set headers (a browser's EventSource)")] = None,
) -> Principal:
    token = credentials.credentials if credentials else access_token
    return request.app.state.requestor.buyers_auth.authenticate(token)


RequestorDep = Annotated[Requestor, Depends(get_requestor)]
BuyerDep = Annotated[Principal, Depends(get_buyer)]
StreamBuyerDep = Annotated[Principal, Depends(get_stream_buyer)]
OrdersDep = Annotated[BuyerOrders, Depends(get_orders)]

"""FastAPI dependencies: services from the lifespan-built Requestor, as Annotated aliases."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials

from requestor.app.container import Requestor
from requestor.app.services.orders import BuyerOrders
from shared.auth import Principal
from shared.auth.http import bearer_scheme


def get_requestor(request: Request) -> Requestor:
    return request.app.state.requestor


def get_orders(request: Request) -> BuyerOrders:
    return get_requestor(request).orders


Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


def get_buyer(request: Request, credentials: Bearer) -> Principal:
    """The calling buyer session (anyone, while authentication is off)."""
    return get_requestor(request).buyers_auth.authenticate(credentials.credentials if credentials else None)


def get_stream_buyer(
    request: Request,
    credentials: Bearer,
    access_token: Annotated[str | None, Query(
        description="The bearer token, for clients that cannot set headers (a browser's EventSource)")] = None,
) -> Principal:
    token = credentials.credentials if credentials else access_token
    return get_requestor(request).buyers_auth.authenticate(token)


RequestorDep = Annotated[Requestor, Depends(get_requestor)]
BuyerDep = Annotated[Principal, Depends(get_buyer)]
StreamBuyerDep = Annotated[Principal, Depends(get_stream_buyer)]
OrdersDep = Annotated[BuyerOrders, Depends(get_orders)]

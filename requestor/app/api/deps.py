"""FastAPI dependencies: services from the lifespan-built Requestor, as Annotated aliases."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from requestor.app.container import Requestor
from requestor.app.services.orders import BuyerOrders


def get_requestor(request: Request) -> Requestor:
    return request.app.state.requestor


def get_orders(request: Request) -> BuyerOrders:
    return get_requestor(request).orders


RequestorDep = Annotated[Requestor, Depends(get_requestor)]
OrdersDep = Annotated[BuyerOrders, Depends(get_orders)]

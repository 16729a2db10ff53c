"""FastAPI dependencies: services from the lifespan-built Processor, as Annotated aliases."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from processor.app.container import Processor
from processor.app.services.followups import FollowUpService
from processor.app.services.orders import OrderService
from processor.app.services.proposals import ProposalService
from shared.auth import Principal
from shared.auth.http import bearer_scheme

# Every dependency is `async def`: FastAPI runs a plain `def` one in a worker thread, a thread
# hop per dependency per request (a measurable share of a proposal's cost, docs/performance.md).


async def get_processor(request: Request) -> Processor:
    return request.app.state.processor


async def get_proposals(request: Request) -> ProposalService:
    return request.app.state.processor.proposals


async def get_followups(request: Request) -> FollowUpService:
    return request.app.state.processor.followups


async def get_orders(request: Request) -> OrderService:
    return request.app.state.processor.orders


async def get_seller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
) -> Principal:
    """The calling seller (anyone, while authentication is off)."""
    return request.app.state.processor.sellers_auth.authenticate(credentials.credentials if credentials else None)


ProcessorDep = Annotated[Processor, Depends(get_processor)]
SellerDep = Annotated[Principal, Depends(get_seller)]
ProposalsDep = Annotated[ProposalService, Depends(get_proposals)]
FollowUpsDep = Annotated[FollowUpService, Depends(get_followups)]
OrdersDep = Annotated[OrderService, Depends(get_orders)]

"""FastAPI dependencies: services from the lifespan-built Processor, as Annotated aliases."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from processor.app.container import Processor
from processor.app.services.followups import FollowUpService
from processor.app.services.orders import OrderService
from processor.app.services.update_proposals import ProposalService


def get_processor(request: Request) -> Processor:
    return request.app.state.processor


def get_proposals(request: Request) -> ProposalService:
    return get_processor(request).proposals


def get_followups(request: Request) -> FollowUpService:
    return get_processor(request).followups


def get_orders(request: Request) -> OrderService:
    return get_processor(request).orders


ProcessorDep = Annotated[Processor, Depends(get_processor)]
ProposalsDep = Annotated[ProposalService, Depends(get_proposals)]
FollowUpsDep = Annotated[FollowUpService, Depends(get_followups)]
OrdersDep = Annotated[OrderService, Depends(get_orders)]

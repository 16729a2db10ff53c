"""The buyer's REST API: initiate, follow up, finalize, pause, resume, read orders."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, status

from requestor.app.api.deps import BuyerDep, OrdersDep
from requestor.app.schemas.requests import BuyerFollowUp, ControlRequest, FinalizeRequest, InitiateRequest
from requestor.app.schemas.views import OrderList, OrderView
from requestor.app.services.orders import PROPOSALS_PAGE, PROPOSALS_PAGE_MAX
from shared.models.common import MAX_SQL_INT, Identifier
from shared.models.followups import FollowUpReceipt
from shared.models.states import OrderState
from shared.utils.http_errors import error_responses

router = APIRouter(tags=["orders"])
OrderId = Annotated[Identifier, Path(description="The order's OrderReqId")]

SEED_INITIATE = {"OrderReqId": "ORD-001", "SessionID": "SESSION-123", "Notification type": "GChat"}
DETAILED_INITIATE = {
    "OrderReqId": "ORD-002", "SessionID": "SESSION-123", "Notification type": "GChat",
    "Industry": "construction", "Location": {"lat": 40.7128, "lng": -74.006},
    "Description": "Steel beams", "Items": [{"name": "IPE 200 beam", "quantity": 40, "unit": "pcs"}],
    "ExpiryMinutes": 60, "MaxSellers": 5,
}
SEED_FOLLOWUP = {
    "OrderReqID": "ORD-001", "Audience": ["PROP-001"],
    "Message": {"content": {"URLs": [], "MessageType": "text", "Message": "Please clarify delivery terms"}},
}


@router.post(
    "/initiate",
    response_model=OrderView,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Open an order request: sellers are selected and invited to quote",
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
async def initiate(
    orders: OrdersDep, buyer: BuyerDep, body: InitiateRequest = Body(examples=[SEED_INITIATE, DETAILED_INITIATE])
) -> OrderView:
    return await orders.initiate(body, buyer)


@router.post(
    "/followup",
    response_model=FollowUpReceipt,
    summary="Send a follow-up to the sellers of the listed proposals",
    responses=error_responses(401, 403, 404, 409, 422, 429, 503),
)
async def followup(
    orders: OrdersDep, buyer: BuyerDep, body: BuyerFollowUp = Body(examples=[SEED_FOLLOWUP])
) -> FollowUpReceipt:
    return await orders.follow_up(body, buyer)


@router.put(
    "/finalize/{order_req_id}",
    response_model=OrderView,
    summary="Award the order to one proposal; every other proposal is closed",
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
async def finalize(order_req_id: OrderId, orders: OrdersDep, buyer: BuyerDep,
                   body: FinalizeRequest = Body(examples=[{"ProposalID": "PROP-001"}])) -> OrderView:
    return await orders.finalize(order_req_id, body, buyer)


@router.put(
    "/pause/{order_req_id}",
    response_model=OrderView,
    summary="Stop accepting new proposals until resumed",
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
async def pause(
    order_req_id: OrderId, orders: OrdersDep, buyer: BuyerDep,
    body: ControlRequest | None = Body(None, examples=[{"Reason": "budget review"}]),
) -> OrderView:
    return await orders.pause(order_req_id, body or ControlRequest(), buyer)


@router.put(
    "/resume/{order_req_id}",
    response_model=OrderView,
    summary="Accept proposals again after a pause",
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
async def resume(
    order_req_id: OrderId, orders: OrdersDep, buyer: BuyerDep,
    body: ControlRequest | None = Body(None, examples=[{"Reason": "budget review"}]),
) -> OrderView:
    return await orders.resume(order_req_id, body or ControlRequest(), buyer)


@router.get("/orders", response_model=OrderList, summary="The buyer's orders, newest first",
            responses=error_responses(401, 403))
async def list_orders(
    orders: OrdersDep,
    buyer: BuyerDep,
    state: Annotated[OrderState | None, Query(description="Only orders in this state")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_SQL_INT)] = 0,
) -> OrderList:
    return await orders.list(state=state, limit=limit, offset=offset, session_id=buyer.session_filter)


@router.get(
    "/orders/{order_req_id}",
    response_model=OrderView,
    summary="One order: state, selected sellers, a page of its proposals, follow-ups and timeline",
    responses=error_responses(401, 403, 404, 422),
)
async def get_order(
    order_req_id: OrderId,
    orders: OrdersDep,
    buyer: BuyerDep,
    proposals_limit: Annotated[int, Query(ge=1, le=PROPOSALS_PAGE_MAX, description="Proposals on this page")] = (
        PROPOSALS_PAGE),
    proposals_offset: Annotated[int, Query(
        ge=0, le=MAX_SQL_INT, description="Proposals to skip, in arrival order (the last page's NextProposalsOffset)",
    )] = 0,
) -> OrderView:
    await orders.require(order_req_id, buyer)
    return await orders.view(order_req_id, proposals_limit=proposals_limit, proposals_offset=proposals_offset)

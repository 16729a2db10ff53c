"""GET /api/v1/orders/{order_req_id} on the Processor: the order as sellers are invited to it."""
from __future__ import annotations

from fastapi import APIRouter

from processor.app.api.deps import OrdersDep, SellerDep
from shared.models.orders import OrderSummary
from shared.utils.http_errors import error_responses

router = APIRouter(tags=["orders"])


@router.get("/orders/{order_req_id}", response_model=OrderSummary, summary="Order state and invited sellers",
            responses=error_responses(401, 403, 404))
async def get_order(order_req_id: str, orders: OrdersDep, seller: SellerDep) -> OrderSummary:
    return await orders.summary(order_req_id, seen_by=seller)

"""GET /api/v1/orders/{order_req_id} on the Processor: the order as the caller may see it."""
from __future__ import annotations

from fastapi import APIRouter

from processor.app.api.deps import OrdersDep, SellerDep, SellerViewsDep
from processor.app.store.seller_views import InvitationView
from shared.auth import Role
from shared.models.common import Identifier
from shared.models.orders import OrderSummary
from shared.utils.http_errors import error_responses

router = APIRouter(tags=["orders"])

# Who may see the buyer's SessionID and every invited seller (issue 14, least knowledge): the
# Requestor's service token (which reads orders over gRPC) and anyone while authentication is off.
FULL_VIEW = frozenset({Role.SERVICE, Role.ANYONE})


@router.get(
    "/orders/{order_req_id}",
    response_model=OrderSummary | InvitationView,
    summary="The order as this seller is invited to it (its own invitation, no buyer or competitor)",
    description="A seller token gets the order's id, state, expiry and details with its own invitation "
                "(rank, distance, source): the same shape as its entry in `/sellers/{id}/invitations`. "
                "An order it was not invited to is a 404, word for word as an unknown one. "
                "With authentication off (development) the full summary is returned: SessionID and "
                "every invited seller.",
    responses=error_responses(401, 403, 404),
)
async def get_order(
    order_req_id: Identifier, orders: OrdersDep, seller_views: SellerViewsDep, caller: SellerDep
) -> OrderSummary | InvitationView:
    if caller.role in FULL_VIEW:
        return await orders.summary(order_req_id)
    caller.require_seller(caller.subject, order_req_id)  # a session opened for another order: refused
    return await seller_views.invitation(caller.subject, order_req_id)

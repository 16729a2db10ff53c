"""POST /api/v1/followup on the Processor: a seller writes to the buyer."""
from __future__ import annotations

from fastapi import APIRouter, Body, status

from processor.app.api.deps import FollowUpsDep, SellerDep
from processor.app.schemas.proposals import SellerFollowUp
from shared.models.followups import FollowUpReceipt
from shared.utils.http_errors import error_responses

router = APIRouter(tags=["follow-ups"])


@router.post(
    "/followup",
    response_model=FollowUpReceipt,
    status_code=status.HTTP_201_CREATED,
    summary="Send a seller follow-up to the buyer",
    responses=error_responses(401, 403, 404, 409, 422, 429),
)
async def seller_followup(
    followups: FollowUpsDep,
    seller: SellerDep,
    body: SellerFollowUp = Body(examples=[{
        "OrderReqID": "ORD-001", "Seller": "SELLER-001", "ProposalID": "PROP-001",
        "Message": {"content": {"URLs": [], "MessageType": "text", "Message": "Delivery is door to door"}},
    }]),
) -> FollowUpReceipt:
    seller.require_seller(body.seller, body.order_req_id)
    return await followups.from_seller(body)

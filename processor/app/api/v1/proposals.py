"""POST /api/v1/proposal-submissions and POST /api/v1/edit-lock."""
from __future__ import annotations

from fastapi import APIRouter, Body, Response, status

from processor.app.api.deps import EditLocksDep, ProposalsDep, SellerDep
from processor.app.schemas.proposals import EditLockReceipt, EditLockRequest, ProposalReceipt, ProposalSubmission
from shared.utils.http_errors import error_responses

router = APIRouter(tags=["proposals"])

SEED_PROPOSAL = {
    "OrderReqID": "ORD-001",
    "Seller": "SELLER-001",
    "ProposalDictObj": {"ProposalID": "PROP-001", "Price": 1000.0, "DeliveryDate": "2025-11-01T00:00:00Z"},
}


@router.post(
    "/proposal-submissions",
    response_model=ProposalReceipt,
    status_code=status.HTTP_201_CREATED,
    summary="Submit a proposal, or update one you own",
    responses={200: {"description": "Updated, or identical to the stored one (no change)"},
               **error_responses(401, 403, 404, 409, 422, 429)},
)
async def submit_proposal(
    proposals: ProposalsDep, seller: SellerDep, response: Response,
    body: ProposalSubmission = Body(examples=[SEED_PROPOSAL]),
) -> ProposalReceipt:
    seller.require_seller(body.seller, body.order_req_id)
    receipt = await proposals.submit(body)
    if receipt.result != "created":
        response.status_code = status.HTTP_200_OK
    return receipt


@router.post(
    "/edit-lock",
    response_model=EditLockReceipt,
    summary="Take, renew or release the time-limited edit lock on your proposal",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def edit_lock(
    edit_locks: EditLocksDep,
    seller: SellerDep,
    body: EditLockRequest = Body(examples=[{
        "OrderReqID": "ORD-001", "ProposalID": "PROP-001", "Seller": "SELLER-001", "Action": "lock", "LockSeconds": 120,
    }]),
) -> EditLockReceipt:
    seller.require_seller(body.seller, body.order_req_id)
    return await edit_locks.edit_lock(body)

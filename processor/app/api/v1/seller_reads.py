"""A seller's own view: GET /api/v1/sellers/{seller_id}/invitations and .../proposals."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from processor.app.api.deps import SellerDep, SellerViewsDep
from processor.app.store.seller_views import InvitationView, SellerProposalView
from shared.models.common import Identifier
from shared.utils.http_errors import error_responses

router = APIRouter(prefix="/sellers/{seller_id}", tags=["sellers"])
SellerId = Annotated[Identifier, Path(description="The seller's id")]


@router.get("/invitations", response_model=list[InvitationView], summary="Orders this seller is invited to",
            responses=error_responses(401, 403))
async def invitations(
    seller_id: SellerId, views: SellerViewsDep, seller: SellerDep,
    open_only: Annotated[bool, Query(alias="open", description="Only orders still taking part")] = True,
) -> list[InvitationView]:
    seller.require_seller(seller_id)
    return await views.invitations(seller_id, open_only=open_only)


@router.get("/proposals", response_model=list[SellerProposalView], summary="This seller's proposals, newest first",
            responses=error_responses(401, 403))
async def proposals(seller_id: SellerId, views: SellerViewsDep, seller: SellerDep) -> list[SellerProposalView]:
    seller.require_seller(seller_id)
    return await views.proposals(seller_id)

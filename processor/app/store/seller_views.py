"""What a seller can read: the orders it is invited to, and its own proposals.

Least knowledge (issue 14): a seller sees what it needs to quote — the order's id, state, expiry
and details — and its own invitation (rank, distance, ranking source). Never the buyer's
SessionID, never the other invited sellers: the full view (OrderService.summary) is for the
Requestor's service token and for development with authentication off.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from processor.app.domain.orders import ACTIVE_ORDER_STATES, effective_state
from processor.app.store.tables import Invitation, Order, Proposal
from shared.errors import order_not_found
from shared.models.common import ApiModel, utcnow
from shared.models.states import OrderState, ProposalState


class InvitationView(ApiModel):
    """One order as one seller is invited to it: GET /api/v1/sellers/{id}/invitations lists these,
    GET /api/v1/orders/{id} answers a seller with one."""

    order_req_id: str = Field(alias="OrderReqID")
    state: OrderState = Field(alias="State")
    rank: int = Field(alias="Rank")
    distance_km: float | None = Field(None, alias="DistanceKm")
    duration_s: float | None = Field(None, alias="DurationS")
    source: str = Field(alias="Source")
    expires_at: datetime = Field(alias="ExpiresAt")
    details: dict[str, Any] = Field(alias="Details")


class SellerProposalView(ApiModel):
    proposal_id: str = Field(alias="ProposalID")
    order_req_id: str = Field(alias="OrderReqID")
    state: ProposalState = Field(alias="State")
    revision: int = Field(alias="Revision")
    proposal: dict[str, Any] = Field(alias="ProposalDictObj")
    updated_at: datetime = Field(alias="UpdatedAt")


class SellerViews:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def invitations(self, seller_id: str, *, open_only: bool) -> list[InvitationView]:
        query = (
            select(Invitation, Order).join(Order, Order.order_req_id == Invitation.order_req_id)
            .where(Invitation.seller_id == seller_id).order_by(Order.created_at.desc())
        )
        if open_only:
            query = query.where(Order.state.in_([s.value for s in ACTIVE_ORDER_STATES]))
        now = utcnow()
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        views = [_view(i, o, now) for i, o in rows]
        return [v for v in views if not open_only or v.state in ACTIVE_ORDER_STATES]

    async def invitation(self, seller_id: str, order_req_id: str) -> InvitationView:
        """The order as `seller_id` is invited to it. One lookup of the invitation joined to its
        order: an unknown order and one this seller was not invited to give the same 404."""
        query = (
            select(Invitation, Order).join(Order, Order.order_req_id == Invitation.order_req_id)
            .where(Invitation.order_req_id == order_req_id, Invitation.seller_id == seller_id)
        )
        async with self._sessions() as session:
            row = (await session.execute(query)).first()
        if row is None:
            raise order_not_found(order_req_id)
        return _view(row[0], row[1], utcnow())

    async def proposals(self, seller_id: str, order_req_id: str | None = None) -> list[SellerProposalView]:
        """The seller's proposals, newest first: all of them, or those on one order."""
        query = select(Proposal).where(Proposal.seller_id == seller_id)
        if order_req_id is not None:
            query = query.where(Proposal.order_req_id == order_req_id)
        async with self._sessions() as session:
            rows = (await session.scalars(query.order_by(Proposal.updated_at.desc()))).all()
        return [
            SellerProposalView(proposal_id=p.proposal_id, order_req_id=p.order_req_id, state=p.state,
                               revision=p.revision, proposal=p.data, updated_at=p.updated_at)
            for p in rows
        ]


def _view(invitation: Invitation, order: Order, now: datetime) -> InvitationView:
    return InvitationView(
        order_req_id=order.order_req_id, state=effective_state(order, now), rank=invitation.rank,
        distance_km=invitation.distance_km, duration_s=invitation.duration_s, source=invitation.source,
        expires_at=order.expires_at, details=order.details,
    )

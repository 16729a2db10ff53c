"""What the Requestor shows the buyer: GET /api/v1/orders and GET /api/v1/orders/{order_req_id}.

The buyer use cases (services/orders.py) return these; the routes only send them."""
from __future__ import annotations

from typing import Any

from pydantic import Field

from shared.models.common import ApiModel, UtcDatetime
from shared.models.messages import MessageContent
from shared.models.orders import SelectedSeller
from shared.models.states import EventType, OrderState, ProposalState


class ProposalView(ApiModel):
    proposal_id: str = Field(alias="ProposalID")
    seller: str = Field(alias="Seller")
    state: ProposalState = Field(alias="State")
    revision: int = Field(alias="Revision")
    locked_until: UtcDatetime | None = Field(None, alias="LockedUntil")
    proposal: dict[str, Any] = Field(alias="ProposalDictObj")
    seq: int = Field(alias="Seq", description="Stream seq of the proposal's latest change")


class FollowUpView(ApiModel):
    follow_up_id: str = Field(alias="FollowUpID")
    direction: str = Field(alias="Direction")
    seller: str = Field("", alias="Seller")
    proposal_id: str = Field("", alias="ProposalID")
    audience: list[str] = Field(default_factory=list, alias="Audience")
    message: MessageContent = Field(alias="Message")
    seq: int = Field(alias="Seq")
    occurred_at: UtcDatetime = Field(alias="OccurredAt")


class TimelineEntry(ApiModel):
    seq: int = Field(alias="Seq")
    event_id: str = Field(alias="EventID")
    event_type: EventType = Field(alias="EventType")
    occurred_at: UtcDatetime = Field(alias="OccurredAt")


class OrderListItem(ApiModel):
    order_req_id: str = Field(alias="OrderReqID")
    session_id: str = Field(alias="SessionID")
    state: OrderState = Field(alias="State")
    reason: str = Field("", alias="Reason")
    expires_at: UtcDatetime | None = Field(None, alias="ExpiresAt")
    created_at: UtcDatetime = Field(alias="CreatedAt")
    last_seq: int = Field(alias="LastSeq")


class OrderView(OrderListItem):
    notification_type: str = Field(alias="Notification type")
    details: dict[str, Any] = Field(alias="Details")
    ranking_source: str = Field("", alias="RankingSource")
    sellers: list[SelectedSeller] = Field(default_factory=list, alias="Sellers")
    winning_proposal_id: str = Field("", alias="WinningProposalID")
    proposals: list[ProposalView] = Field(default_factory=list, alias="Proposals")
    follow_ups: list[FollowUpView] = Field(default_factory=list, alias="FollowUps")
    timeline: list[TimelineEntry] = Field(default_factory=list, alias="Timeline")
    # `Proposals` is one page (GET /api/v1/orders/{id}?proposals_limit=&proposals_offset=), in arrival order.
    proposals_total: int | None = Field(None, alias="ProposalsTotal", description="the order's proposals in all")
    next_proposals_offset: int | None = Field(
        None, alias="NextProposalsOffset",
        description="proposals_offset of the next page of proposals; null when this page holds the last")


class OrderList(ApiModel):
    orders: list[OrderListItem] = Field(alias="Orders")
    total: int = Field(alias="Total")

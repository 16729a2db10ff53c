"""Follow-up receipts: the Processor answers a buyer's follow-up with one over gRPC, and the
Requestor answers its buyer with it (both services' contract)."""
from __future__ import annotations

from pydantic import Field

from shared.models.common import ApiModel


class AudienceMiss(ApiModel):
    proposal_id: str = Field(alias="ProposalID")
    reason: str = Field(alias="Reason")


class FollowUpReceipt(ApiModel):
    order_req_id: str = Field(alias="OrderReqID")
    follow_up_id: str = Field(alias="FollowUpID")
    seq: int = Field(alias="Seq")
    reached: list[str] = Field(default_factory=list, alias="Reached")
    not_reached: list[AudienceMiss] = Field(default_factory=list, alias="NotReached")

"""The Requestor's REST request bodies: what a buyer sends (the seed's key names)."""
from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field

from shared.models.common import ORDER_ID, ApiModel, Identifier
from shared.models.messages import Message
from shared.models.orders import OrderDetails


class InitiateRequest(OrderDetails):
    """Body of POST /api/v1/initiate: the seed's three keys verbatim, then optional details."""

    order_req_id: Identifier = Field(validation_alias=AliasChoices("OrderReqId", "OrderReqID"), alias="OrderReqId")
    session_id: Identifier = Field(alias="SessionID")
    notification_type: Literal["GChat", "Kafka", "None"] = Field("GChat", alias="Notification type")

    def details(self) -> OrderDetails:
        return OrderDetails.model_validate(self.model_dump(include=set(OrderDetails.model_fields)))


class BuyerFollowUp(ApiModel):
    """Body of POST /api/v1/followup on the Requestor: Audience lists ProposalIDs."""

    order_req_id: Identifier = Field(validation_alias=ORDER_ID, alias="OrderReqID")
    audience: list[Identifier] = Field(alias="Audience", min_length=1, max_length=100)
    message: Message = Field(alias="Message")


class FinalizeRequest(ApiModel):
    """Body of PUT /api/v1/finalize/{order_req_id}: the winning proposal."""

    proposal_id: Identifier = Field(alias="ProposalID")


class ControlRequest(ApiModel):
    """Optional body of PUT /api/v1/pause|resume/{order_req_id}."""

    reason: str = Field("", alias="Reason", max_length=500)

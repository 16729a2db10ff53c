"""The Processor's REST bodies: what a seller sends and is answered (the seed's key names)."""
from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from shared.models.common import ORDER_ID, ApiModel, Identifier, UtcDatetime
from shared.models.messages import Message
from shared.models.states import ProposalState

PRICE_DECIMALS = 4
# A seller's own keys are kept as given, within bounds: every buyer stream and Kafka message carries them.
MAX_EXTRA_DEPTH = 8
MAX_EXTRA_BYTES = 32 * 1024


class ProposalDictObj(ApiModel):
    """The seller's offer. Known keys are checked; any other key is kept exactly as given."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    proposal_id: Identifier = Field(alias="ProposalID")
    price: float | None = Field(None, alias="Price", gt=0, lt=1e12, description="at most 4 decimal places")
    delivery_date: UtcDatetime | None = Field(None, alias="DeliveryDate")

    @field_validator("price")
    @classmethod
    def _bounded_precision(cls, price: float | None) -> float | None:
        if price is not None and round(price, PRICE_DECIMALS) != price:
            raise ValueError(f"Price may have at most {PRICE_DECIMALS} decimal places")
        return price

    @model_validator(mode="after")
    def _bounded_extras(self) -> ProposalDictObj:
        extras = self.model_extra or {}
        for key, value in extras.items():
            if _depth(value) > MAX_EXTRA_DEPTH:
                raise ValueError(f"{key} is nested deeper than the limit of {MAX_EXTRA_DEPTH} levels")
        size = len(json.dumps(extras, separators=(",", ":"), default=str).encode())
        if size > MAX_EXTRA_BYTES:
            raise ValueError(f"the extra keys take {size} bytes as JSON; the limit is {MAX_EXTRA_BYTES}")
        return self

    def as_stored(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


def _depth(value: Any) -> int:
    """How many lists and objects are nested in `value` (0 for a scalar), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_EXTRA_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


class ProposalSubmission(ApiModel):
    """Body of POST /api/v1/proposal-submissions (Processor)."""

    order_req_id: Identifier = Field(validation_alias=ORDER_ID, alias="OrderReqID")
    seller: Identifier = Field(alias="Seller")
    proposal: ProposalDictObj = Field(alias="ProposalDictObj")
    lock_token: str | None = Field(None, alias="LockToken", max_length=64)


class ProposalReceipt(ApiModel):
    order_req_id: str = Field(alias="OrderReqID")
    proposal_id: str = Field(alias="ProposalID")
    seller: str = Field(alias="Seller")
    state: ProposalState = Field(alias="State")
    revision: int = Field(alias="Revision")
    result: Literal["created", "updated", "unchanged"] = Field(alias="Result")
    seq: int = Field(alias="Seq")


class SellerFollowUp(ApiModel):
    """Body of POST /api/v1/followup on the Processor: a seller writes to the buyer."""

    order_req_id: Identifier = Field(validation_alias=ORDER_ID, alias="OrderReqID")
    seller: Identifier = Field(alias="Seller")
    proposal_id: Identifier | None = Field(None, alias="ProposalID")
    message: Message = Field(alias="Message")


class EditLockRequest(ApiModel):
    """Body of POST /api/v1/edit-lock: take, renew (with the token) or release a lease."""

    order_req_id: Identifier = Field(validation_alias=ORDER_ID, alias="OrderReqID")
    proposal_id: Identifier = Field(alias="ProposalID")
    seller: Identifier = Field(alias="Seller")
    action: Literal["lock", "unlock"] = Field("lock", alias="Action")
    lock_seconds: int | None = Field(None, alias="LockSeconds", ge=1, le=3600)
    lock_token: str | None = Field(None, alias="LockToken", max_length=64)


class EditLockReceipt(ApiModel):
    proposal_id: str = Field(alias="ProposalID")
    seller: str = Field(alias="Seller")
    locked: bool = Field(alias="Locked")
    lock_token: str | None = Field(None, alias="LockToken")
    expires_at: UtcDatetime | None = Field(None, alias="ExpiresAt")
    seq: int = Field(alias="Seq")

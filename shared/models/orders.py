"""Order details, seller selection results and the order summaries both services return."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.models.common import ApiModel, UtcDatetime
from shared.models.states import OrderState

RankingSource = Literal["google", "haversine", "directory"]


class Location(ApiModel):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)


class OrderItem(ApiModel):
    name: str = Field(min_length=1, max_length=200)
    quantity: float = Field(1, gt=0)
    unit: str = Field("", max_length=32)


class OrderDetails(ApiModel):
    """What sellers are asked to quote for. Every field is optional (see SPEC, Initiate)."""

    industry: str | None = Field(None, alias="Industry", min_length=1, max_length=64)
    location: Location | None = Field(None, alias="Location")
    description: str | None = Field(None, alias="Description", max_length=4000)
    items: list[OrderItem] = Field(default_factory=list, alias="Items", max_length=200)
    expiry_minutes: int | None = Field(None, alias="ExpiryMinutes", ge=1, le=60 * 24 * 30)
    max_sellers: int | None = Field(None, alias="MaxSellers", ge=1, le=1000)

    def is_empty(self) -> bool:
        return not self.model_dump(exclude_defaults=True)


class SelectedSeller(ApiModel):
    seller_id: str = Field(alias="SellerID")
    name: str = Field("", alias="Name")
    rank: int = Field(alias="Rank")
    distance_km: float | None = Field(None, alias="DistanceKm")
    duration_s: float | None = Field(None, alias="DurationS")
    source: RankingSource = Field(alias="Source")


class OrderSummary(ApiModel):
    """The Processor's answer to an order action."""

    order_req_id: str = Field(alias="OrderReqID")
    session_id: str = Field("", alias="SessionID")
    state: OrderState = Field(alias="State")
    expires_at: UtcDatetime | None = Field(None, alias="ExpiresAt")
    last_seq: int = Field(0, alias="LastSeq")
    reason: str = Field("", alias="Reason")
    sellers: list[SelectedSeller] = Field(default_factory=list, alias="Sellers")

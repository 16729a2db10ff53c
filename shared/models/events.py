"""The per-order event log entry and its typed payloads: the one currency of streams and Kafka."""
from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from shared.models.common import UtcDatetime
from shared.models.messages import MessageContent
from shared.models.orders import RankingSource, SelectedSeller
from shared.models.states import EventType, OrderState, ProposalState


class OrderStatusPayload(BaseModel):
    state: OrderState
    reason: str = ""
    winning_proposal_id: str = ""
    expires_at: UtcDatetime | None = None
    session_id: str = ""


class SellersSelectedPayload(BaseModel):
    sellers: list[SelectedSeller]
    ranking_source: RankingSource


class ProposalPayload(BaseModel):
    proposal_id: str
    seller_id: str
    state: ProposalState
    data: dict[str, Any]
    revision: int = 1


class FollowUpPayload(BaseModel):
    follow_up_id: str
    direction: Literal["buyer", "seller"]
    seller_id: str = ""
    proposal_id: str = ""
    audience: list[str] = Field(default_factory=list)
    recipients: list[str] = Field(default_factory=list, description="Seller ids a buyer follow-up went to")
    message: MessageContent


class EditLockPayload(BaseModel):
    proposal_id: str
    seller_id: str
    locked: bool
    expires_at: UtcDatetime | None = None
    reason: str = ""


class NoticeFailedPayload(BaseModel):
    """A Google Chat notice to a seller that gave up after its retries."""

    seller_id: str
    kind: str
    reason: str


EventPayload = (
    OrderStatusPayload | SellersSelectedPayload | ProposalPayload | FollowUpPayload | EditLockPayload
    | NoticeFailedPayload
)

PAYLOAD_TYPE: dict[EventType, type[BaseModel]] = {
    EventType.REQUEST_SUBMISSIONS: OrderStatusPayload,
    EventType.SELLERS_SELECTED: SellersSelectedPayload,
    EventType.ORDER_FAILED: OrderStatusPayload,
    EventType.PROPOSAL_SUBMISSIONS: ProposalPayload,
    EventType.PROPOSAL_UPDATE: ProposalPayload,
    EventType.PROPOSAL_ACCEPTED: ProposalPayload,
    EventType.PROPOSAL_CLOSED: ProposalPayload,
    EventType.EDIT_LOCK: EditLockPayload,
    EventType.REQUEST_FOLLOW_UP: FollowUpPayload,
    EventType.SELLER_FOLLOW_UP: FollowUpPayload,
    EventType.ORDER_PAUSED: OrderStatusPayload,
    EventType.ORDER_RESUMED: OrderStatusPayload,
    EventType.ORDER_FINALISED: OrderStatusPayload,
    EventType.ORDER_EXPIRED: OrderStatusPayload,
    EventType.SELLER_NOTICE_FAILED: NoticeFailedPayload,
}
TERMINAL_EVENT_TYPES = frozenset({EventType.ORDER_FINALISED, EventType.ORDER_EXPIRED, EventType.ORDER_FAILED})


W3C_TRACEPARENT = re.compile(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")  # what current_traceparent() writes


class OrderEvent(BaseModel):
    """One entry of an order's log: (order_req_id, seq, type, payload, occurred_at) plus its id."""

    order_req_id: str
    seq: int = Field(ge=1)
    event_id: str
    event_type: EventType
    occurred_at: UtcDatetime
    payload: EventPayload
    # The W3C trace context of the change that made the event (tracing on), so its delivery and
    # its application elsewhere link back to it; stored and streamed, never part of a view.
    traceparent: str | None = Field(default=None, exclude=True, repr=False, max_length=55)

    @model_validator(mode="before")
    @classmethod
    def _payload_by_type(cls, data: Any) -> Any:
        # The event type, not the payload's shape, decides which model the payload is.
        if isinstance(data, dict) and isinstance(data.get("payload"), dict):
            expected = PAYLOAD_TYPE[EventType(data["event_type"])]
            data = {**data, "payload": expected.model_validate(data["payload"])}
        return data

    @property
    def is_terminal(self) -> bool:
        return self.event_type in TERMINAL_EVENT_TYPES

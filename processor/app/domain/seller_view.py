"""What of an order's event log one seller may see (the seller page, issue 17).

Least knowledge, as for the seller's reads: the order's own changes (paused, resumed, finalised,
expired — with the winner named only to the winner), this seller's proposals and edit locks, the
buyer's follow-ups that went to it and its own replies. Never another seller, never the buyer's
session, never whom else a follow-up went to.
"""
from __future__ import annotations

from typing import Any

from shared.models.events import (
    EditLockPayload,
    FollowUpPayload,
    OrderEvent,
    OrderStatusPayload,
    ProposalPayload,
)
from shared.models.states import EventType

ORDER_CHANGES = frozenset({
    EventType.ORDER_PAUSED, EventType.ORDER_RESUMED, EventType.ORDER_FINALISED, EventType.ORDER_EXPIRED,
    EventType.ORDER_FAILED,
})


def seller_payload(event: OrderEvent, seller_id: str) -> dict[str, Any] | None:
    """The event's payload as `seller_id` may see it, or None: not this seller's to see."""
    p = event.payload
    if isinstance(p, OrderStatusPayload) and event.event_type in ORDER_CHANGES:
        return {"State": p.state.value, "Reason": p.reason}
    if isinstance(p, ProposalPayload | EditLockPayload) and p.seller_id == seller_id:
        return p.model_dump(mode="json")
    if isinstance(p, FollowUpPayload):
        mine = seller_id in p.recipients if p.direction == "buyer" else p.seller_id == seller_id
        if mine:
            return p.model_dump(mode="json", exclude={"recipients", "audience"})
    return None


def seller_event(event: OrderEvent, seller_id: str, own_proposals: set[str]) -> dict[str, Any] | None:
    """One entry of the seller's timeline: seq, type, time and what it may see (None: nothing)."""
    payload = seller_payload(event, seller_id)
    if payload is None:
        return None
    if isinstance(event.payload, OrderStatusPayload) and event.event_type == EventType.ORDER_FINALISED:
        payload["Won"] = event.payload.winning_proposal_id in own_proposals  # the winner's id: only to the winner
    return {"Seq": event.seq, "EventType": event.event_type.value,
            "OccurredAt": event.occurred_at.isoformat().replace("+00:00", "Z"), "Payload": payload}
